package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

var securityTests = []test{
	{"LeaseOneHolderAtATime", testLeaseOneHolderAtATime},
	{"LeaseRaceExactlyOneWins", testLeaseRace},
	{"ExpiredLeaseIsTakenOverAndFenced", testExpiredLeaseIsTakenOverAndFenced},
	{"DeadLeaseIsRecoveredOnce", testDeadLeaseIsRecoveredOnce},
	{"AccessLogChain", testAccessLogChain},
	{"AccessEntryRoundTrip", testAccessEntryRoundTrip},
	{"AccessEntriesSince", testAccessEntriesSince},
	{"ConcurrentAppendsKeepOneChain", testConcurrentAppends},
	{"PartnerLifecycle", testPartnerLifecycle},
	{"PartnerBadTextRefused", testPartnerBadTextRefused},
	{"RetentionKeepsTheRestVerifiable", testRetention},
}

// RaceForLease runs racers calls of acquire at once (acquire gets the racer's number) and
// returns the one lease won; it fails t unless exactly one racer won and every other was told
// busy.
func RaceForLease(t *testing.T, racers int, acquire func(racer int) (custexport.Lease, error)) custexport.Lease {
	t.Helper()
	var wg sync.WaitGroup
	won := make(chan custexport.Lease, racers)
	for i := range racers {
		wg.Go(func() {
			l, err := acquire(i)
			if err == nil {
				won <- l
			} else if custexport.ErrorCode(err) != custexport.CodeBusy {
				t.Errorf("racer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	close(won)
	if len(won) != 1 {
		t.Fatalf("%d racers got the slot, want exactly 1", len(won))
	}
	return <-won
}

func testLeaseOneHolderAtATime(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	won := RaceForLease(t, 8, func(int) (custexport.Lease, error) {
		return db.AcquireLease(ctx, "partner:7", "racer", time.Minute, "")
	})
	if won.Principal != "partner:7" || won.Holder != "racer" || won.Fence <= 0 || !won.Expires.After(time.Now()) {
		t.Errorf("the lease won: %+v", won)
	}
	if _, err := db.AcquireLease(ctx, "partner:7", "late", time.Minute, ""); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("a held slot was taken again: %v, want a busy error", err)
	}
	if _, err := db.AcquireLease(ctx, "partner:8", "other", time.Minute, ""); err != nil {
		t.Fatalf("another principal must not be blocked: %v", err)
	}
	renewed, err := db.RenewLease(ctx, won, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if renewed.Fence != won.Fence || !renewed.Expires.After(won.Expires) {
		t.Errorf("renewed %+v from %+v: want the same fence and a later expiry", renewed, won)
	}
	if err := db.ReleaseLease(ctx, renewed); err != nil {
		t.Fatal(err)
	}
	again, err := db.AcquireLease(ctx, "partner:7", "next", time.Minute, "")
	if err != nil || again.Fence <= won.Fence {
		t.Fatalf("after release: %v, fence %d (was %d)", err, again.Fence, won.Fence)
	}
	if _, err := db.RenewLease(ctx, won, time.Minute); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("renewing a released lease that another holder took: %v, want busy", err)
	}
}

// Two processes asking for one slot at the same moment: exactly one wins, whether the slot was
// never taken, was released, or expired.
func testLeaseRace(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	race := func(principal string) []custexport.Lease {
		var mu sync.Mutex
		var won []custexport.Lease
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			wg.Go(func() {
				<-start
				l, err := db.AcquireLease(ctx, principal, fmt.Sprintf("racer %d", i), time.Minute, "")
				switch custexport.ErrorCode(err) {
				case "":
					mu.Lock()
					won = append(won, l)
					mu.Unlock()
				case custexport.CodeBusy:
				default:
					t.Errorf("%s racer %d: %v", principal, i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(won) != 1 {
			t.Fatalf("%s: %d of 2 racers got the slot, want exactly 1", principal, len(won))
		}
		return won
	}
	for round := range 10 {
		principal := fmt.Sprintf("user:%d", round)
		first := race(principal)[0]
		if err := db.ReleaseLease(ctx, first); err != nil {
			t.Fatal(err)
		}
		second := race(principal)[0]
		if second.Fence <= first.Fence {
			t.Fatalf("%s: fence %d after %d", principal, second.Fence, first.Fence)
		}
	}
	// Over an expired lease.
	for round := range 10 {
		principal := fmt.Sprintf("partner:%d", round)
		if _, err := db.AcquireLease(ctx, principal, "crashed", -time.Second, ""); err != nil {
			t.Fatal(err)
		}
		race(principal)
	}
}

func testExpiredLeaseIsTakenOverAndFenced(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	dead, err := db.AcquireLease(ctx, "user:1", "crashed", -time.Second, "") // already expired
	if err != nil {
		t.Fatal(err)
	}
	live, err := db.AcquireLease(ctx, "user:1", "new", time.Minute, "")
	if err != nil {
		t.Fatalf("an expired lease must be free: %v", err)
	}
	if live.Fence <= dead.Fence {
		t.Errorf("the new holder's fence %d is not above the dead one's %d", live.Fence, dead.Fence)
	}
	if _, err := db.RenewLease(ctx, dead, time.Minute); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("the old holder's heartbeat must learn it lost the slot, got %v", err)
	}
	db.ReleaseLease(ctx, dead) // must not free the new holder's slot
	if _, err := db.AcquireLease(ctx, "user:1", "third", time.Minute, ""); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("a stale release freed the live lease %+v: %v", live, err)
	}
	if _, err := db.RenewLease(ctx, live, time.Minute); err != nil {
		t.Fatalf("the live holder lost its lease: %v", err)
	}
}

// A lease whose process died keeps its note past its expiry: the slot is not taken over until
// RecoverLeases has handed the note out, once; a released lease has no note to recover.
func testDeadLeaseIsRecoveredOnce(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	if _, err := db.AcquireLease(ctx, "partner:7", "dead", -time.Second, "what the log needs"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcquireLease(ctx, "partner:7", "next", time.Minute, ""); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("an expired lease with its note unrecovered was taken over: %v", err)
	}
	dead, err := db.RecoverLeases(ctx)
	if err != nil || len(dead) != 1 || dead[0].Principal != "partner:7" || dead[0].Holder != "dead" || dead[0].Note != "what the log needs" {
		t.Fatalf("RecoverLeases = %+v, %v; want the dead lease with its note", dead, err)
	}
	if again, err := db.RecoverLeases(ctx); err != nil || len(again) != 0 {
		t.Fatalf("a second RecoverLeases = %+v, %v; want nothing", again, err)
	}
	l, err := db.AcquireLease(ctx, "partner:7", "next", time.Minute, "another export")
	if err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if err := db.ReleaseLease(ctx, l); err != nil {
		t.Fatal(err)
	}
	if released, err := db.RecoverLeases(ctx); err != nil || len(released) != 0 {
		t.Fatalf("a released lease was recovered: %+v, %v", released, err)
	}
}

// FillAccessLog appends four entries to the access log: three exports by a partner (served,
// denied, busy; the user agent has a CR LF in it) and the event of creating partner "Sklad". It
// returns the three it appended itself, as AppendAccess filled them.
func FillAccessLog(t *testing.T, db custexport.Database) []*custexport.AccessEntry {
	t.Helper()
	ctx := t.Context()
	var appended []*custexport.AccessEntry
	for i, outcome := range []custexport.Outcome{custexport.OutcomeServed, custexport.OutcomeDenied, custexport.OutcomeBusy} {
		e := &custexport.AccessEntry{
			Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 7, Name: "Účetní"},
			Channel:   custexport.ChannelURL, ClientIP: "192.0.2.1", UserAgent: "curl/8\r\nX-Injected: 1",
			Format: custexport.FormatCSV, Outcome: outcome, Reason: "r" + string(rune('0'+i)), Rows: int64(i * 10),
		}
		if err := db.AppendAccess(ctx, e); err != nil {
			t.Fatal(err)
		}
		appended = append(appended, e)
	}
	p := &custexport.Partner{Name: "Sklad", LinkSalt: []byte("salt")}
	if err := db.CreatePartner(ctx, p, operator); err != nil {
		t.Fatal(err)
	}
	return appended
}

func testAccessLogChain(t *testing.T, db custexport.Database) {
	if brk, n := VerifyChain(t, db); brk != nil || n != 0 {
		t.Fatalf("an empty log: %+v, %d entries", brk, n)
	}
	var prev string
	for _, e := range FillAccessLog(t, db) {
		if e.ID == 0 || e.PrevHash != prev || e.Hash == "" || e.Hash != LogKey.EntryMAC(e) || e.At.IsZero() {
			t.Fatalf("AppendAccess filled ID %d, PrevHash %q (want %q), Hash %q, At %v", e.ID, e.PrevHash, prev, e.Hash, e.At)
		}
		prev = e.Hash
	}
	if brk, n := VerifyChain(t, db); brk != nil || n != 4 {
		t.Fatalf("an untouched log of %d entries fails: %+v", n, brk)
	}
	var events, agents int
	for _, e := range accessLog(t, db) {
		if e.Outcome == custexport.OutcomeEvent && strings.Contains(e.Reason, "Sklad") {
			events++
		}
		if e.UserAgent == "curl/8\r\nX-Injected: 1" {
			agents++
		}
	}
	if events != 1 || agents != 3 {
		t.Fatalf("partner events %d (want 1), user agents kept exactly %d (want 3)", events, agents)
	}
}

// Every field of an entry is stored as given (times to the millisecond), and the hash read back
// is the one computed over them.
func testAccessEntryRoundTrip(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	at := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.UTC)
	in := custexport.AccessEntry{
		At:        at.In(time.FixedZone("X", 3600)),
		Principal: custexport.Principal{Kind: custexport.PrincipalUser, ID: 42, Name: "Šárka 😀 <b>"},
		Channel:   custexport.ChannelAdmin, ClientIP: "2001:db8::1", UserAgent: "Mozilla/5.0 \"quoted\"",
		Format: custexport.FormatXLSX, Encoding: custexport.EncodingWindows1250, Filter: "2024-01-01..2024-12-31",
		Outcome: custexport.OutcomeFailed, Reason: "disk full\nsecond line", Rows: 1234567, Bytes: 9876543210,
		Duration: 1500 * time.Millisecond, Replaced: 3,
	}
	e := in
	if err := db.AppendAccess(ctx, &e); err != nil {
		t.Fatal(err)
	}
	log := accessLog(t, db)
	if len(log) != 1 {
		t.Fatalf("%d entries, want 1", len(log))
	}
	got := log[0]
	if !got.At.Equal(at) {
		t.Errorf("At read back as %v, want %v", got.At, at)
	}
	got.At = in.At
	want := in
	want.ID, want.PrevHash, want.Hash = e.ID, "", e.Hash
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entry read back:\n got %+v\nwant %+v", got, want)
	}
	if got.Hash != LogKey.EntryMAC(&got) {
		t.Error("the hash read back does not match the entry read back")
	}
	// An At below the millisecond is stored, and hashed, to the millisecond.
	e2 := custexport.AccessEntry{At: at.Add(time.Second + 123456*time.Nanosecond), Outcome: custexport.OutcomeServed}
	if err := db.AppendAccess(ctx, &e2); err != nil {
		t.Fatal(err)
	}
	// A request's User-Agent is stored as it came, whatever its bytes: NUL, bytes that are not
	// UTF-8. (The other texts reach the log escaped, e.g. by %q in error messages.)
	odd := custexport.AccessEntry{
		At: at.Add(2 * time.Second), Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 9, Name: "oddname"},
		Channel: custexport.ChannelURL, ClientIP: "192.0.2.7", UserAgent: "agent \xff\xfe\x00 \xc3( \x7f",
		Outcome: custexport.OutcomeBadRequest, Reason: `dateFrom: "\x00\xff" is not a valid date`,
	}
	e3 := odd
	if err := db.AppendAccess(ctx, &e3); err != nil {
		t.Fatalf("appending an entry with NUL and non-UTF-8 bytes: %v", err)
	}
	log = accessLog(t, db)
	if len(log) != 3 {
		t.Fatalf("%d entries, want 3", len(log))
	}
	got = log[2]
	got.At = odd.At
	want = odd
	want.ID, want.PrevHash, want.Hash = e3.ID, e2.Hash, e3.Hash
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entry with odd bytes read back:\n got %#v\nwant %#v", got, want)
	}
	if brk, n := VerifyChain(t, db); brk != nil || n != 3 {
		t.Fatalf("%d entries verify with break %+v", n, brk)
	}
	if n, err := db.CountAccess(ctx, custexport.AccessQuery{Principal: "oddname"}); err != nil || n != 1 {
		t.Errorf("CountAccess of the odd principal = %d, %v", n, err)
	}
}

func testAccessEntriesSince(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if err := db.AppendAccess(ctx, &custexport.AccessEntry{At: base.Add(time.Duration(i) * time.Hour), Outcome: custexport.OutcomeServed, Rows: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var rows []int64
	err := db.AccessEntries(ctx, base.Add(2*time.Hour), func(e *custexport.AccessEntry) error {
		rows = append(rows, e.Rows)
		return nil
	})
	if err != nil || !reflect.DeepEqual(rows, []int64{2, 3, 4}) {
		t.Fatalf("entries at or after the third: %v, %v; want [2 3 4] oldest first", rows, err)
	}
	stop := fmt.Errorf("stop")
	n := 0
	err = db.AccessEntries(ctx, time.Time{}, func(*custexport.AccessEntry) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("AccessEntries returned %v after %d calls, want the callback's error after 1", err, n)
	}
}

// Appends from many goroutines at once form one chain without forks.
func testConcurrentAppends(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 5 {
				e := &custexport.AccessEntry{Outcome: custexport.OutcomeServed, Reason: fmt.Sprintf("%d/%d", i, j)}
				if err := db.AppendAccess(ctx, e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if brk, n := VerifyChain(t, db); brk != nil || n != 40 {
		t.Fatalf("40 concurrent appends: %d entries, break %+v", n, brk)
	}
	seen := map[string]bool{}
	for _, e := range accessLog(t, db) {
		if seen[e.PrevHash] {
			t.Fatalf("two entries follow %q: the chain forked", e.PrevHash)
		}
		seen[e.PrevHash] = true
	}
}

func testPartnerLifecycle(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	if ps, err := db.Partners(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("a new store lists partners %+v, %v", ps, err)
	}
	before := time.Now().Add(-time.Second)
	p := &custexport.Partner{Name: "Účetnictví", Note: "Pohoda", ValidUntil: custexport.Date{Year: 2027, Month: 1, Day: 31}, LinkSalt: []byte("s1")}
	if err := db.CreatePartner(ctx, p, operator); err != nil {
		t.Fatal(err)
	}
	if p.ID == 0 || p.CreatedAt.Before(before) || p.CreatedAt.After(time.Now().Add(time.Second)) {
		t.Fatalf("CreatePartner filled %+v", p)
	}
	if err := db.CreatePartner(ctx, &custexport.Partner{LinkSalt: []byte("x")}, operator); custexport.ErrorCode(err) != custexport.CodeInvalid {
		t.Fatalf("a nameless partner: %v", err)
	}
	got, err := db.Partner(ctx, p.ID)
	if err != nil || got.Name != p.Name || got.Note != p.Note || got.ValidUntil != p.ValidUntil || string(got.LinkSalt) != "s1" ||
		!got.CreatedAt.Equal(p.CreatedAt) || !got.LastUsedAt.IsZero() {
		t.Fatalf("Partner = %+v, %v; want %+v", got, err, p)
	}
	if _, err := db.Partner(ctx, p.ID+1000); custexport.ErrorCode(err) != custexport.CodeNotFound {
		t.Fatalf("an unknown partner: %v", err)
	}
	if err := db.RegeneratePartner(ctx, p.ID, []byte("s2"), operator); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Partner(ctx, p.ID); string(got.LinkSalt) != "s2" {
		t.Fatal("regenerate did not replace the salt")
	}
	if err := db.SetPartnerValidUntil(ctx, p.ID, custexport.Date{}, operator); err != nil {
		t.Fatal(err)
	}
	if err := db.TouchPartner(ctx, p.ID, time.UnixMilli(1700000000000)); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Partner(ctx, p.ID); !got.ValidUntil.IsZero() || got.LastUsedAt.UnixMilli() != 1700000000000 {
		t.Fatalf("after expiry change and touch: %+v", got)
	}
	second := &custexport.Partner{Name: "Sklad", LinkSalt: []byte("t1")}
	if err := db.CreatePartner(ctx, second, operator); err != nil {
		t.Fatal(err)
	}
	if ps, err := db.Partners(ctx); err != nil || len(ps) != 2 || ps[0].ID != p.ID || ps[1].ID != second.ID || string(ps[0].LinkSalt) != "s2" {
		t.Fatalf("Partners = %+v, %v; want both, by id", ps, err)
	}
	if err := db.DeletePartner(ctx, p.ID, operator); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Partner(ctx, p.ID); custexport.ErrorCode(err) != custexport.CodeNotFound {
		t.Fatalf("a deleted partner is still found: %v", err)
	}
	if ps, _ := db.Partners(ctx); len(ps) != 1 || ps[0].ID != second.ID {
		t.Fatalf("after delete Partners = %+v", ps)
	}
	if err := db.DeletePartner(ctx, p.ID, operator); custexport.ErrorCode(err) != custexport.CodeNotFound {
		t.Fatalf("deleting twice: %v", err)
	}
	for what, err := range map[string]error{
		"regenerating": db.RegeneratePartner(ctx, p.ID, []byte("s9"), operator),
		"changing":     db.SetPartnerValidUntil(ctx, p.ID, custexport.Date{Year: 2030, Month: 1, Day: 1}, operator),
	} {
		if custexport.ErrorCode(err) != custexport.CodeNotFound {
			t.Errorf("%s a deleted partner: %v, want not found", what, err)
		}
	}
	next := &custexport.Partner{Name: "Nový", LinkSalt: []byte("s3")}
	if err := db.CreatePartner(ctx, next, operator); err != nil {
		t.Fatal(err)
	}
	if next.ID == p.ID {
		t.Fatal("a new partner reused a deleted partner's id")
	}
	events := operatorEvents(t, db)
	if len(events) != 6 {
		t.Fatalf("logged partner events %q, want create, regenerate, expiry, create, delete, create (refused changes log nothing)", events)
	}
	if strings.Contains(strings.Join(events, " "), "s2") {
		t.Error("a link salt reached the access log")
	}
}

// A partner name or note that custexport.ValidatePartner refuses is refused by the store with
// that error (a control or invisible character named by its code point, an over-long or empty
// name), and nothing is written: no partner, no access-log entry.
func testPartnerBadTextRefused(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	bad := []custexport.Partner{
		{Name: "Sklad\x1b[31mBrno"}, {Name: "Sklad\rBrno"}, {Name: "Sklad\nBrno"}, {Name: "Sklad\aBrno"},
		{Name: "Sklad\u202eonrB"}, {Name: "   "}, {Name: strings.Repeat("x", custexport.MaxPartnerNameLength+1)},
		{Name: "Sklad", Note: "a\u200bb"}, {Name: "Sklad", Note: "a\tb"},
	}
	for _, p := range bad {
		want := custexport.ValidatePartner(p.Name, p.Note)
		if want == nil {
			t.Fatalf("ValidatePartner accepts name %q, note %q", p.Name, p.Note)
		}
		p.LinkSalt = []byte("s")
		err := db.CreatePartner(ctx, &p, operator)
		got := wantCode(t, fmt.Sprintf("a partner named %q with note %q", p.Name, p.Note), err, custexport.CodeInvalid)
		if got.Field != want.(*custexport.Error).Field || got.Message != want.(*custexport.Error).Message {
			t.Errorf("a partner named %q with note %q: %v; want %v", p.Name, p.Note, err, want)
		}
	}
	if ps, err := db.Partners(ctx); err != nil || len(ps) != 0 {
		t.Errorf("refused partners were stored: %+v, %v", ps, err)
	}
	if log := accessLog(t, db); len(log) != 0 {
		t.Errorf("refused partners were logged: %+v", log)
	}
}

// DeleteAccessBefore removes the old entries only; the entries kept still verify from the first
// one kept, and entries appended afterwards continue the chain.
func testRetention(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	old := time.Now().Add(-500 * 24 * time.Hour)
	for i := range 6 {
		at := old.Add(time.Duration(i) * time.Minute)
		if i >= 3 {
			at = time.Now()
		}
		if err := db.AppendAccess(ctx, &custexport.AccessEntry{At: at, Outcome: custexport.OutcomeServed, Rows: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.DeleteAccessBefore(ctx, time.Now().Add(-400*24*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("deleted %d, %v; want the 3 old entries", n, err)
	}
	if brk, n := VerifyChain(t, db); brk != nil || n != 3 {
		t.Fatalf("verified %d entries after retention, break %+v; want the 3 recent ones", n, brk)
	}
	var rows []int64
	for _, e := range accessLog(t, db) {
		rows = append(rows, e.Rows)
	}
	if !reflect.DeepEqual(rows, []int64{3, 4, 5}) {
		t.Fatalf("entries %v kept after retention; want the 3 recent ones", rows)
	}
	// The log goes on after retention.
	if err := db.AppendAccess(ctx, &custexport.AccessEntry{Outcome: custexport.OutcomeDenied, Rows: 6}); err != nil {
		t.Fatal(err)
	}
	if brk, n := VerifyChain(t, db); brk != nil || n != 4 {
		t.Fatalf("after retention and one more entry: %d verified, break %+v", n, brk)
	}
	if n, err := db.DeleteAccessBefore(ctx, time.Now().Add(-400*24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("a second retention run deleted %d, %v; want 0", n, err)
	}
	// Removing every entry leaves an empty log that starts a new chain.
	if n, err := db.DeleteAccessBefore(ctx, time.Now().Add(time.Hour)); err != nil || n != 4 {
		t.Fatalf("deleting everything: %d, %v; want 4", n, err)
	}
	if err := db.AppendAccess(ctx, &custexport.AccessEntry{Outcome: custexport.OutcomeServed, Rows: 7}); err != nil {
		t.Fatal(err)
	}
	if brk, n := VerifyChain(t, db); brk != nil || n != 1 {
		t.Fatalf("a log emptied by retention: %d verified, break %+v", n, brk)
	}
	// Entries are not in time order (an export's entry carries its start; instances' clocks
	// differ): an old entry after a recent one stays, or the chain would break at the gap.
	for _, at := range []time.Time{old, old.Add(time.Minute)} {
		if err := db.AppendAccess(ctx, &custexport.AccessEntry{At: at, Outcome: custexport.OutcomeServed}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.DeleteAccessBefore(ctx, time.Now().Add(-400*24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("retention behind a recent entry deleted %d, %v; want 0", n, err)
	}
	if brk, n := VerifyChain(t, db); brk != nil || n != 3 {
		t.Fatalf("after retention behind a recent entry: %d verified, break %+v", n, brk)
	}
}
