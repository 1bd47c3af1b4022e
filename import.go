package custexport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// SetText sets a KindText column of the flat record, the counterpart of Text. Setting a
// delivery column of a customer without a delivery address creates the default one.
func (c *Customer) SetText(col Column, v string) {
	if col >= ColDeliveryFullName && col <= ColDeliveryCountryCode && len(c.Delivery) == 0 {
		if v == "" {
			return // clearing a field of an address that does not exist
		}
		c.Delivery = []Address{{}}
	}
	if p := c.textField(col); p != nil {
		*p = v
	}
	if col >= ColDeliveryFullName && col <= ColDeliveryCountryCode && len(c.Delivery) == 1 && c.Delivery[0].IsZero() {
		c.Delivery = nil // every field cleared: no delivery address
	}
}

// ColumnByTag finds a column by its tag, ignoring letter case (SPEC section 10).
func ColumnByTag(tag string) (Column, bool) {
	for col := range Column(NumColumns) {
		if strings.EqualFold(col.Tag(), tag) {
			return col, true
		}
	}
	return 0, false
}

// ParseGUID checks a customer id: a UUID in its 8-4-4-4-12 hex form, any letter case. It
// returns the canonical lower-case form.
func ParseGUID(s string) (string, error) {
	if len(s) != 36 {
		return "", Errorf(CodeInvalid, "%q is not a guid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
	}
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return "", Errorf(CodeInvalid, "%q is not a guid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
			}
			continue
		}
		switch {
		case '0' <= c && c <= '9' || 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			upper = true
		default:
			return "", Errorf(CodeInvalid, "%q is not a guid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s)
		}
	}
	if upper {
		return strings.ToLower(s), nil
	}
	return s, nil // the usual case: no copy
}

// NewGUID makes a random (version 4) customer id.
func NewGUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// CheckEmail accepts an address of the form local@domain.tld without spaces or control
// characters; the shop's own checks are no stricter (SPEC section 1).
func CheckEmail(s string) error {
	at := strings.IndexByte(s, '@')
	domain := s[at+1:]
	switch {
	case s == "":
		return Errorf(CodeInvalid, "the e-mail is empty")
	case at <= 0 || strings.IndexByte(domain, '@') >= 0:
		return Errorf(CodeInvalid, "%q is not an e-mail address (one @ with a name before it)", s)
	case !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, "."):
		return Errorf(CodeInvalid, "%q is not an e-mail address (the domain after @ needs a dot)", s)
	case strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return Errorf(CodeInvalid, "%q is not an e-mail address (spaces or control characters)", s)
	}
	return nil
}

// ImportCounts are what an import did (or, in a dry run, would do) with the file's rows.
type ImportCounts struct {
	Rows      int64 // data rows read
	Created   int64
	Updated   int64
	Unchanged int64
	Skipped   int64
	Removed   int64 // customers a revert removed (the reverted import had created them)
}

// SkippedRow is a row the import left out, and why.
type SkippedRow struct {
	Line   int    `json:"line"`             // the file's line where the row starts
	Column string `json:"column,omitempty"` // the column's tag, when one field is at fault
	Reason string `json:"reason"`           // in English, as the CLI prints it
	// Key names the kind of reason (e.g. "field_count") and Args are its values in order, so
	// that a user interface can say it in its own language; rows logged before keys existed
	// have none.
	Key  string   `json:"key,omitempty"`
	Args []string `json:"args,omitempty"`
}

// ImportWarning is a field whose incoming value looks like damage (what a spreadsheet does to a
// CSV opened without care: leading zeros lost, a text turned into a date, …) or is implausible
// without being invalid (an IČO with a wrong check digit). The field keeps its stored value
// unless the import was told to accept warnings (SPEC section 10).
type ImportWarning struct {
	Line     int    `json:"line"`           // the file's line where the row starts
	GUID     string `json:"guid,omitempty"` // the customer's; empty for a new one
	Column   string `json:"column"`         // the column's tag
	Stored   string `json:"stored"`         // the stored value ("" for a new customer)
	Incoming string `json:"incoming"`       // the file's value
	// Key names the kind of warning (a Warning constant) for a user interface; Reason says it in
	// English, as the CLI prints it.
	Key    string `json:"key"`
	Reason string `json:"reason"`
}

// ImportRecord is one import as the Log tab shows it.
type ImportRecord struct {
	ID        int64
	At        time.Time
	Principal Principal
	File      string
	Encoding  Encoding
	Delimiter string
	DryRun    bool
	// AcceptWarnings records that the import applied the fields it warned about.
	AcceptWarnings bool
	ImportCounts
	Unknown     []string     // header tags not recognised
	Ignored     []string     // header tags recognised and not imported (changeTime: export only)
	SkippedRows []SkippedRow // the first MaxReportedSkips
	// Warnings counts every warned field; WarningRows lists the first MaxReportedSkips.
	Warnings    int64
	WarningRows []ImportWarning
	Error       string // why the file was refused as a whole, if it was
	// Changes counts the entries of the import's change list (changed fields, created and
	// removed customers); ChangeStore.ImportChanges reads them.
	Changes int64
	// Reverts is the import this entry reverts (custexport import revert); 0 for a file.
	Reverts int64
	// RevertedBy is the applied revert of this import, 0 when none (read from the log).
	RevertedBy int64
	// Pending is a dry run's change list, which its transaction could not keep: RecordImport
	// stores it with the entry. Nil for an applied import, whose list its transaction stored.
	Pending ChangeSource
}

// MaxReportedSkips bounds the skipped rows kept with a report: a broken file of a million rows
// must not fill memory or the database. The count of skipped rows is always complete.
const MaxReportedSkips = 10_000

// ImportTx is one import's transaction: every change lands together at the end, or none does.
type ImportTx interface {
	// Customer returns the stored customer with the guid (flat record: the default delivery
	// address only), or nil; the next call may reuse it, so copy what is kept. It returns the
	// customer as the import found it: whether this import's own earlier writes show is up to
	// the store (SQLite's do, PostgreSQL's staged rows do not), and the importer never needs
	// them, because a guid asked for twice is refused. repeated reports that an earlier call of
	// this import asked for the same guid: the file names the customer twice.
	Customer(ctx context.Context, guid string) (c *Customer, repeated bool, err error)
	// EmailOwner returns the guid of the customer with the e-mail (case-insensitively), or "".
	EmailOwner(ctx context.Context, email string) (string, error)
	// AccountOwner returns the guid of the stored customer with the account guid, or "". Only
	// a new customer brings an account guid of its own (an existing one keeps its), so the
	// importer needs no more than the stored ones and SeenInFile for the file's.
	AccountOwner(ctx context.Context, accountGUID string) (string, error)
	// Now is the store's clock: the time the import stamps on what it changes (changeTime, and
	// a new customer's registrationDate when the file gives none).
	Now() time.Time
	// Insert adds a new customer; Update rewrites the flat record of an existing one (further
	// delivery addresses are kept).
	Insert(ctx context.Context, c *Customer) error
	Update(ctx context.Context, c *Customer) error
	// SeenInFile records a key (say "email:…") of this file's rows and reports whether an earlier
	// row had it. It keeps the keys out of memory, so a file of any size fits.
	SeenInFile(ctx context.Context, key string) (bool, error)
	// Delete removes the customer (a revert removes the customers the import created).
	Delete(ctx context.Context, guid string) error
	// RecordChange adds an entry to this import's change list (SPEC section 10, preview and
	// undo), in its transaction; the store numbers it (Seq).
	RecordChange(ctx context.Context, ch *FieldChange) error
	// LogImport writes the import's log entry in its transaction and sets r.ID: an applied
	// import and its change list land together. RecordImport then finds r.ID set.
	LogImport(ctx context.Context, r *ImportRecord) error
}

// ImportStore runs imports and keeps their log.
type ImportStore interface {
	// Import runs fn in one write transaction and commits it when fn succeeds and apply is
	// set; otherwise (a dry run, an error) nothing is written.
	Import(ctx context.Context, apply bool, fn func(ImportTx) error) error
	// RecordImport writes an import to the log and sets its ID, with r.Pending's changes; an
	// entry LogImport wrote already (r.ID set) is brought up to date instead.
	RecordImport(ctx context.Context, r *ImportRecord) error
	Imports(ctx context.Context, offset, limit int) ([]ImportRecord, int64, error)
	ChangeStore
}

// LogText fits outside text (an uploaded file's name) for the logs of every store: invalid
// UTF-8 becomes U+FFFD and NUL bytes are dropped, as PostgreSQL keeps neither; the import is
// recorded either way.
func LogText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}
