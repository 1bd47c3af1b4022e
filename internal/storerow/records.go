package storerow

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/custexport/custexport"
)

// Rows is what both drivers' result sets offer (database/sql's *sql.Rows and pgx.Rows).
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// Scanner reads one row into the destinations, as Rows.Scan and a single row's Scan do.
type Scanner = func(dest ...any) error

// Collect reads every row with scan; the caller closes rows.
func Collect[T any](rows Rows, scan func(Scanner) (*T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// Each calls fn for every row read with scan, stopping at fn's first error; the caller closes
// rows.
func Each[T any](rows Rows, scan func(Scanner) (*T, error), fn func(*T) error) error {
	for rows.Next() {
		v, err := scan(rows.Scan)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Times are stored as unix milliseconds (UTC), 0 for "never" where a time may be missing.
func fromMilli(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func fromMilliOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return fromMilli(ms)
}

// UserColumns are the columns ScanUser reads, in its order.
const UserColumns = `id, name, password_hash, created_at, password_changed_at, last_login_at`

// ScanUser reads a row of UserColumns.
func ScanUser(scan Scanner) (*custexport.User, error) {
	var u custexport.User
	var created, changed, lastLogin int64
	if err := scan(&u.ID, &u.Name, &u.PasswordHash, &created, &changed, &lastLogin); err != nil {
		return nil, err
	}
	u.CreatedAt, u.PasswordChangedAt, u.LastLoginAt = fromMilli(created), fromMilli(changed), fromMilliOrZero(lastLogin)
	return &u, nil
}

// SessionColumns are the columns ScanSession reads, in its order.
const SessionColumns = `id, user_id, token_hash, created_at, last_seen_at`

// ScanSession reads a row of SessionColumns.
func ScanSession(scan Scanner) (*custexport.Session, error) {
	var s custexport.Session
	var created, lastSeen int64
	if err := scan(&s.ID, &s.UserID, &s.TokenHash, &created, &lastSeen); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt = fromMilli(created), fromMilli(lastSeen)
	return &s, nil
}

// PrepareSession checks a new session's token hash and fills its times as stored: now when
// unset, in milliseconds.
func PrepareSession(s *custexport.Session, now time.Time) error {
	if len(s.TokenHash) != custexport.SessionTokenHashSize {
		return custexport.FieldError("token_hash", "a session's token hash is %d bytes (SHA-256), not %d", custexport.SessionTokenHashSize, len(s.TokenHash))
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = now
	}
	if s.LastSeenAt.IsZero() {
		s.LastSeenAt = s.CreatedAt
	}
	s.CreatedAt = s.CreatedAt.UTC().Truncate(time.Millisecond)
	s.LastSeenAt = s.LastSeenAt.UTC().Truncate(time.Millisecond)
	return nil
}

// PartnerColumns are the columns ScanPartner reads, in its order.
const PartnerColumns = `id, name, note, valid_until, link_salt, created_at, last_used_at`

// ScanPartner reads a row of PartnerColumns.
func ScanPartner(scan Scanner) (*custexport.Partner, error) {
	var p custexport.Partner
	var validUntil string
	var created, lastUsed int64
	if err := scan(&p.ID, &p.Name, &p.Note, &validUntil, &p.LinkSalt, &created, &lastUsed); err != nil {
		return nil, err
	}
	if validUntil != "" {
		d, err := custexport.ParseDate(validUntil)
		if err != nil {
			return nil, fmt.Errorf("partner %d: stored valid-until %q: %w", p.ID, validUntil, err)
		}
		p.ValidUntil = d
	}
	p.CreatedAt, p.LastUsedAt = fromMilli(created), fromMilliOrZero(lastUsed)
	return &p, nil
}

// JobColumns are the columns ScanJob reads, in its order.
const JobColumns = `id, user_id, format, encoding, guard, date_from, date_until, state,
	rows_done, rows_total, bytes, replaced, error, file, created_at, updated_at, ended_at`

// ScanJob reads a row of JobColumns.
func ScanJob(scan Scanner) (*custexport.ExportJob, error) {
	var (
		j                       custexport.ExportJob
		format, encoding, state string
		from, until             string
		created, updated, ended int64
	)
	if err := scan(&j.ID, &j.UserID, &format, &encoding, &j.Options.FormulaGuard, &from, &until, &state,
		&j.RowsDone, &j.RowsTotal, &j.Bytes, &j.Replaced, &j.Error, &j.File, &created, &updated, &ended); err != nil {
		return nil, err
	}
	j.Options.Format, j.Options.Encoding, j.State = custexport.Format(format), custexport.Encoding(encoding), custexport.JobState(state)
	var err error
	if from != "" {
		if j.Options.Filter.From, err = custexport.ParseDate(from); err != nil {
			return nil, err
		}
	}
	if until != "" {
		if j.Options.Filter.Until, err = custexport.ParseDate(until); err != nil {
			return nil, err
		}
	}
	j.CreatedAt, j.UpdatedAt, j.EndedAt = fromMilli(created), fromMilli(updated), fromMilliOrZero(ended)
	return &j, nil
}

// AccessColumns are the columns ScanAccess reads, in its order.
const AccessColumns = `id, at, principal_kind, principal_id, principal_name, channel, client_ip, user_agent,
	format, encoding, filter, outcome, reason, rows, bytes, duration_ms, replaced, prev_hash, hash`

// ScanAccess reads a row of AccessColumns. The user agent is read as bytes: PostgreSQL keeps it
// in a bytea column (a client may send any bytes), SQLite as text.
func ScanAccess(scan Scanner) (*custexport.AccessEntry, error) {
	var e custexport.AccessEntry
	var at, durationMS int64
	var kind, channel, format, encoding, outcome string
	var userAgent []byte
	if err := scan(&e.ID, &at, &kind, &e.Principal.ID, &e.Principal.Name, &channel, &e.ClientIP,
		&userAgent, &format, &encoding, &e.Filter, &outcome, &e.Reason, &e.Rows, &e.Bytes, &durationMS,
		&e.Replaced, &e.PrevHash, &e.Hash); err != nil {
		return nil, err
	}
	e.At = fromMilli(at)
	e.Duration = time.Duration(durationMS) * time.Millisecond
	e.UserAgent = string(userAgent)
	e.Principal.Kind = custexport.PrincipalKind(kind)
	e.Channel, e.Format, e.Encoding = custexport.Channel(channel), custexport.Format(format), custexport.Encoding(encoding)
	e.Outcome = custexport.Outcome(outcome)
	return &e, nil
}

// ImportColumns are the columns ScanImport reads, in its order.
const ImportColumns = `id, at, principal_kind, principal_id, principal_name, file, encoding,
	delimiter, dry_run, rows, created, updated, unchanged, skipped, unknown, skipped_rows, error,
	changes, reverts, removed, ` + revertedBySQL

// ScanImport reads a row of ImportColumns.
func ScanImport(scan Scanner) (*custexport.ImportRecord, error) {
	var r custexport.ImportRecord
	var at int64
	var kind, encoding, unknown, skipped string
	var revertedBy *int64
	if err := scan(&r.ID, &at, &kind, &r.Principal.ID, &r.Principal.Name, &r.File, &encoding, &r.Delimiter,
		&r.DryRun, &r.Rows, &r.Created, &r.Updated, &r.Unchanged, &r.Skipped, &unknown, &skipped, &r.Error,
		&r.Changes, &r.Reverts, &r.Removed, &revertedBy); err != nil {
		return nil, err
	}
	if revertedBy != nil {
		r.RevertedBy = *revertedBy
	}
	r.At = fromMilli(at)
	r.Principal.Kind, r.Encoding = custexport.PrincipalKind(kind), custexport.Encoding(encoding)
	json.Unmarshal([]byte(unknown), &r.Unknown)
	if strings.HasPrefix(skipped, "{") {
		var rows importRows
		json.Unmarshal([]byte(skipped), &rows)
		r.SkippedRows, r.Ignored, r.AcceptWarnings = rows.Skipped, rows.Ignored, rows.AcceptWarnings
		r.Warnings, r.WarningRows = rows.Warnings, rows.WarningRows
	} else {
		json.Unmarshal([]byte(skipped), &r.SkippedRows) // a record from before warnings
	}
	return &r, nil
}

// importRows is the form of the skipped_rows column of a record with more than skipped rows:
// the warnings and ignored columns of issue 17 ride in the same JSON text, which spares both
// stores a migration. A record without them keeps the plain array of skipped rows, the form
// every older record has.
type importRows struct {
	Skipped        []custexport.SkippedRow    `json:"skipped"`
	Ignored        []string                   `json:"ignored,omitempty"`
	AcceptWarnings bool                       `json:"acceptWarnings,omitempty"`
	Warnings       int64                      `json:"warnings,omitempty"`
	WarningRows    []custexport.ImportWarning `json:"warningRows,omitempty"`
}

// ImportLists encodes an import's unknown header tags and its rows (skipped rows, and warnings
// and ignored columns when it has them) for their JSON columns (empty arrays, never null), and
// stamps the record's time with now when it has none.
func ImportLists(r *custexport.ImportRecord, now time.Time) (unknown, rows string) {
	u, _ := json.Marshal(append([]string{}, r.Unknown...))
	skipped := append([]custexport.SkippedRow{}, r.SkippedRows...)
	var s []byte
	if len(r.Ignored) == 0 && r.Warnings == 0 && len(r.WarningRows) == 0 && !r.AcceptWarnings {
		s, _ = json.Marshal(skipped)
	} else {
		s, _ = json.Marshal(importRows{Skipped: skipped, Ignored: r.Ignored, AcceptWarnings: r.AcceptWarnings,
			Warnings: r.Warnings, WarningRows: r.WarningRows})
	}
	if r.At.IsZero() {
		r.At = now.UTC().Truncate(time.Millisecond)
	}
	return string(u), string(s)
}

// SummaryColumns are the columns ScanSummary reads, in its order.
const SummaryColumns = `id, guid, email, billing_full_name, billing_company, company_id, billing_city, registration_date`

// ScanSummary reads a row of SummaryColumns: a customer as the admin UI's list shows it.
func ScanSummary(scan Scanner) (*custexport.CustomerSummary, error) {
	var c custexport.CustomerSummary
	var registered int64
	if err := scan(&c.ID, &c.GUID, &c.Email, &c.FullName, &c.Company, &c.CompanyID, &c.City, &registered); err != nil {
		return nil, err
	}
	c.Registered = time.Unix(registered, 0).UTC()
	return &c, nil
}

// CheckpointColumns are the columns ScanCheckpoint reads, in its order (table
// access_checkpoint; access_head has the same but kind and cut_off).
const CheckpointColumns = `id, kind, at, entries, last_hash, anchor, cut_off, mac`

// HeadColumns are the columns of access_head that ScanCheckpoint reads, kind and cut-off
// filled in as constants.
const HeadColumns = `id, 'head', at, entries, last_hash, '', 0, mac`

// ScanCheckpoint reads a row of CheckpointColumns or HeadColumns.
func ScanCheckpoint(scan Scanner) (*custexport.Checkpoint, error) {
	var c custexport.Checkpoint
	var kind string
	var at, cutOff int64
	if err := scan(&c.ID, &kind, &at, &c.Count, &c.Last, &c.Anchor, &cutOff, &c.MAC); err != nil {
		return nil, err
	}
	c.Kind, c.At, c.Before = custexport.CheckpointKind(kind), fromMilli(at), fromMilliOrZero(cutOff)
	return &c, nil
}

// CheckpointValues are c's values in the order of CheckpointColumns without id.
func CheckpointValues(c *custexport.Checkpoint) []any {
	cutOff := int64(0)
	if !c.Before.IsZero() {
		cutOff = c.Before.UnixMilli()
	}
	return []any{string(c.Kind), c.At.UnixMilli(), c.Count, c.Last, c.Anchor, cutOff, c.MAC}
}

// LeaseColumns are the columns ScanLease reads, in its order (table export_lease).
const LeaseColumns = `principal, holder, fence, expires_at, note`

// ScanLease reads a row of LeaseColumns.
func ScanLease(scan Scanner) (*custexport.Lease, error) {
	var l custexport.Lease
	var expires int64
	if err := scan(&l.Principal, &l.Holder, &l.Fence, &expires, &l.Note); err != nil {
		return nil, err
	}
	l.Expires = fromMilli(expires)
	return &l, nil
}
