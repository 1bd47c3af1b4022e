package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

var adminTests = []test{
	{"SearchCustomers", testSearchCustomers},
	{"QueryAccess", testQueryAccess},
	{"PingAndDescribe", testPingAndDescribe},
}

// The admin list: newest registrations first, a part of the name, e-mail (any letter case),
// company or company id matches, LIKE's wildcards are plain characters, count and page agree.
func testSearchCustomers(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	if p, err := db.SearchCustomers(ctx, custexport.CustomerSearch{Limit: 10}); err != nil || p.Total != 0 || len(p.Customers) != 0 {
		t.Fatalf("an empty store's list: %+v, %v", p, err)
	}
	cs := sample.Customers()
	extra := cs[5]
	extra.GUID, extra.Email = "7f7f7f7f-0000-4000-8000-000000000007", "under_score%@example.com"
	extra.AccountGUID = AccountFor(extra.GUID)
	extra.Billing.FullName, extra.CompanyID = "Sleva 100% Novák_ová", "87654321"
	extra.RegistrationDate = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	insert(t, db, append(cs, extra)...)
	all := append(cs, extra)
	search := func(text string, offset, limit int) ([]string, int64) {
		t.Helper()
		p, err := db.SearchCustomers(ctx, custexport.CustomerSearch{Text: text, Offset: offset, Limit: limit})
		if err != nil {
			t.Fatalf("SearchCustomers(%q): %v", text, err)
		}
		var out []string
		for _, c := range p.Customers {
			out = append(out, c.GUID[:4])
		}
		return out, p.Total
	}
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"", []string{"7f7f", "6e6e", "5d5d", "4c4c", "3b3b", "2a2a", "1c2d", "0b9e"}},
		{"  ", []string{"7f7f", "6e6e", "5d5d", "4c4c", "3b3b", "2a2a", "1c2d", "0b9e"}},
		{"Novák", []string{"7f7f", "0b9e"}},           // name
		{"JAN.NOVAK@EXAMPLE", []string{"0b9e"}},       // e-mail, any letter case
		{"jan nov", []string{"0b9e"}},                 // name, ASCII letter case
		{"syn, s.r.o", []string{"0b9e"}},              // company
		{"東京", []string{"3b3b"}},                      // company, not ASCII
		{"00123456", []string{"0b9e"}},                // company id
		{"4321", []string{"7f7f"}},                    // a part of the company id
		{"%", []string{"7f7f"}},                       // a literal %, not "anything"
		{"_", []string{"7f7f"}},                       // a literal _, not "any character"
		{"100%", []string{"7f7f"}},                    //
		{"sleva", []string{"7f7f"}},                   // the street ("-5 % sleva") is not searched
		{"Ostrava", nil},                              // nor the city
		{"+420 600", nil},                             // nor the phone
		{`\`, nil},                                    // the escape character itself
		{"zzzz-no-such-customer", nil},                //
		{"2a2a2a2a-2a2a-4a2a-8a2a-2a2a2a2a2a2a", nil}, // nor the guid
		{"@example.", []string{"7f7f", "6e6e", "5d5d", "4c4c", "3b3b", "2a2a", "1c2d", "0b9e"}},
	} {
		got, total := search(tc.text, 0, 100)
		if !reflect.DeepEqual(got, tc.want) || total != int64(len(tc.want)) {
			t.Errorf("search %q: %v (total %d), want %v", tc.text, got, total, tc.want)
		}
	}
	// Paging: the total counts every match, the page holds the asked-for slice.
	got, total := search("@example.", 2, 3)
	if !reflect.DeepEqual(got, []string{"5d5d", "4c4c", "3b3b"}) || total != 8 {
		t.Errorf("page 2..4: %v of %d", got, total)
	}
	got, total = search("", 7, 3)
	if !reflect.DeepEqual(got, []string{"0b9e"}) || total != 8 {
		t.Errorf("the last page: %v of %d", got, total)
	}
	got, total = search("", 100, 3)
	if len(got) != 0 || total != 8 {
		t.Errorf("past the end: %v of %d", got, total)
	}
	// The summary's fields.
	p, err := db.SearchCustomers(ctx, custexport.CustomerSearch{Text: "jan.novak", Limit: 1})
	if err != nil || len(p.Customers) != 1 {
		t.Fatalf("SearchCustomers(jan.novak) = %+v, %v", p, err)
	}
	c, w := p.Customers[0], all[0]
	if c.ID == 0 || c.GUID != w.GUID || c.Email != w.Email || c.FullName != w.Billing.FullName || c.Company != w.Billing.Company ||
		c.CompanyID != w.CompanyID || c.City != w.Billing.City || !c.Registered.Equal(w.RegistrationDate) {
		t.Errorf("summary %+v of %+v", c, w)
	}
}

// CountAccess and QueryAccess filter by principal (kind exactly or a part of the name), outcome
// and time, list newest first, and page; the count ignores the page.
func testQueryAccess(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	base := time.Date(2026, 4, 1, 8, 0, 0, 0, time.UTC)
	partner := custexport.Principal{Kind: custexport.PrincipalPartner, ID: 3, Name: "Účetní 100%"}
	user := custexport.Principal{Kind: custexport.PrincipalUser, ID: 1, Name: "Eva Nováková"}
	type spec struct {
		who     custexport.Principal
		outcome custexport.Outcome
	}
	specs := []spec{
		{partner, custexport.OutcomeServed},
		{user, custexport.OutcomeServed},
		{operator, custexport.OutcomeServed},
		{partner, custexport.OutcomeDenied},
		{user, custexport.OutcomeBusy},
		{partner, custexport.OutcomeServed},
		{operator, custexport.OutcomeFailed},
	}
	for i, s := range specs {
		e := &custexport.AccessEntry{At: base.Add(time.Duration(i) * time.Hour), Principal: s.who, Outcome: s.outcome, Rows: int64(i)}
		if err := db.AppendAccess(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	query := func(q custexport.AccessQuery) []int64 {
		t.Helper()
		var rows []int64
		if err := db.QueryAccess(ctx, q, func(e *custexport.AccessEntry) error {
			rows = append(rows, e.Rows)
			return nil
		}); err != nil {
			t.Fatalf("QueryAccess(%+v): %v", q, err)
		}
		return rows
	}
	for _, tc := range []struct {
		q     custexport.AccessQuery
		want  []int64
		count int64
	}{
		{custexport.AccessQuery{}, []int64{6, 5, 4, 3, 2, 1, 0}, 7},
		{custexport.AccessQuery{Principal: "partner"}, []int64{5, 3, 0}, 3},
		{custexport.AccessQuery{Principal: " operator "}, []int64{6, 2}, 2},
		{custexport.AccessQuery{Principal: "nováková"}, []int64{4, 1}, 2}, // a part of the name
		{custexport.AccessQuery{Principal: "Eva"}, []int64{4, 1}, 2},      //
		{custexport.AccessQuery{Principal: "100%"}, []int64{5, 3, 0}, 3},  // % is a plain character
		{custexport.AccessQuery{Principal: "1_0"}, nil, 0},                // _ too
		{custexport.AccessQuery{Principal: "us"}, nil, 0},                 // kinds match exactly
		{custexport.AccessQuery{Outcome: custexport.OutcomeServed}, []int64{5, 2, 1, 0}, 4},
		{custexport.AccessQuery{Principal: "partner", Outcome: custexport.OutcomeServed}, []int64{5, 0}, 2},
		{custexport.AccessQuery{From: base.Add(2 * time.Hour)}, []int64{6, 5, 4, 3, 2}, 5},
		{custexport.AccessQuery{Before: base.Add(2 * time.Hour)}, []int64{1, 0}, 2},
		{custexport.AccessQuery{From: base.Add(time.Hour), Before: base.Add(4 * time.Hour)}, []int64{3, 2, 1}, 3},
		{custexport.AccessQuery{Limit: 2}, []int64{6, 5}, 7},
		{custexport.AccessQuery{Offset: 2, Limit: 3}, []int64{4, 3, 2}, 7},
		{custexport.AccessQuery{Offset: 6}, []int64{0}, 7},
		{custexport.AccessQuery{Offset: 10, Limit: 3}, nil, 7},
		{custexport.AccessQuery{Principal: "partner", Offset: 1, Limit: 1}, []int64{3}, 3},
	} {
		name := fmt.Sprintf("%+v", tc.q)
		if got := query(tc.q); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("QueryAccess(%s) = %v, want %v", name, got, tc.want)
		}
		if n, err := db.CountAccess(ctx, tc.q); err != nil || n != tc.count {
			t.Errorf("CountAccess(%s) = %d, %v; want %d", name, n, err, tc.count)
		}
	}
	// The entries read are whole.
	var got *custexport.AccessEntry
	db.QueryAccess(ctx, custexport.AccessQuery{Limit: 1}, func(e *custexport.AccessEntry) error { c := *e; got = &c; return nil })
	if got == nil || got.Principal != operator || got.Outcome != custexport.OutcomeFailed || !got.At.Equal(base.Add(6*time.Hour)) || got.Hash != LogKey.EntryMAC(got) {
		t.Errorf("newest entry %+v", got)
	}
	stop := fmt.Errorf("stop")
	n := 0
	if err := db.QueryAccess(ctx, custexport.AccessQuery{}, func(*custexport.AccessEntry) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("QueryAccess returned %v after %d calls, want the callback's error after 1", err, n)
	}
}

func testPingAndDescribe(t *testing.T, db custexport.Database) {
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	d := db.Describe()
	if strings.TrimSpace(d) == "" {
		t.Fatal("Describe is empty")
	}
	for _, secret := range []string{"password=", ":secret@"} {
		if strings.Contains(strings.ToLower(d), secret) {
			t.Errorf("Describe() = %q shows credentials", d)
		}
	}
}
