package custexport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// Channel is the way an export was asked for.
type Channel string

// The channels.
const (
	ChannelAdmin Channel = "admin"
	ChannelURL   Channel = "url"
	ChannelCLI   Channel = "cli"
)

// Outcome is what became of an attempt.
type Outcome string

// The outcomes of SPEC section 7, and Event for partner and admin-user changes.
const (
	OutcomeServed      Outcome = "served"
	OutcomeDenied      Outcome = "denied"
	OutcomeBusy        Outcome = "busy"
	OutcomeRateLimited Outcome = "rate_limited"
	OutcomeBadRequest  Outcome = "bad_request"
	OutcomeFailed      Outcome = "failed"
	OutcomeAborted     Outcome = "aborted"
	OutcomeEvent       Outcome = "event" // a partner or admin user was created, changed or deleted
)

// AccessEntry is one line of the access log (Přístupový log). Text from requests is stored as
// it came; whoever shows it escapes it for the medium.
type AccessEntry struct {
	ID        int64
	At        time.Time // stored in UTC
	Principal Principal // as it was at that moment
	Channel   Channel
	ClientIP  string
	UserAgent string
	Format    Format
	Encoding  Encoding
	Filter    string // e.g. "2024-01-01..2024-12-31", "" for all
	Outcome   Outcome
	Reason    string // the precise denial reason or event; internal, never sent to the client
	Rows      int64
	Bytes     int64
	Duration  time.Duration
	Replaced  int64
	PrevHash  string // hash of the entry before (hex); "" for the first
	Hash      string // SHA-256 over PrevHash and this entry's fields (hex)
}

// AccessLog is the append-only, hash-chained access log.
type AccessLog interface {
	// AppendAccess stores e after the newest entry, filling ID, PrevHash and Hash.
	AppendAccess(ctx context.Context, e *AccessEntry) error
	// AccessEntries calls fn for the entries at or after since, oldest first.
	AccessEntries(ctx context.Context, since time.Time, fn func(*AccessEntry) error) error
}

// ComputeHash returns the entry's chain hash: SHA-256 over PrevHash and every field, each
// length-prefixed so that no two different entries encode alike. ID is not included: the chain
// itself fixes the order, and a renumbered copy of the log still verifies.
func (e *AccessEntry) ComputeHash() string {
	h := sha256.New()
	var buf []byte
	str := func(s string) {
		buf = strconv.AppendInt(buf[:0], int64(len(s)), 10)
		buf = append(buf, ':')
		h.Write(buf)
		h.Write([]byte(s))
	}
	num := func(n int64) { str(strconv.FormatInt(n, 10)) }
	str("custexport-access-v1")
	str(e.PrevHash)
	num(e.At.UnixMilli())
	str(string(e.Principal.Kind))
	num(e.Principal.ID)
	str(e.Principal.Name)
	str(string(e.Channel))
	str(e.ClientIP)
	str(e.UserAgent)
	str(string(e.Format))
	str(string(e.Encoding))
	str(e.Filter)
	str(string(e.Outcome))
	str(e.Reason)
	num(e.Rows)
	num(e.Bytes)
	num(e.Duration.Milliseconds())
	num(e.Replaced)
	return hex.EncodeToString(h.Sum(nil))
}

// ChainBreak describes the first place where a log fails verification.
type ChainBreak struct {
	ID     int64
	Reason string
}

// ChainVerifier checks entries one by one, oldest first. The first entry it sees anchors the
// chain (older ones may have been removed by retention).
type ChainVerifier struct {
	prev    string
	started bool
	Checked int64
}

// Check verifies the next entry and returns the break it finds, if any.
func (v *ChainVerifier) Check(e *AccessEntry) *ChainBreak {
	defer func() { v.prev, v.started = e.Hash, true; v.Checked++ }()
	if v.started && e.PrevHash != v.prev {
		return &ChainBreak{ID: e.ID, Reason: "does not follow the entry before it: an entry before it was removed or altered"}
	}
	if e.ComputeHash() != e.Hash {
		return &ChainBreak{ID: e.ID, Reason: "was altered: its content does not match its hash"}
	}
	return nil
}
