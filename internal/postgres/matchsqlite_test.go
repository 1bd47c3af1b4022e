package postgres_test

// Where PostgreSQL's types and SQL differ from SQLite's (LIKE's letter case, LIMIT, bytea, the
// order of RETURNING): the store must still answer as the SQLite store does, which most of these
// tests check by asking both the same and comparing the answers.

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/filetest"
	"github.com/custexport/custexport/internal/sample"
	"github.com/custexport/custexport/internal/sqlite"
	"github.com/custexport/custexport/internal/storetest"
)

var rootOperator = custexport.Principal{Kind: custexport.PrincipalOperator, Name: "root"}

const fakePasswordHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$bm90IGEgcmVhbCBoYXNoIGJ1dCB3ZWxsLWZvcm1lZA"

func openSQLiteTwin(t *testing.T) *sqlite.DB {
	t.Helper()
	return filetest.OpenSQLite(t)
}

// A user agent is stored as it came, even when it is not UTF-8 (a header may hold any byte),
// and the entry still verifies; a text column would refuse it and the attempt go unlogged.
func TestAccessLogKeepsUserAgentBytes(t *testing.T) {
	_, dbs := openInstances(t, 1, nil)
	ctx := context.Background()
	agents := []string{"", "curl/8\r\nX-Injected: 1", "bad \xff\xfe utf-8", "nul \x00 byte", "Mozilla/5.0 (Šárka)"}
	for _, ua := range agents {
		if err := dbs[0].AppendAccess(ctx, &custexport.AccessEntry{UserAgent: ua, Outcome: custexport.OutcomeDenied}); err != nil {
			t.Fatalf("user agent %q: %v", ua, err)
		}
	}
	var got []string
	dbs[0].AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		got = append(got, e.UserAgent)
		return nil
	})
	if brk, _ := storetest.VerifyChain(t, dbs[0]); brk != nil {
		t.Errorf("entry %d %s", brk.ID, brk.Reason)
	}
	if !reflect.DeepEqual(got, agents) {
		t.Errorf("user agents stored %q, want %q", got, agents)
	}
}

// Searches fold letter case as SQLite's LIKE does, ASCII only, so both stores list the same
// customers for every text; LIKE's wildcards and escape are plain characters.
func TestSearchCustomersMatchesSQLite(t *testing.T) {
	_, dbs := openInstances(t, 1, nil)
	pg, lite := dbs[0], openSQLiteTwin(t)
	ctx := context.Background()
	cs := sample.Customers()
	odd := cs[0]
	odd.GUID, odd.Email = "9f9f9f9f-0000-4000-8000-000000000009", "Šárka.Velká_100%@Example.CZ"
	odd.AccountGUID = storetest.AccountFor(odd.GUID)
	odd.Billing.FullName, odd.Billing.Company, odd.CompanyID = `ŠÁRKA Velká \ 50% off`, "Ústav a_b", "11223344"
	cs = append(cs, odd)
	for _, db := range []custexport.CustomerStore{pg, lite} {
		if err := db.InsertCustomers(ctx, cs); err != nil {
			t.Fatal(err)
		}
	}
	texts := []string{"", " ", "nov", "NOV", "Novák", "NOVÁK", "novák", "šárka", "ŠÁRKA", "Šárka", "šÁrka", "velká", "VELKÁ",
		"ústav", "ÚSTAV", "Ústav", "a_b", "a%b", "_", "%", `\`, `\ 50`, "50% OFF", "example.cz", "EXAMPLE.CZ", "šárka.velká",
		"ŠÁRKA.VELKÁ", "11223344", "2233", "s.r.o", "S.R.O", "東京", "@"}
	for _, text := range texts {
		for _, page := range [][2]int{{0, 0}, {1, 2}, {-1, -1}} {
			s := custexport.CustomerSearch{Text: text, Offset: page[0], Limit: page[1]}
			want, err := lite.SearchCustomers(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pg.SearchCustomers(ctx, s)
			if err != nil {
				t.Fatalf("search %+v: %v", s, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("search %+v:\n got %+v\nwant %+v (SQLite)", s, got, want)
			}
		}
	}
}

// The access log's filters select what SQLite selects: the principal by kind or by a part of
// its name, ASCII letter case ignored, outcome and time range, newest first, paged.
func TestQueryAccessMatchesSQLite(t *testing.T) {
	_, dbs := openInstances(t, 1, nil)
	pg, lite := dbs[0], openSQLiteTwin(t)
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	principals := []custexport.Principal{
		{Kind: custexport.PrincipalPartner, ID: 1, Name: "Účetnictví Pohoda"},
		{Kind: custexport.PrincipalPartner, ID: 2, Name: "sklad_100%"},
		{Kind: custexport.PrincipalUser, ID: 1, Name: "Šárka"},
		{Kind: custexport.PrincipalOperator, Name: "root"},
	}
	outcomes := []custexport.Outcome{custexport.OutcomeServed, custexport.OutcomeDenied, custexport.OutcomeBusy}
	for i := range 40 {
		e := custexport.AccessEntry{
			At: base.Add(time.Duration(i) * time.Hour), Principal: principals[i%len(principals)],
			Channel: custexport.ChannelURL, Outcome: outcomes[i%len(outcomes)], Rows: int64(i),
		}
		for _, db := range []custexport.AccessLog{pg, lite} {
			e := e
			if err := db.AppendAccess(ctx, &e); err != nil {
				t.Fatal(err)
			}
		}
	}
	var queries []custexport.AccessQuery
	for _, p := range []string{"", "partner", "PARTNER", "user", "operator", "účet", "ÚČET", "pohoda", "POHODA", "šárka", "ŠÁRKA",
		"Šárka", "_", "%", "100%", "d_1", `\`, "oot", "nobody"} {
		queries = append(queries, custexport.AccessQuery{Principal: p})
	}
	queries = append(queries,
		custexport.AccessQuery{Outcome: custexport.OutcomeDenied},
		custexport.AccessQuery{Principal: "partner", Outcome: custexport.OutcomeServed, From: base.Add(5 * time.Hour), Before: base.Add(30 * time.Hour)},
		custexport.AccessQuery{From: base.Add(39 * time.Hour)},
		custexport.AccessQuery{Before: base.Add(time.Hour)},
		custexport.AccessQuery{Offset: 7, Limit: 5},
		custexport.AccessQuery{Principal: "a", Offset: -3, Limit: -1},
	)
	read := func(db custexport.Database, q custexport.AccessQuery) (int64, []string) {
		t.Helper()
		n, err := db.CountAccess(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		err = db.QueryAccess(ctx, q, func(e *custexport.AccessEntry) error {
			got = append(got, fmt.Sprintf("%d %s %s %d", e.ID, e.Principal.Name, e.Outcome, e.At.UnixMilli()))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, got
	}
	for _, q := range queries {
		wantN, want := read(lite, q)
		gotN, got := read(pg, q)
		if gotN != wantN || !reflect.DeepEqual(got, want) {
			t.Errorf("query %+v:\n got %d %q\nwant %d %q (SQLite)", q, gotN, got, wantN, want)
		}
	}
}

// LIMIT and OFFSET of the import log: PostgreSQL refuses negative ones, SQLite reads them as
// "no limit" and "from the start".
func TestImportsPagingMatchesSQLite(t *testing.T) {
	_, dbs := openInstances(t, 1, nil)
	pg, lite := dbs[0], openSQLiteTwin(t)
	ctx := context.Background()
	for i := range 4 {
		for _, db := range []custexport.ImportStore{pg, lite} {
			r := &custexport.ImportRecord{At: time.UnixMilli(1767225600123 + int64(i)), File: fmt.Sprintf("%d.csv", i)}
			if err := db.RecordImport(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, page := range [][2]int{{0, 0}, {0, 10}, {1, 2}, {0, -1}, {-1, 2}, {-5, -1}, {3, -1}, {9, 1}} {
		want, wantN, err := lite.Imports(ctx, page[0], page[1])
		if err != nil {
			t.Fatal(err)
		}
		got, gotN, err := pg.Imports(ctx, page[0], page[1])
		if err != nil || gotN != wantN || !reflect.DeepEqual(got, want) {
			t.Errorf("Imports(%d, %d) = %d records of %d, %v; SQLite gives %d of %d", page[0], page[1], len(got), gotN, err, len(want), wantN)
		}
	}
}

// Jobs ended in one sweep are listed by id, as SQLite lists them, whatever order their
// heartbeats or ends came in.
func TestEndedJobsListedByID(t *testing.T) {
	_, dbs := openInstances(t, 1, nil)
	pg, lite := dbs[0], openSQLiteTwin(t)
	ctx := context.Background()
	ids := func(jobs []custexport.ExportJob) []int64 {
		var out []int64
		for _, j := range jobs {
			out = append(out, j.ID)
		}
		return out
	}
	for _, db := range []custexport.Database{pg, lite} {
		clock := storetest.UseClock(t, db)
		u := &custexport.User{Name: "eva", PasswordHash: fakePasswordHash}
		if err := db.AddUser(ctx, u, rootOperator); err != nil {
			t.Fatal(err)
		}
		var jobs []*custexport.ExportJob
		for range 6 {
			j := &custexport.ExportJob{UserID: u.ID, Options: custexport.ExportOptions{Format: custexport.FormatCSV, FormulaGuard: true}}
			if err := db.CreateJob(ctx, j); err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, j)
		}
		for _, i := range []int{5, 3, 4} { // finish out of id order
			clock.Advance(time.Millisecond)
			jobs[i].State = custexport.JobDone
			if err := db.FinishJob(ctx, jobs[i]); err != nil {
				t.Fatal(err)
			}
		}
		clock.Advance(time.Millisecond)
		db.UpdateJobProgress(ctx, jobs[0].ID, 1, 2) // the newest heartbeat on the oldest job
		stale, err := db.FailStaleJobs(ctx, clock.Now().Add(time.Hour), "stale")
		if err != nil || !reflect.DeepEqual(ids(stale), []int64{1, 2, 3}) {
			t.Errorf("%T: FailStaleJobs = %v, %v; want jobs 1, 2, 3", db, ids(stale), err)
		}
		expired, err := db.ExpireJobs(ctx, clock.Now().Add(time.Hour))
		if err != nil || !reflect.DeepEqual(ids(expired), []int64{4, 5, 6}) {
			t.Errorf("%T: ExpireJobs = %v, %v; want jobs 4, 5, 6", db, ids(expired), err)
		}
		for _, j := range append(stale, expired...) {
			if !j.Options.FormulaGuard || j.Options.Format != custexport.FormatCSV || j.EndedAt.IsZero() {
				t.Errorf("%T: ended job %+v", db, j)
			}
		}
	}
}
