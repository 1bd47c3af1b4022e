package sqlite

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

var operator = custexport.Principal{Kind: custexport.PrincipalOperator, Name: "root"}

func TestLeaseOneHolderAtATime(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	const racers = 8
	var wg sync.WaitGroup
	won := make(chan custexport.Lease, racers)
	for i := range racers {
		wg.Go(func() {
			l, err := db.AcquireLease(ctx, "partner:7", "racer", time.Minute)
			if err == nil {
				won <- l
			} else if custexport.ErrorCode(err) != custexport.CodeBusy {
				t.Errorf("racer %d: %v", i, err)
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
		t.Fatalf("%d racers got the slot, want exactly 1", len(leases))
	}
	if _, err := db.AcquireLease(ctx, "partner:8", "other", time.Minute); err != nil {
		t.Fatalf("another principal must not be blocked: %v", err)
	}
	if _, err := db.RenewLease(ctx, leases[0], time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseLease(ctx, leases[0]); err != nil {
		t.Fatal(err)
	}
	again, err := db.AcquireLease(ctx, "partner:7", "next", time.Minute)
	if err != nil || again.Fence <= leases[0].Fence {
		t.Fatalf("after release: %v, fence %d (was %d)", err, again.Fence, leases[0].Fence)
	}
}

func TestExpiredLeaseIsTakenOverAndFenced(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	dead, err := db.AcquireLease(ctx, "user:1", "crashed", -time.Second) // already expired
	if err != nil {
		t.Fatal(err)
	}
	live, err := db.AcquireLease(ctx, "user:1", "new", time.Minute)
	if err != nil {
		t.Fatalf("an expired lease must be free: %v", err)
	}
	if _, err := db.RenewLease(ctx, dead, time.Minute); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("the old holder's heartbeat must learn it lost the slot, got %v", err)
	}
	db.ReleaseLease(ctx, dead) // must not free the new holder's slot
	if _, err := db.AcquireLease(ctx, "user:1", "third", time.Minute); custexport.ErrorCode(err) != custexport.CodeBusy {
		t.Fatalf("a stale release freed the live lease %+v: %v", live, err)
	}
}

func TestAccessLogChain(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	for i, outcome := range []custexport.Outcome{custexport.OutcomeServed, custexport.OutcomeDenied, custexport.OutcomeBusy} {
		e := &custexport.AccessEntry{
			Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 7, Name: "Účetní"},
			Channel:   custexport.ChannelURL, ClientIP: "192.0.2.1", UserAgent: "curl/8\r\nX-Injected: 1",
			Format: custexport.FormatCSV, Outcome: outcome, Reason: "r" + string(rune('0'+i)), Rows: int64(i * 10),
		}
		if err := db.AppendAccess(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	p := &custexport.Partner{Name: "Sklad", LinkSalt: []byte("salt")}
	if err := db.CreatePartner(ctx, p, operator); err != nil {
		t.Fatal(err)
	}
	verify := func() *custexport.ChainBreak {
		var v custexport.ChainVerifier
		var brk *custexport.ChainBreak
		err := db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
			if brk == nil {
				brk = v.Check(e)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return brk
	}
	if brk := verify(); brk != nil {
		t.Fatalf("an untouched log fails at %d: %s", brk.ID, brk.Reason)
	}
	var events, agents int
	db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		if e.Outcome == custexport.OutcomeEvent && strings.Contains(e.Reason, "Sklad") {
			events++
		}
		if e.UserAgent == "curl/8\r\nX-Injected: 1" {
			agents++
		}
		return nil
	})
	if events != 1 || agents != 3 {
		t.Fatalf("partner events %d (want 1), user agents kept exactly %d (want 3)", events, agents)
	}

	if _, err := db.sql.Exec(`UPDATE access_log SET rows = 999 WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	if brk := verify(); brk == nil || brk.ID != 2 || !strings.Contains(brk.Reason, "altered") {
		t.Fatalf("altering entry 2 gave %+v, want a break at 2", brk)
	}
	db.sql.Exec(`UPDATE access_log SET rows = 10 WHERE id = 2`)
	if _, err := db.sql.Exec(`DELETE FROM access_log WHERE id = 3`); err != nil {
		t.Fatal(err)
	}
	if brk := verify(); brk == nil || brk.ID != 4 || !strings.Contains(brk.Reason, "removed") {
		t.Fatalf("removing entry 3 gave %+v, want a break at 4", brk)
	}
}

func TestPartnerLifecycle(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	p := &custexport.Partner{Name: "Účetnictví", Note: "Pohoda", ValidUntil: custexport.Date{Year: 2027, Month: 1, Day: 31}, LinkSalt: []byte("s1")}
	if err := db.CreatePartner(ctx, p, operator); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePartner(ctx, &custexport.Partner{LinkSalt: []byte("x")}, operator); custexport.ErrorCode(err) != custexport.CodeInvalid {
		t.Fatalf("a nameless partner: %v", err)
	}
	got, err := db.Partner(ctx, p.ID)
	if err != nil || got.Name != p.Name || got.ValidUntil != p.ValidUntil || string(got.LinkSalt) != "s1" {
		t.Fatalf("Partner = %+v, %v", got, err)
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
	if err := db.DeletePartner(ctx, p.ID, operator); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Partner(ctx, p.ID); custexport.ErrorCode(err) != custexport.CodeNotFound {
		t.Fatalf("a deleted partner is still found: %v", err)
	}
	if err := db.DeletePartner(ctx, p.ID, operator); custexport.ErrorCode(err) != custexport.CodeNotFound {
		t.Fatalf("deleting twice: %v", err)
	}
	next := &custexport.Partner{Name: "Nový", LinkSalt: []byte("s3")}
	db.CreatePartner(ctx, next, operator)
	if next.ID == p.ID {
		t.Fatal("a new partner reused a deleted partner's id")
	}
	var events []string
	db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		events = append(events, e.Reason)
		return nil
	})
	if len(events) != 5 {
		t.Fatalf("logged partner events %q, want create, regenerate, expiry, delete, create", events)
	}
}

func TestPartnerActiveUntilEndOfDay(t *testing.T) {
	p := custexport.Partner{ValidUntil: custexport.Date{Year: 2026, Month: 3, Day: 31}}
	prague, _ := time.LoadLocation("Europe/Prague")
	if !p.ActiveAt(time.Date(2026, 3, 31, 23, 59, 59, 0, prague), prague) || p.ActiveAt(time.Date(2026, 4, 1, 0, 0, 0, 0, prague), prague) {
		t.Fatal("a partner's links work until the end of its valid-until day in shop time, not longer")
	}
}

func TestRetentionKeepsTheRestVerifiable(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	old := time.Now().Add(-500 * 24 * time.Hour)
	for i := range 6 {
		at := old
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
	var v custexport.ChainVerifier
	err = db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		if brk := v.Check(e); brk != nil {
			t.Errorf("entry %d %s", brk.ID, brk.Reason)
		}
		return nil
	})
	if err != nil || v.Checked != 3 {
		t.Fatalf("verified %d entries after retention, %v; want the 3 recent ones", v.Checked, err)
	}
}
