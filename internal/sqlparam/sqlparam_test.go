package sqlparam

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

// A search text's LIKE characters are escaped, and the pattern matches anywhere.
func TestContains(t *testing.T) {
	for text, want := range map[string]string{
		"":            "%%",
		"Nov":         "%Nov%",
		"50%_off":     `%50\%\_off%`,
		`C:\temp`:     `%C:\\temp%`,
		`\%_`:         `%\\\%\_%`,
		"Šárka Nová ": "%Šárka Nová %",
	} {
		if got := Contains(text); got != want {
			t.Errorf("Contains(%q) = %q, want %q", text, got, want)
		}
	}
}

// An open end of a range is the extreme number; a closed one the stored unix seconds.
func TestRegistrationBounds(t *testing.T) {
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2024, 4, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		r          custexport.Range
		from, till int64
	}{
		{custexport.Range{}, math.MinInt64, math.MaxInt64},
		{custexport.Range{From: from}, from.Unix(), math.MaxInt64},
		{custexport.Range{Until: until}, math.MinInt64, until.Unix()},
		{custexport.Range{From: from, Until: until}, from.Unix(), until.Unix()},
	} {
		if f, u := RegistrationBounds(tc.r); f != tc.from || u != tc.till {
			t.Errorf("RegistrationBounds(%+v) = %d, %d; want %d, %d", tc.r, f, u, tc.from, tc.till)
		}
	}
}

var testDialect = Dialect{
	Param: func(n int) string { return fmt.Sprintf("$%d", n) },
	Like:  func(column, param string) string { return column + " LIKE " + param },
}

// The search matches the trimmed text in four columns, the e-mail's key in lower case; an empty
// text selects everything.
func TestCustomerSearch(t *testing.T) {
	where, args := CustomerSearch(testDialect, "  Nov_ák ")
	want := " WHERE billing_full_name LIKE $1 OR email_key LIKE $2 OR billing_company LIKE $1 OR company_id LIKE $1"
	if where != want || !reflect.DeepEqual(args, []any{`%Nov\_ák%`, `%nov\_ák%`}) {
		t.Fatalf("CustomerSearch = %q, %q", where, args)
	}
	if where, args := CustomerSearch(testDialect, " \t"); where != "" || args != nil {
		t.Fatalf("an empty search = %q, %q", where, args)
	}
}

// Each set part of an access query adds a condition with its parameters numbered in order;
// the page's limit and offset follow them.
func TestAccessWhereAndPage(t *testing.T) {
	from := time.UnixMilli(1700000000000)
	where, args := AccessWhere(testDialect, custexport.AccessQuery{Principal: " eva ", Outcome: custexport.Outcome("denied"), From: from})
	want := " WHERE (principal_kind = $1 OR principal_name LIKE $2) AND outcome = $3 AND at >= $4"
	if where != want || !reflect.DeepEqual(args, []any{"eva", "%eva%", "denied", int64(1700000000000)}) {
		t.Fatalf("AccessWhere = %q, %q", where, args)
	}
	limit, args := Page(testDialect, args, 0, -5)
	if limit != " LIMIT $5 OFFSET $6" || args[4] != math.MaxInt32 || args[5] != 0 {
		t.Fatalf("Page = %q, %q; want every row from the first", limit, args)
	}
	if where, args := AccessWhere(testDialect, custexport.AccessQuery{Before: from}); where != " WHERE at < $1" || len(args) != 1 {
		t.Fatalf("AccessWhere(before) = %q, %q", where, args)
	}
	if where, args := AccessWhere(testDialect, custexport.AccessQuery{}); where != "" || args != nil {
		t.Fatalf("an empty query = %q, %q", where, args)
	}
	if limit, args := Page(testDialect, nil, 50, 100); limit != " LIMIT $1 OFFSET $2" || !reflect.DeepEqual(args, []any{50, 100}) {
		t.Fatalf("Page = %q, %q", limit, args)
	}
}

// The count and the page of a search select the same customers: the page adds only its order
// and its limit and offset, as parameters after the search's.
func TestCustomerPage(t *testing.T) {
	count, page := CustomerPage(testDialect, custexport.CustomerSearch{Text: "nov", Limit: 20, Offset: 40})
	where := " WHERE billing_full_name LIKE $1 OR email_key LIKE $2 OR billing_company LIKE $1 OR company_id LIKE $1"
	if count.SQL != "SELECT count(*) FROM customer"+where || !reflect.DeepEqual(count.Args, []any{"%nov%", "%nov%"}) {
		t.Fatalf("count = %q, %q", count.SQL, count.Args)
	}
	if !strings.HasSuffix(page.SQL, where+"\n\t\tORDER BY registration_date DESC, guid DESC LIMIT $3 OFFSET $4") ||
		!reflect.DeepEqual(page.Args, []any{"%nov%", "%nov%", 20, 40}) {
		t.Fatalf("page = %q, %q", page.SQL, page.Args)
	}
}

// The access log's count ignores the page; the page lists the newest first.
func TestAccessCountAndPage(t *testing.T) {
	q := custexport.AccessQuery{Outcome: custexport.Outcome("denied"), Limit: 10, Offset: 30}
	if count := AccessCount(testDialect, q); count.SQL != "SELECT count(*) FROM access_log WHERE outcome = $1" ||
		!reflect.DeepEqual(count.Args, []any{"denied"}) {
		t.Fatalf("AccessCount = %q, %q", count.SQL, count.Args)
	}
	page := AccessPage(testDialect, q)
	if !strings.HasSuffix(page.SQL, " FROM access_log WHERE outcome = $1\n\t\tORDER BY id DESC LIMIT $2 OFFSET $3") ||
		!reflect.DeepEqual(page.Args, []any{"denied", 10, 30}) {
		t.Fatalf("AccessPage = %q, %q", page.SQL, page.Args)
	}
}
