package custexport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
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
	// OutcomeStarted is written before a download's first byte; the download's outcome entry
	// follows at its end, or "failed" (process died) when its slot is recovered after a crash.
	OutcomeStarted Outcome = "started"
)

// AccessEntry is one line of the access log (Přístupový log). Text from requests is stored as
// it came, but bounded (Bound); whoever shows it escapes it for the medium.
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
	Hash      string // MAC (LogKey.EntryMAC) over PrevHash and this entry's fields (hex); plain SHA-256 in the part carried over from before the log was keyed
}

// The bounds of an entry's text, in bytes (SPEC section 7: a user agent to 512 bytes). The user
// agent and the reason carry what a client sent (a header; a parameter's name or value); the
// others are short by construction, and bounded all the same so that no caller can store more.
const (
	MaxUserAgentBytes  = 512
	maxReasonBytes     = 1024
	maxEntryNameBytes  = 256 // the principal's name
	maxEntryShortBytes = 128 // client address, filter, format, encoding, channel, outcome
)

// Bound cuts the entry's text to its bounds (BoundText): a request can then add only so much
// to the log. Both stores call it in AppendAccess before the entry is hashed and written, so
// every channel's entries are bounded alike.
func (e *AccessEntry) Bound() {
	e.UserAgent = BoundText(e.UserAgent, MaxUserAgentBytes)
	e.Reason = BoundText(e.Reason, maxReasonBytes)
	e.Principal.Name = BoundText(e.Principal.Name, maxEntryNameBytes)
	e.ClientIP = BoundText(e.ClientIP, maxEntryShortBytes)
	e.Filter = BoundText(e.Filter, maxEntryShortBytes)
	e.Format = Format(BoundText(string(e.Format), maxEntryShortBytes))
	e.Encoding = Encoding(BoundText(string(e.Encoding), maxEntryShortBytes))
	e.Channel = Channel(BoundText(string(e.Channel), maxEntryShortBytes))
	e.Outcome = Outcome(BoundText(string(e.Outcome), maxEntryShortBytes))
}

// BoundText returns s when it has at most max bytes; otherwise its start, cut on a UTF-8
// boundary, followed by a mark saying how long s was (" …[cut, 61440 bytes]"), max bytes in
// all. A text that is not UTF-8 is cut at most three bytes before the bound. Applying it twice
// changes nothing.
func BoundText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	mark := " …[cut, " + strconv.Itoa(len(s)) + " bytes]"
	keep := max - len(mark)
	if keep < 0 { // a bound too small for the mark: the bare cut
		keep, mark = max, ""
	}
	for back := 0; back < utf8.UTFMax-1 && keep > 0 && !utf8.RuneStart(s[keep]); back++ {
		keep--
	}
	return s[:keep] + mark
}

// AccessLog is the append-only, hash-chained access log.
type AccessLog interface {
	// AppendAccess stores e after the newest entry, filling ID, PrevHash and Hash.
	AppendAccess(ctx context.Context, e *AccessEntry) error
	// AccessEntries calls fn for the entries at or after since, oldest first.
	AccessEntries(ctx context.Context, since time.Time, fn func(*AccessEntry) error) error
}

// ComputeHash returns the entry's plain chain hash, the form of the log before it was keyed
// (checked for the part of the log carried over, see LogKey): SHA-256 over PrevHash and every
// field, each length-prefixed so that no two different entries encode alike. ID is not
// included: the chain itself fixes the order, and a renumbered copy of the log still verifies.
func (e *AccessEntry) ComputeHash() string {
	h := sha256.New()
	e.writeFields(h, "custexport-access-v1")
	return hex.EncodeToString(h.Sum(nil))
}

// writeFields writes label, PrevHash and every field to w, each length-prefixed: the input of
// both the plain hash and the keyed MAC. A field added to AccessEntry later is written after
// the last one, and only for the keyed MAC (label "custexport-access-v2"): the plain part of a
// log carried over was hashed without it, and must still verify.
func (e *AccessEntry) writeFields(w io.Writer, label string) {
	var buf []byte
	str := func(s string) {
		buf = strconv.AppendInt(buf[:0], int64(len(s)), 10)
		buf = append(buf, ':')
		w.Write(buf)
		io.WriteString(w, s)
	}
	num := func(n int64) { str(strconv.FormatInt(n, 10)) }
	str(label)
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
}

// ChainBreak describes the first place where a log fails verification: the entry (ID 0 when
// the problem is not one entry, such as a removed tail) and what is wrong.
type ChainBreak struct {
	ID     int64
	Reason string
}
