package postgres_test

// Several instances of the store (separately opened pools, as several server processes) racing
// on one database: what SQLite's single writer rules out and PostgreSQL must be made to.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/storetest"
)

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
		db.SetLogKey(storetest.LogKey)
		dbs[i] = db
	}
	return dsn, dbs
}

// Racers on two instances: exactly one wins each round, the rest are told busy, and the fence
// grows from round to round. A stale holder can neither renew nor release the next one's slot.
func TestLeaseRaceAcrossInstances(t *testing.T) {
	_, dbs := openInstances(t, 2, nil)
	ctx := context.Background()
	var lastFence int64
	for round := range 10 {
		l := storetest.RaceForLease(t, 16, func(i int) (custexport.Lease, error) {
			return dbs[i%2].AcquireLease(ctx, "partner:7", fmt.Sprintf("racer %d", i), time.Minute, "")
		})
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

	dead, err := dbs[0].AcquireLease(ctx, "user:1", "crashed", -time.Second, "")
	if err != nil {
		t.Fatal(err)
	}
	live, err := dbs[1].AcquireLease(ctx, "user:1", "new", time.Minute, "")
	if err != nil || live.Fence != dead.Fence+1 {
		t.Fatalf("taking over an expired lease: %+v, %v", live, err)
	}
	if _, err := dbs[0].RenewLease(ctx, dead, time.Minute); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("the old holder's heartbeat must learn it lost the slot, got %v", err)
	}
	if err := dbs[0].ReleaseLease(ctx, dead); err != nil {
		t.Fatal(err)
	}
	if _, err := dbs[0].AcquireLease(ctx, "user:1", "third", time.Minute, ""); custexport.ErrorCode(err) != custexport.CodeBusy {
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
		if e.Hash != storetest.LogKey.EntryMAC(&e) {
			t.Fatalf("entry %d: stored MAC is not its own", e.ID)
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
	// The change must wait for the insert: proven by the server, which shows the change's
	// backend waiting for a lock (pg_locks), not by a pause of the test.
	watch, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	for waiting := false; !waiting; {
		select {
		case err := <-done:
			t.Fatalf("the password changed (%v) while a session insert was under way", err)
		default:
		}
		if err := watch.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE NOT l.granted AND a.datname = current_database())`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
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
