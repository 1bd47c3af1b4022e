package custexport

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The keyed access log (SPEC section 7).
//
// Every entry carries a MAC (HMAC-SHA256 with a key derived from the master key, which is not
// in the database) over its predecessor's MAC and its own fields, so editing an entry and
// re-chaining the ones after it needs the key. Positions count entries since the chain began,
// removed ones included. The store keeps, in the same transaction as every append, a signed
// head (count, last MAC, time), and copies of it as checkpoints: every CheckpointEvery entries
// and at least every CheckpointMaxAge while entries are written, and when serve stops
// (KeepAccessHead). Removing the newest entries then disagrees with the signed head, removing
// the oldest ones disagrees with the start or retention marker, and removing all of them
// leaves a head that counts entries that are not there.
//
// A log written before the key existed is carried over once: a signed start checkpoint
// records how many entries it had and the hash of its newest; that part is checked as before
// (ComputeHash), the rest by MAC.
//
// What it cannot prove: whoever holds both the master key and the database can rewrite both;
// and a database rolled back to look like it was never keyed (no head, no checkpoints, no
// master-key record) is carried over again. A head recorded outside (`custexport log head`)
// catches both.

// CheckpointKind says what a checkpoint marks.
type CheckpointKind string

// The kinds of checkpoint.
const (
	// CheckpointHead is a copy of the chain's head at a moment.
	CheckpointHead CheckpointKind = "head"
	// CheckpointStart marks where the keyed chain starts: Count entries of the plain chain
	// before it (the carried-over log; 0 for a new shop), the newest of them Last, the oldest
	// following Anchor.
	CheckpointStart CheckpointKind = "start"
	// CheckpointRetention records a retention pruning: the entries up to position Count, the
	// newest of them Last, were deleted because they were older than Before.
	CheckpointRetention CheckpointKind = "retention"
	// CheckpointNewKey records that the master key was replaced (migrate --new-master-key) when
	// the chain had Count entries: their MACs were made with the earlier key, which is gone, so
	// only their order can be checked.
	CheckpointNewKey CheckpointKind = "new-key"
)

// The rule for keeping checkpoints: a copy of the head after every CheckpointEvery entries, and
// whenever an entry is written more than CheckpointMaxAge after the newest copy.
const (
	CheckpointEvery  = 100
	CheckpointMaxAge = 5 * time.Minute
)

// Checkpoint is a signed statement about the chain: the head, a copy of it, or a marker.
type Checkpoint struct {
	ID     int64
	Kind   CheckpointKind
	At     time.Time
	Count  int64     // the position of Last: entries since the chain began, removed ones included
	Last   string    // the hash of the entry at Count; "" when Count is 0
	Anchor string    // start: the PrevHash of the oldest entry carried over ("" unless pruned before)
	Before time.Time // retention: the cut-off
	MAC    string
}

// LogKey MACs the access log's entries and checkpoints. It is derived from the master key
// (linksign.Signer.LogKey), so a stolen or altered database alone cannot make a valid entry.
type LogKey struct{ key []byte }

// NewLogKey returns the LogKey with key, which it copies.
func NewLogKey(key []byte) *LogKey { return &LogKey{key: bytes.Clone(key)} }

// EntryMAC is the entry's keyed hash: HMAC-SHA256 over the same fields ComputeHash covers.
func (k *LogKey) EntryMAC(e *AccessEntry) string {
	m := hmac.New(sha256.New, k.key)
	e.writeFields(m, "custexport-access-v2")
	return hex.EncodeToString(m.Sum(nil))
}

func (k *LogKey) checkpointMAC(c *Checkpoint) string {
	m := hmac.New(sha256.New, k.key)
	for _, s := range []string{"custexport-checkpoint-v1", string(c.Kind), strconv.FormatInt(c.At.UnixMilli(), 10),
		strconv.FormatInt(c.Count, 10), c.Last, c.Anchor, strconv.FormatInt(millisOrZero(c.Before), 10)} {
		m.Write([]byte(strconv.Itoa(len(s)) + ":" + s))
	}
	return hex.EncodeToString(m.Sum(nil))
}

func millisOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Sign sets c.MAC; its time is first cut to milliseconds, as stores keep it.
func (k *LogKey) Sign(c *Checkpoint) {
	c.At = c.At.UTC().Truncate(time.Millisecond)
	if !c.Before.IsZero() {
		c.Before = c.Before.UTC().Truncate(time.Millisecond)
	}
	c.MAC = k.checkpointMAC(c)
}

// Signed reports whether c carries a valid MAC of this key (constant-time comparison).
func (k *LogKey) Signed(c *Checkpoint) bool {
	return hmac.Equal([]byte(c.MAC), []byte(k.checkpointMAC(c)))
}

// Chain links e after head: it sets e's PrevHash and Hash and returns the new signed head.
// Stores call it under their append lock, in the transaction that stores both.
func (k *LogKey) Chain(head *Checkpoint, e *AccessEntry, now time.Time) Checkpoint {
	e.PrevHash = head.Last
	e.Hash = k.EntryMAC(e)
	next := Checkpoint{Kind: CheckpointHead, At: now, Count: head.Count + 1, Last: e.Hash}
	k.Sign(&next)
	return next
}

// KeepCheckpoint is the rule for copying the head into a checkpoint (see CheckpointEvery);
// newest is the newest copy kept, nil when there is none.
func KeepCheckpoint(head, newest *Checkpoint) bool {
	return newest == nil || head.Count-newest.Count >= CheckpointEvery || head.At.Sub(newest.At) >= CheckpointMaxAge
}

// StartChain returns the signed start checkpoint and head of a chain that carries over a plain
// log of count entries, the oldest following anchor and the newest hashed last.
func (k *LogKey) StartChain(count int64, anchor, last string, now time.Time) (start, head Checkpoint) {
	start = Checkpoint{Kind: CheckpointStart, At: now, Count: count, Last: last, Anchor: anchor}
	head = Checkpoint{Kind: CheckpointHead, At: now, Count: count, Last: last}
	k.Sign(&start)
	k.Sign(&head)
	return start, head
}

// RetentionMarker returns the signed marker of a pruning that deleted the entries up to
// position count, the newest of them hashed last, because they were older than before.
func (k *LogKey) RetentionMarker(count int64, last string, before, now time.Time) Checkpoint {
	c := Checkpoint{Kind: CheckpointRetention, At: now, Count: count, Last: last, Before: before}
	k.Sign(&c)
	return c
}

// NewKey is the rule of a master-key change (migrate --new-master-key): every checkpoint in all
// is signed anew with k (the operator vouches for the log as it stands), and it returns the
// new-key checkpoint at head's position and the head signed with k, for the store to write.
func (k *LogKey) NewKey(all []Checkpoint, head *Checkpoint, now time.Time) (mark, newHead Checkpoint) {
	for i := range all {
		k.Sign(&all[i])
	}
	mark = Checkpoint{Kind: CheckpointNewKey, At: now, Count: head.Count, Last: head.Last}
	newHead = Checkpoint{Kind: CheckpointHead, At: now, Count: head.Count, Last: head.Last}
	k.Sign(&mark)
	k.Sign(&newHead)
	return mark, newHead
}

// headPrefix starts the outside form of a head.
const headPrefix = "custexport-head-v1"

// FormatHead is the one-line form of a head that `custexport log head` prints for an outside
// record and `log verify --head` reads back: count, time, last MAC and the head's own MAC.
func FormatHead(h *Checkpoint) string {
	return fmt.Sprintf("%s:%d:%d:%s:%s", headPrefix, h.Count, h.At.UnixMilli(), h.Last, h.MAC)
}

// ParseHead reads FormatHead's form. It checks the shape only; LogKey.Signed checks the MAC.
func ParseHead(s string) (*Checkpoint, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	bad := Errorf(CodeInvalid, "not a head printed by `custexport log head` (expected %s:COUNT:MILLIS:LAST:MAC)", headPrefix)
	if len(parts) != 5 || parts[0] != headPrefix {
		return nil, bad
	}
	count, err1 := strconv.ParseInt(parts[1], 10, 64)
	ms, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || count < 0 || !isHex(parts[4], 64) || (parts[3] != "" && !isHex(parts[3], 64)) {
		return nil, bad
	}
	return &Checkpoint{Kind: CheckpointHead, Count: count, At: time.UnixMilli(ms).UTC(), Last: parts[3], MAC: parts[4]}, nil
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// AccessChain is the keyed part of the access log, which both stores keep.
type AccessChain interface {
	// SetLogKey gives the store the key that MACs the log; appending needs it.
	SetLogKey(k *LogKey)
	// AccessHead returns the signed head, nil when the keyed chain has not started.
	AccessHead(ctx context.Context) (*Checkpoint, error)
	// AccessCheckpoints calls fn for every checkpoint kept, oldest first.
	AccessCheckpoints(ctx context.Context, fn func(*Checkpoint) error) error
	// KeepAccessHead copies the head into a checkpoint (serve does when it stops).
	KeepAccessHead(ctx context.Context) error
	// MasterKeyCheck returns the stored check value of the shop's master key, "" when none.
	MasterKeyCheck(ctx context.Context) (string, error)
	// SetMasterKeyCheck records check as the shop's master key and starts the keyed chain if
	// it has not started. With event != nil, check replaces a different stored key: every
	// checkpoint is signed anew with the store's (new) log key, a new-key checkpoint marks
	// where the old key's MACs end, and event is appended. Without event, a different stored
	// check value is a CodeConflict error.
	SetMasterKeyCheck(ctx context.Context, check string, event *AccessEntry) error
}

// LogVerifier checks the keyed log: Begin with the kept checkpoints and the head, Check every
// entry oldest first, then Finish. Each returns the first problem found, naming it.
type LogVerifier struct {
	key     *LogKey
	head    *Checkpoint
	outside *Checkpoint
	start   *Checkpoint
	newKey  *Checkpoint
	retain  *Checkpoint
	byCount map[int64][]*Checkpoint
	all     []*Checkpoint
	pos     int64 // position of the last entry checked
	prev    string
	first   bool
	Checked int64
	Legacy  int64 // entries checked the plain way (carried over)
	Unkeyed int64 // entries whose MAC was made with an earlier key: only their order was checked
}

// Begin prepares the verification of a log with these checkpoints (oldest first) and head,
// against outside, a head recorded outside (nil when none).
func (k *LogKey) Begin(checkpoints []Checkpoint, head, outside *Checkpoint) (*LogVerifier, *ChainBreak) {
	v := &LogVerifier{key: k, head: head, outside: outside, byCount: map[int64][]*Checkpoint{}, first: true}
	for i := range checkpoints {
		c := &checkpoints[i]
		if !k.Signed(c) {
			return nil, &ChainBreak{Reason: fmt.Sprintf("checkpoint %d (%s, %s) is not signed with this shop's master key: it was altered or forged", c.ID, c.Kind, c.At.Format(time.RFC3339))}
		}
		switch c.Kind {
		case CheckpointStart:
			if v.start == nil {
				v.start = c
			}
		case CheckpointRetention:
			if v.retain == nil || c.Count > v.retain.Count {
				v.retain = c
			}
		case CheckpointNewKey:
			if v.newKey == nil || c.Count > v.newKey.Count {
				v.newKey = c
			}
		}
		v.all = append(v.all, c)
		v.byCount[c.Count] = append(v.byCount[c.Count], c)
	}
	if head != nil && !k.Signed(head) {
		return nil, &ChainBreak{Reason: "the log's head is not signed with this shop's master key: it was altered or forged"}
	}
	if outside != nil && !k.Signed(outside) {
		return nil, &ChainBreak{Reason: "the head given with --head is not signed with this shop's master key (a typo, or another shop's head)"}
	}
	if head == nil && len(checkpoints) == 0 {
		return v, nil // never keyed: Finish reports what that means
	}
	if head == nil {
		return nil, &ChainBreak{Reason: "the log's signed head is missing (removed): the newest entries may have been removed with it"}
	}
	if v.start == nil {
		return nil, &ChainBreak{Reason: "the log's start checkpoint is missing (removed): where the keyed chain begins cannot be checked"}
	}
	if v.retain != nil {
		v.pos, v.prev = v.retain.Count, v.retain.Last
	} else {
		v.pos, v.prev = 0, v.start.Anchor
	}
	return v, nil
}

// Check verifies the next entry.
func (v *LogVerifier) Check(e *AccessEntry) *ChainBreak {
	if v.start == nil {
		return &ChainBreak{ID: e.ID, Reason: "is in a log without a signed head or start checkpoint: the log's checkpoints were removed"}
	}
	v.pos++
	first := v.first
	v.first = false
	if e.PrevHash != v.prev {
		switch {
		case first && v.retain != nil:
			return &ChainBreak{ID: e.ID, Reason: fmt.Sprintf("does not follow the retention marker of %s (entries before %s deleted): entries after the retention cut-off were removed",
				v.retain.At.Format(time.RFC3339), v.retain.Before.Format(time.RFC3339))}
		case first:
			return &ChainBreak{ID: e.ID, Reason: "is the oldest entry, but entries before it were removed and no retention marker accounts for them"}
		default:
			return &ChainBreak{ID: e.ID, Reason: "does not follow the entry before it: an entry before it was removed or altered"}
		}
	}
	switch {
	case v.pos <= v.start.Count:
		v.Legacy++
		if e.ComputeHash() != e.Hash {
			return &ChainBreak{ID: e.ID, Reason: "was altered: its content does not match its hash"}
		}
	case v.newKey != nil && v.pos <= v.newKey.Count:
		v.Unkeyed++ // written under the earlier key: its order is checked, its MAC cannot be
	default:
		if !hmac.Equal([]byte(v.key.EntryMAC(e)), []byte(e.Hash)) {
			return &ChainBreak{ID: e.ID, Reason: "was altered or written without the key: its MAC does not match"}
		}
	}
	for _, c := range v.byCount[v.pos] {
		if c.Last != e.Hash && c.Kind != CheckpointRetention {
			return &ChainBreak{ID: e.ID, Reason: fmt.Sprintf("is not the entry the %s checkpoint of %s counted at position %d: entries up to it were altered or re-chained",
				c.Kind, c.At.Format(time.RFC3339), c.Count)}
		}
	}
	if v.outside != nil && v.outside.Count == v.pos && v.outside.Last != e.Hash {
		return &ChainBreak{ID: e.ID, Reason: fmt.Sprintf("is not the entry the outside head of %s counted at position %d: entries up to it were altered or re-chained",
			v.outside.At.Format(time.RFC3339), v.outside.Count)}
	}
	v.prev = e.Hash
	v.Checked++
	return nil
}

// Finish checks the end of the log against the head and the checkpoints.
func (v *LogVerifier) Finish() *ChainBreak {
	if v.start == nil {
		if v.outside != nil && v.outside.Count > 0 {
			return &ChainBreak{Reason: fmt.Sprintf("the log has no signed head, but the outside head of %s counts %d entries: the log and its checkpoints were removed",
				v.outside.At.Format(time.RFC3339), v.outside.Count)}
		}
		return nil
	}
	if v.head.Count > v.pos {
		return &ChainBreak{Reason: fmt.Sprintf("the newest entries were removed: the signed head of %s counts %d entries, the log ends at %d",
			v.head.At.Format(time.RFC3339), v.head.Count, v.pos)}
	}
	if v.head.Count < v.pos {
		return &ChainBreak{Reason: fmt.Sprintf("the signed head of %s counts %d entries but the log has %d: the head was replaced by an older one",
			v.head.At.Format(time.RFC3339), v.head.Count, v.pos)}
	}
	if v.head.Last != v.prev {
		return &ChainBreak{Reason: "the newest entry is not the one the signed head names: it was altered or replaced"}
	}
	for _, c := range v.all {
		if c.Count > v.pos {
			return &ChainBreak{Reason: fmt.Sprintf("the newest entries were removed: the %s checkpoint of %s counts %d entries, the log ends at %d",
				c.Kind, c.At.Format(time.RFC3339), c.Count, v.pos)}
		}
	}
	if o := v.outside; o != nil {
		if o.Count > v.pos {
			return &ChainBreak{Reason: fmt.Sprintf("the newest entries were removed: the outside head of %s counts %d entries, the log ends at %d",
				o.At.Format(time.RFC3339), o.Count, v.pos)}
		}
		if v.retain != nil && o.Count == v.retain.Count && o.Last != v.retain.Last {
			return &ChainBreak{Reason: "the outside head does not match the retention marker at its position: the log was rewritten"}
		}
	}
	return nil
}

// Position is the position of the last entry checked (removed ones included).
func (v *LogVerifier) Position() int64 { return v.pos }

// Retention returns the newest retention marker, nil when none.
func (v *LogVerifier) Retention() *Checkpoint { return v.retain }

// Keyed reports whether the log has a keyed chain (a head); false for a log never opened with
// a master key.
func (v *LogVerifier) Keyed() bool { return v.start != nil }

// ErrNoLogKey is the error of a store asked to write the access log before it was given its
// key (AccessChain.SetLogKey): an entry without a valid MAC would read as tampering.
var ErrNoLogKey = &Error{Code: CodeInternal, Message: "the access log's key is not set: the store was opened without the master key"}

// ErrHeadMissing is the error of a store whose log has checkpoints or a recorded master key
// but no head: it was removed, and a new start would hide that.
var ErrHeadMissing = &Error{Code: CodeInternal, Message: "the access log's signed head is missing although the log was keyed " +
	"(it was removed from the database); run `custexport log verify` and restore the database from a backup"}

// MasterKeyChange is the rule both stores apply when a master key's check value is recorded
// over stored: the same key or a first one is kept (replace false); a different one replaces
// the stored one only when the operator asked for it (an event to log), and is otherwise a
// CodeConflict error.
func MasterKeyChange(stored, check string, event *AccessEntry) (replace bool, err error) {
	switch {
	case stored == "" || stored == check:
		return false, nil
	case event == nil:
		return false, Errorf(CodeConflict, "the database records a different master key")
	}
	return true, nil
}

// VerifyAccessLog checks the whole keyed log of db with key, and against outside, a head
// recorded outside (nil when none): the one verification `custexport log verify` and the
// tests run. It returns the verifier (what was checked) and the first problem, if any; err is
// a failure to read.
func VerifyAccessLog(ctx context.Context, db interface {
	AccessLog
	AccessChain
}, key *LogKey, outside *Checkpoint) (*LogVerifier, *ChainBreak, error) {
	var checkpoints []Checkpoint
	if err := db.AccessCheckpoints(ctx, func(c *Checkpoint) error {
		checkpoints = append(checkpoints, *c)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	head, err := db.AccessHead(ctx)
	if err != nil {
		return nil, nil, err
	}
	v, brk := key.Begin(checkpoints, head, outside)
	if brk != nil {
		return v, brk, nil
	}
	errStop := errors.New("stop")
	err = db.AccessEntries(ctx, time.Time{}, func(e *AccessEntry) error {
		if brk = v.Check(e); brk != nil {
			return errStop
		}
		return nil
	})
	if brk != nil {
		return v, brk, nil
	}
	if err != nil {
		return v, nil, err
	}
	return v, v.Finish(), nil
}
