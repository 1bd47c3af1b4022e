package postgres_test

// What only the PostgreSQL store can get wrong: several instances (separately opened pools)
// racing on one database, and where PostgreSQL's SQL differs from SQLite's (LIKE's letter
// case, LIMIT, bytea). Each is checked against two instances or against the SQLite store.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/sample"
	"github.com/custexport/custexport/internal/sqlite"
)

var rootOperator = custexport.Principal{Kind: custexport.PrincipalOperator, Name: "root"}

const fakePasswordHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$bm90IGEgcmVhbCBoYXNoIGJ1dCB3ZWxsLWZvcm1lZA"

// openInstances opens n instances of one new database, as n server processes would, each with
// the connection parameters params added to its DSN.
func openInstances(t *testing.T, n int, params url.Values) (string, []*postgres.DB) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // pgx reads a + as itself
	dbs := make([]*postgres.DB, n)
	for i := range dbs {
		db, err := postgres.Open(context.Background(), u.String(), postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dsn, dbs
}

func openSQLiteTwin(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "twin.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Racers on two instances: exactly one wins each round, the rest are told busy, and the fence
// grows from round to round. A stale holder can neither renew nor release the next one's slot.
func TestLeaseRaceAcrossInstances(t *testing.T) {
	_, dbs := openInstances(t, 2, nil)
	ctx := context.Background()
	var lastFence int64
	for round := range 10 {
		const racers = 16
		won := make(chan custexport.Lease, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				l, err := dbs[i%2].AcquireLease(ctx, "partner:7", fmt.Sprintf("racer %d", i), time.Minute)
				if err == nil {
					won <- l
				} else if custexport.ErrorCode(err) != custexport.CodeBusy {
					t.Errorf("round %d, racer %d: %v", round, i, err)
				}
			})
		}
		wg.Wait()
		close(won)
		var leases []custexport.Lease
		for l := range won {
			leases = append(leases, l)
		}
		if len(leases) != 1 {
			t.Fatalf("round %d: %d racers got the slot, want exactly 1", round, len(leases))
		}
		l := leases[0]
		if l.Fence <= lastFence {
			t.Fatalf("round %d: fence %d after %d; it must grow with every acquisition", round, l.Fence, lastFence)
		}
		lastFence = l.Fence
		// The other instance renews and releases it: the lease lives in the database.
		if _, err := dbs[1].RenewLease(ctx, l, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := dbs[1].ReleaseLease(ctx, l); err != nil {
			t.Fatal(err)
		}
	}

	dead, err := dbs[0].AcquireLease(ctx, "user:1", "crashed", -time.Second)
	if err != nil {
		t.Fatal(err)
	}
	live, err := dbs[1].AcquireLease(ctx, "user:1", "new", time.Minute)
	if err != nil || live.Fence != dead.Fence+1 {
		t.Fatalf("taking over an expired lease: %+v, %v", live, err)
	}
	if _, err := dbs[0].RenewLease(ctx, dead, time.Minute); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("the old holder's heartbeat must learn it lost the slot, got %v", err)
	}
	if err := dbs[0].ReleaseLease(ctx, dead); err != nil {
		t.Fatal(err)
	}
	if _, err := dbs[0].AcquireLease(ctx, "user:1", "third", time.Minute); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("a stale release freed the live lease: %v", err)
	}
}

// Appends from many goroutines on two instances, with logged partner changes among them, form
// one unbroken chain in id order: every entry chains to the one before and its hash is its own.
// The DSN asks for REPEATABLE READ, as a shop may configure it: the store still runs its
// transactions in READ COMMITTED (connect sets it), so an append reads the newest entry after
// it holds the lock, not from before its wait.
func TestAccessLogChainAcrossInstances(t *testing.T) {
	_, dbs := openInstances(t, 2, url.Values{"default_transaction_isolation": {"repeatable read"}})
	ctx := context.Background()
	const writers, each, partners = 8, 25, 6
	var wg sync.WaitGroup
	appended := make(chan custexport.AccessEntry, writers*each+partners)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := &custexport.AccessEntry{
					Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: int64(w), Name: fmt.Sprintf("Partner %d", w)},
					Channel:   custexport.ChannelURL, ClientIP: "192.0.2.1", UserAgent: fmt.Sprintf("writer %d", w),
					Format: custexport.FormatCSV, Outcome: custexport.OutcomeServed, Rows: int64(i),
				}
				if err := dbs[(w+i)%2].AppendAccess(ctx, e); err != nil {
					t.Error(err)
					return
				}
				appended <- *e
			}
		})
	}
	for i := range partners {
		wg.Go(func() {
			p := &custexport.Partner{Name: fmt.Sprintf("Sklad %d", i), LinkSalt: []byte("salt")}
			if err := dbs[i%2].CreatePartner(ctx, p, rootOperator); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(appended)

	var entries []custexport.AccessEntry
	if err := dbs[0].AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		entries = append(entries, *e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(entries) != writers*each+partners {
		t.Fatalf("%d entries stored, want %d", len(entries), writers*each+partners)
	}
	if entries[0].PrevHash != "" {
		t.Errorf("the first entry chains to %q", entries[0].PrevHash)
	}
	for i, e := range entries {
		if e.Hash != e.ComputeHash() {
			t.Fatalf("entry %d: stored hash is not its own", e.ID)
		}
		if i > 0 && (e.PrevHash != entries[i-1].Hash || e.ID <= entries[i-1].ID) {
			t.Fatalf("entry %d does not follow entry %d: the chain forked", e.ID, entries[i-1].ID)
		}
	}
	byID := map[int64]custexport.AccessEntry{}
	for _, e := range entries {
		byID[e.ID] = e
	}
	for want := range appended {
		if got := byID[want.ID]; got != want {
			t.Errorf("AppendAccess returned %+v, stored %+v", want, got)
		}
	}
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
	var v custexport.ChainVerifier
	dbs[0].AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		got = append(got, e.UserAgent)
		if brk := v.Check(e); brk != nil {
			t.Errorf("entry %d %s", brk.ID, brk.Reason)
		}
		return nil
	})
	if !reflect.DeepEqual(got, agents) {
		t.Errorf("user agents stored %q, want %q", got, agents)
	}
}

// Adding "Novák" in four letter cases on four instances at once: one wins, and every other is
// told which stored name it clashed with, as SQLite's single writer would; the losers use up
// no id.
func TestAddUserRaceAcrossInstances(t *testing.T) {
	_, dbs := openInstances(t, 4, nil)
	ctx := context.Background()
	names := []string{"Novák", "NOVÁK", "novák", "NoVáK"}
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			errs[i] = db.AddUser(ctx, &custexport.User{Name: names[i], PasswordHash: fakePasswordHash}, rootOperator)
		})
	}
	wg.Wait()
	users, err := dbs[0].ListUsers(ctx)
	if err != nil || len(users) != 1 {
		t.Fatalf("%d users stored, %v; want 1", len(users), err)
	}
	for i, err := range errs {
		if names[i] == users[0].Name {
			if err != nil {
				t.Errorf("the stored name's AddUser failed: %v", err)
			}
			continue
		}
		var e *custexport.Error
		if !errors.As(err, &e) || e.Code != custexport.CodeConflict || e.Field != "name" ||
			!strings.Contains(e.Message, fmt.Sprintf("%q is taken by %q", names[i], users[0].Name)) {
			t.Errorf("AddUser(%q): %v, want a conflict of the name with %q", names[i], err, users[0].Name)
		}
	}
	next := &custexport.User{Name: "Eva", PasswordHash: fakePasswordHash}
	if err := dbs[1].AddUser(ctx, next, rootOperator); err != nil || next.ID != users[0].ID+1 {
		t.Errorf("the next user got id %d, %v; want %d", next.ID, err, users[0].ID+1)
	}
}

// A session being inserted while the user's password changes is either ended with the others
// or created after the change, never left behind uncounted: the change waits for the insert.
func TestPasswordChangeEndsSessionBeingCreated(t *testing.T) {
	dsn, dbs := openInstances(t, 1, nil)
	db := dbs[0]
	ctx := context.Background()
	u := &custexport.User{Name: "novak", PasswordHash: fakePasswordHash}
	if err := db.AddUser(ctx, u, rootOperator); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, hash := custexport.NewSessionToken()
	if _, err := tx.Exec(ctx, `INSERT INTO admin_session (user_id, token_hash, created_at, last_seen_at) VALUES ($1, $2, 0, 0)`, u.ID, hash); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- db.SetPasswordHash(ctx, u.ID, "$argon2id$new", rootOperator) }()
	select {
	case err := <-done:
		t.Fatalf("the password changed (%v) while a session insert was under way", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := db.SessionByTokenHash(ctx, hash); custexport.ErrorCode(err) != custexport.CodeNotFound {
		t.Errorf("the session created during the change survived it: %v", err)
	}
	var last string
	db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error { last = e.Reason; return nil })
	if want := `user 1 "novak" password changed; 1 session ended`; last != want {
		t.Errorf("logged %q, want %q", last, want)
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
			time.Sleep(2 * time.Millisecond)
			jobs[i].State = custexport.JobDone
			if err := db.FinishJob(ctx, jobs[i]); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(2 * time.Millisecond)
		db.UpdateJobProgress(ctx, jobs[0].ID, 1, 2) // the newest heartbeat on the oldest job
		stale, err := db.FailStaleJobs(ctx, time.Now().Add(time.Hour), "stale")
		if err != nil || !reflect.DeepEqual(ids(stale), []int64{1, 2, 3}) {
			t.Errorf("%T: FailStaleJobs = %v, %v; want jobs 1, 2, 3", db, ids(stale), err)
		}
		expired, err := db.ExpireJobs(ctx, time.Now().Add(time.Hour))
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
