package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

// Exec runs one SQL statement on the store's database behind its back: what an attacker with
// write access to the database (but not the master key) does. The statements RunTampering
// writes are the same text for both stores (no parameters: numbers and hex only).
type Exec func(t *testing.T, query string)

// RunTampering runs every attack on the access log of issue 16's Why item 2 (and a few more)
// against a store, each on a new database from open (given LogKey by RunTampering), and checks
// that custexport.VerifyAccessLog names it. The store's own test supplies exec.
func RunTampering(t *testing.T, open func(t *testing.T) (custexport.Database, Exec)) {
	for _, tc := range tamperTests {
		t.Run(tc.name, func(t *testing.T) {
			db, exec := open(t)
			db.SetLogKey(LogKey)
			t.Cleanup(func() { db.Close() })
			tc.fn(t, db, exec)
		})
	}
}

var tamperTests = []struct {
	name string
	fn   func(t *testing.T, db custexport.Database, exec Exec)
}{
	{"Untouched", tamperNothing},
	{"NewestEntriesRemoved", tamperNewest},
	{"OldestEntriesRemoved", tamperOldest},
	{"OldestRemovedBeyondRetention", tamperBeyondRetention},
	{"AllEntriesRemoved", tamperAll},
	{"EditedAndRechainedPlain", tamperRechainPlain},
	{"EditedAndRechainedWithAnotherKey", tamperRechainOtherKey},
	{"HeadRolledBack", tamperHeadRolledBack},
	{"CheckpointForged", tamperCheckpointForged},
	{"CarriedOverLog", tamperCarriedOver},
	{"NewMasterKey", tamperNewKey},
}

// fillLog appends n served entries at the store's clock, an hour apart from base.
func fillLog(t *testing.T, db custexport.Database, base time.Time, n int) {
	t.Helper()
	for i := range n {
		e := &custexport.AccessEntry{At: base.Add(time.Duration(i) * time.Hour), Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 7, Name: "Účetní"},
			Channel: custexport.ChannelURL, Outcome: custexport.OutcomeServed, Rows: int64(i)}
		if err := db.AppendAccess(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// verifyLog verifies db's log against outside (nil: none) and returns the break.
func verifyLog(t *testing.T, db custexport.Database, outside *custexport.Checkpoint) *custexport.ChainBreak {
	t.Helper()
	_, brk, err := custexport.VerifyAccessLog(t.Context(), db, LogKey, outside)
	if err != nil {
		t.Fatal(err)
	}
	return brk
}

// wantBreak fails t unless brk names the problem with every one of words.
func wantBreak(t *testing.T, brk *custexport.ChainBreak, words ...string) {
	t.Helper()
	if brk == nil {
		t.Fatalf("the tampered log verifies as intact; want a break saying %q", words)
	}
	for _, w := range words {
		if !strings.Contains(brk.Reason, w) {
			t.Fatalf("break at %d: %q; want it to say %q", brk.ID, brk.Reason, w)
		}
	}
}

func ids(t *testing.T, db custexport.Database) []int64 {
	var out []int64
	for _, e := range accessLog(t, db) {
		out = append(out, e.ID)
	}
	return out
}

func tamperNothing(t *testing.T, db custexport.Database, _ Exec) {
	fillLog(t, db, time.Now().Add(-time.Hour), 250) // more than two checkpoints' worth
	if brk := verifyLog(t, db, nil); brk != nil {
		t.Fatalf("an untouched log fails at %d: %s", brk.ID, brk.Reason)
	}
}

func tamperNewest(t *testing.T, db custexport.Database, exec Exec) {
	fillLog(t, db, time.Now().Add(-10*time.Hour), 10)
	all := ids(t, db)
	exec(t, fmt.Sprintf("DELETE FROM access_log WHERE id >= %d", all[8]))
	wantBreak(t, verifyLog(t, db, nil), "newest entries were removed", "counts 10", "ends at 8")
}

func tamperOldest(t *testing.T, db custexport.Database, exec Exec) {
	fillLog(t, db, time.Now().Add(-10*time.Hour), 10) // all of today: retention explains none
	all := ids(t, db)
	exec(t, fmt.Sprintf("DELETE FROM access_log WHERE id <= %d", all[2]))
	brk := verifyLog(t, db, nil)
	wantBreak(t, brk, "oldest entry", "no retention marker")
	if brk.ID != all[3] {
		t.Fatalf("break at %d, want at the oldest entry left, %d", brk.ID, all[3])
	}
}

func tamperBeyondRetention(t *testing.T, db custexport.Database, exec Exec) {
	now := time.Now()
	fillLog(t, db, now.Add(-500*24*time.Hour), 3)
	fillLog(t, db, now.Add(-5*time.Hour), 5)
	if n, err := db.DeleteAccessBefore(t.Context(), now.Add(-400*24*time.Hour)); err != nil || n != 3 {
		t.Fatalf("retention deleted %d, %v; want 3", n, err)
	}
	if brk := verifyLog(t, db, nil); brk != nil {
		t.Fatalf("a log pruned by retention fails at %d: %s", brk.ID, brk.Reason)
	}
	all := ids(t, db)
	exec(t, fmt.Sprintf("DELETE FROM access_log WHERE id <= %d", all[1]))
	wantBreak(t, verifyLog(t, db, nil), "retention marker", "after the retention cut-off were removed")
	// Removing the marker too does not help.
	exec(t, "DELETE FROM access_checkpoint WHERE kind = 'retention'")
	wantBreak(t, verifyLog(t, db, nil), "no retention marker")
}

func tamperAll(t *testing.T, db custexport.Database, exec Exec) {
	fillLog(t, db, time.Now().Add(-10*time.Hour), 10)
	exec(t, "DELETE FROM access_log")
	wantBreak(t, verifyLog(t, db, nil), "newest entries were removed", "ends at 0")
	// With the head and every checkpoint gone too, the log reads as never keyed; a head kept
	// outside (log head) still tells.
	head, err := db.AccessHead(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	exec(t, "DELETE FROM access_checkpoint")
	wantBreak(t, verifyLog(t, db, nil), "start checkpoint is missing")
	exec(t, "DELETE FROM access_head")
	exec(t, "DELETE FROM master_key")
	wantBreak(t, verifyLog(t, db, head), "outside head", "counts 10")
}

// rechain rewrites every entry from the one at index from on, with mac making each hash.
func rechain(t *testing.T, db custexport.Database, exec Exec, from int, mac func(*custexport.AccessEntry) string) {
	log := accessLog(t, db)
	prev := log[from].PrevHash
	for i := from; i < len(log); i++ {
		e := &log[i]
		e.PrevHash = prev
		e.Hash = mac(e)
		exec(t, fmt.Sprintf("UPDATE access_log SET rows = %d, prev_hash = '%s', hash = '%s' WHERE id = %d", e.Rows, e.PrevHash, e.Hash, e.ID))
		prev = e.Hash
	}
}

func tamperRechainPlain(t *testing.T, db custexport.Database, exec Exec) {
	fillLog(t, db, time.Now().Add(-10*time.Hour), 10)
	log := accessLog(t, db)
	exec(t, fmt.Sprintf("UPDATE access_log SET rows = 999 WHERE id = %d", log[4].ID))
	brk := verifyLog(t, db, nil)
	wantBreak(t, brk, "altered")
	rechain(t, db, exec, 4, (*custexport.AccessEntry).ComputeHash) // the chain as it was before keys
	brk = verifyLog(t, db, nil)
	wantBreak(t, brk, "without the key")
	if brk.ID != log[4].ID {
		t.Fatalf("break at %d, want at the edited entry %d", brk.ID, log[4].ID)
	}
}

func tamperRechainOtherKey(t *testing.T, db custexport.Database, exec Exec) {
	fillLog(t, db, time.Now().Add(-10*time.Hour), 10)
	other := custexport.NewLogKey([]byte("an attacker's key"))
	rechain(t, db, exec, 0, other.EntryMAC)
	wantBreak(t, verifyLog(t, db, nil), "without the key")
}

// The newest entries and the newest checkpoints removed, and the head replaced by the copy
// kept at the position left: only a head recorded outside tells.
func tamperHeadRolledBack(t *testing.T, db custexport.Database, exec Exec) {
	fillLog(t, db, time.Now().Add(-300*time.Hour), 150)
	outside, err := db.AccessHead(t.Context())
	if err != nil || outside == nil {
		t.Fatalf("AccessHead: %+v, %v", outside, err)
	}
	all := ids(t, db)
	exec(t, fmt.Sprintf("DELETE FROM access_log WHERE id > %d", all[99])) // 100 left: the copy at 100
	wantBreak(t, verifyLog(t, db, nil), "newest entries were removed")
	exec(t, "DELETE FROM access_checkpoint WHERE entries > 100")
	exec(t, "UPDATE access_head SET at = (SELECT at FROM access_checkpoint WHERE entries = 100), entries = 100, "+
		"last_hash = (SELECT last_hash FROM access_checkpoint WHERE entries = 100), mac = (SELECT mac FROM access_checkpoint WHERE entries = 100)")
	if brk := verifyLog(t, db, nil); brk != nil {
		t.Fatalf("a rolled-back head is what a head kept outside is for; without it: %s", brk.Reason)
	}
	wantBreak(t, verifyLog(t, db, outside), "outside head", "counts 150", "ends at 100")
}

func tamperCheckpointForged(t *testing.T, db custexport.Database, exec Exec) {
	fillLog(t, db, time.Now().Add(-10*time.Hour), 10)
	exec(t, "UPDATE access_head SET entries = 9")
	wantBreak(t, verifyLog(t, db, nil), "head is not signed")
}

// A log written before keys (a plain SHA-256 chain) is carried over: verified the old way, then
// by MAC; editing and re-chaining its old part is caught by the signed start checkpoint.
func tamperCarriedOver(t *testing.T, db custexport.Database, exec Exec) {
	var prev string
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Millisecond)
	for i := range 5 {
		e := &custexport.AccessEntry{At: base.Add(time.Duration(i) * time.Hour), Principal: custexport.Principal{Kind: custexport.PrincipalOperator, Name: "root"},
			Channel: custexport.ChannelCLI, Outcome: custexport.OutcomeServed, Rows: int64(i), PrevHash: prev}
		e.Hash = e.ComputeHash()
		exec(t, fmt.Sprintf(`INSERT INTO access_log (at, principal_kind, principal_id, principal_name, channel, client_ip, user_agent,
			format, encoding, filter, outcome, reason, rows, bytes, duration_ms, replaced, prev_hash, hash)
			VALUES (%d, 'operator', 0, 'root', 'cli', '', '', '', '', '', 'served', '', %d, 0, 0, 0, '%s', '%s')`, e.At.UnixMilli(), i, e.PrevHash, e.Hash))
		prev = e.Hash
	}
	if head, err := db.AccessHead(t.Context()); err != nil || head != nil {
		t.Fatalf("a log never keyed has head %+v, %v; want none", head, err)
	}
	fillLog(t, db, time.Now().Add(-time.Hour), 3) // the first keyed append carries the old part over
	v, brk, err := custexport.VerifyAccessLog(t.Context(), db, LogKey, nil)
	if err != nil || brk != nil || v.Legacy != 5 || v.Checked != 8 {
		t.Fatalf("carried-over log: %d checked, %d the old way, break %+v, %v; want 8 and 5, intact", v.Checked, v.Legacy, brk, err)
	}
	log := accessLog(t, db)
	exec(t, fmt.Sprintf("UPDATE access_log SET rows = 999 WHERE id = %d", log[2].ID))
	wantBreak(t, verifyLog(t, db, nil), "altered")
	log[2].Rows = 999
	// Re-chaining the old part the old way: its newest hash is no longer the one the start
	// checkpoint signed.
	for i := 2; i < 5; i++ {
		log[i].PrevHash = log[i-1].Hash
		log[i].Hash = log[i].ComputeHash()
		exec(t, fmt.Sprintf("UPDATE access_log SET prev_hash = '%s', hash = '%s' WHERE id = %d", log[i].PrevHash, log[i].Hash, log[i].ID))
	}
	exec(t, fmt.Sprintf("UPDATE access_log SET prev_hash = '%s' WHERE id = %d", log[4].Hash, log[5].ID))
	wantBreak(t, verifyLog(t, db, nil), "start checkpoint")
}

// Replacing the master key (migrate --new-master-key) re-signs the checkpoints: entries made
// with the old key are checked for their order only, and new ones by the new key.
func tamperNewKey(t *testing.T, db custexport.Database, exec Exec) {
	ctx := t.Context()
	if err := db.SetMasterKeyCheck(ctx, "check-1", nil); err != nil {
		t.Fatal(err)
	}
	fillLog(t, db, time.Now().Add(-10*time.Hour), 4)
	if err := db.SetMasterKeyCheck(ctx, "check-2", nil); custexport.ErrorCode(err) != custexport.CodeConflict {
		t.Fatalf("another key without the operator's word: %v; want CodeConflict", err)
	}
	newKey := custexport.NewLogKey([]byte("the new key"))
	db.SetLogKey(newKey)
	event := &custexport.AccessEntry{Principal: operator, Channel: custexport.ChannelCLI, Outcome: custexport.OutcomeEvent, Reason: "master key replaced"}
	if err := db.SetMasterKeyCheck(ctx, "check-2", event); err != nil {
		t.Fatal(err)
	}
	if check, err := db.MasterKeyCheck(ctx); err != nil || check != "check-2" {
		t.Fatalf("MasterKeyCheck = %q, %v", check, err)
	}
	fillLog(t, db, time.Now().Add(-time.Hour), 2)
	v, brk, err := custexport.VerifyAccessLog(ctx, db, newKey, nil)
	if err != nil || brk != nil || v.Unkeyed != 4 || v.Checked != 7 {
		t.Fatalf("after a new key: %d checked, %d by order only, break %+v, %v; want 7 and 4", v.Checked, v.Unkeyed, brk, err)
	}
	if _, brk, _ := custexport.VerifyAccessLog(ctx, db, LogKey, nil); brk == nil || !strings.Contains(brk.Reason, "not signed") {
		t.Fatalf("the old key verifies the re-signed log: %+v", brk)
	}
	exec(t, fmt.Sprintf("DELETE FROM access_log WHERE id = %d", ids(t, db)[1]))
	if _, brk, _ := custexport.VerifyAccessLog(ctx, db, newKey, nil); brk == nil || !strings.Contains(brk.Reason, "removed") {
		t.Fatalf("an entry of the old key's part removed: %+v", brk)
	}
}
