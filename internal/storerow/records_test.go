package storerow

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

// row is a stored row for a scanner: it copies its values into the destinations as a driver
// would, and records how many it was asked for.
type row struct {
	vals  []any
	asked int
}

func (r *row) scan(dest ...any) error {
	r.asked = len(dest)
	if len(dest) != len(r.vals) {
		return errors.New("the scanner's destinations do not match the row's values")
	}
	for i, d := range dest {
		reflect.ValueOf(d).Elem().Set(reflect.ValueOf(r.vals[i]))
	}
	return nil
}

// columns counts the columns of a column list.
func columns(list string) int { return strings.Count(list, ",") + 1 }

const (
	ms1 = int64(1700000000123) // 2023-11-14T22:13:20.123Z
	ms2 = int64(1700000100456)
)

var (
	t1 = time.UnixMilli(ms1).UTC()
	t2 = time.UnixMilli(ms2).UTC()
)

// Every scanner reads as many values as its column list names, in that list's order, and turns
// stored milliseconds into UTC times, 0 into "never" where a time may be missing.
func TestScanners(t *testing.T) {
	t.Run("User", func(t *testing.T) {
		r := &row{vals: []any{int64(3), "eva", "$argon2id$x", ms1, ms2, int64(0)}}
		u, err := ScanUser(r.scan)
		want := &custexport.User{ID: 3, Name: "eva", PasswordHash: "$argon2id$x", CreatedAt: t1, PasswordChangedAt: t2}
		if err != nil || !reflect.DeepEqual(u, want) || r.asked != columns(UserColumns) {
			t.Fatalf("ScanUser = %+v, %v (%d values); want %+v", u, err, r.asked, want)
		}
		r.vals[5] = ms2
		if u, _ := ScanUser(r.scan); !u.LastLoginAt.Equal(t2) || u.LastLoginAt.Location() != time.UTC {
			t.Fatalf("last login %v, want %v UTC", u.LastLoginAt, t2)
		}
	})
	t.Run("Session", func(t *testing.T) {
		r := &row{vals: []any{int64(9), int64(3), []byte{1, 2}, ms1, ms2}}
		s, err := ScanSession(r.scan)
		want := &custexport.Session{ID: 9, UserID: 3, TokenHash: []byte{1, 2}, CreatedAt: t1, LastSeenAt: t2}
		if err != nil || !reflect.DeepEqual(s, want) || r.asked != columns(SessionColumns) {
			t.Fatalf("ScanSession = %+v, %v (%d values); want %+v", s, err, r.asked, want)
		}
	})
	t.Run("Partner", func(t *testing.T) {
		r := &row{vals: []any{int64(7), "Sklad", "note", "2027-01-31", []byte("salt"), ms1, int64(0)}}
		p, err := ScanPartner(r.scan)
		want := &custexport.Partner{ID: 7, Name: "Sklad", Note: "note", ValidUntil: custexport.Date{Year: 2027, Month: 1, Day: 31},
			LinkSalt: []byte("salt"), CreatedAt: t1}
		if err != nil || !reflect.DeepEqual(p, want) || r.asked != columns(PartnerColumns) {
			t.Fatalf("ScanPartner = %+v, %v (%d values); want %+v", p, err, r.asked, want)
		}
		r.vals[3] = ""
		if p, err := ScanPartner(r.scan); err != nil || !p.ValidUntil.IsZero() {
			t.Fatalf("no expiry read as %+v, %v", p, err)
		}
		r.vals[3] = "2027-02-30"
		if _, err := ScanPartner(r.scan); err == nil || !strings.Contains(err.Error(), `partner 7: stored valid-until "2027-02-30"`) {
			t.Fatalf("a damaged valid-until: %v", err)
		}
	})
	t.Run("Job", func(t *testing.T) {
		r := &row{vals: []any{int64(5), int64(3), "csv", "windows-1250", true, "2024-01-01", "", "done",
			int64(10), int64(10), int64(999), int64(2), "", "job-5.csv", ms1, ms2, ms2}}
		j, err := ScanJob(r.scan)
		want := &custexport.ExportJob{ID: 5, UserID: 3, Options: custexport.ExportOptions{Format: custexport.FormatCSV,
			Encoding: custexport.Encoding("windows-1250"), FormulaGuard: true,
			Filter: custexport.Filter{From: custexport.Date{Year: 2024, Month: 1, Day: 1}}},
			State: custexport.JobDone, RowsDone: 10, RowsTotal: 10, Bytes: 999, Replaced: 2, File: "job-5.csv",
			CreatedAt: t1, UpdatedAt: t2, EndedAt: t2}
		if err != nil || !reflect.DeepEqual(j, want) || r.asked != columns(JobColumns) {
			t.Fatalf("ScanJob = %+v, %v (%d values);\nwant %+v", j, err, r.asked, want)
		}
		r.vals[6] = "not a date"
		if _, err := ScanJob(r.scan); err == nil {
			t.Fatal("a damaged date-until was read")
		}
	})
	t.Run("Access", func(t *testing.T) {
		r := &row{vals: []any{int64(1), ms1, "partner", int64(7), "Sklad", "url", "192.0.2.1", []byte("curl \xff"),
			"xml", "utf-8", "2024-01-01..", "ok", "", int64(100), int64(4096), int64(1500), int64(0), "", "h1"}}
		e, err := ScanAccess(r.scan)
		if err != nil || r.asked != columns(AccessColumns) || !e.At.Equal(t1) || e.Duration != 1500*time.Millisecond ||
			e.UserAgent != "curl \xff" || e.Principal != (custexport.Principal{Kind: custexport.PrincipalPartner, ID: 7, Name: "Sklad"}) ||
			e.Channel != custexport.Channel("url") || e.Format != custexport.FormatXML || e.Outcome != custexport.Outcome("ok") || e.Hash != "h1" {
			t.Fatalf("ScanAccess = %+v, %v (%d values)", e, err, r.asked)
		}
	})
	t.Run("Checkpoint", func(t *testing.T) {
		r := &row{vals: []any{int64(4), "retention", ms1, int64(12), "last", "", ms2, "mac"}}
		c, err := ScanCheckpoint(r.scan)
		want := &custexport.Checkpoint{ID: 4, Kind: custexport.CheckpointRetention, At: t1, Count: 12, Last: "last", Before: t2, MAC: "mac"}
		if err != nil || !reflect.DeepEqual(c, want) || r.asked != columns(CheckpointColumns) || r.asked != columns(HeadColumns) {
			t.Fatalf("ScanCheckpoint = %+v, %v (%d values); want %+v", c, err, r.asked, want)
		}
		if got := CheckpointValues(c); len(got) != columns(CheckpointColumns)-1 || got[5] != ms2 {
			t.Fatalf("CheckpointValues = %v", got)
		}
		r.vals[6] = int64(0)
		if c, _ := ScanCheckpoint(r.scan); !c.Before.IsZero() || CheckpointValues(c)[5] != int64(0) {
			t.Fatalf("a checkpoint without a cut-off: %+v", c)
		}
	})
	t.Run("Lease", func(t *testing.T) {
		r := &row{vals: []any{"partner:7", "host:1", int64(3), ms1, "note"}}
		l, err := ScanLease(r.scan)
		want := &custexport.Lease{Principal: "partner:7", Holder: "host:1", Fence: 3, Expires: t1, Note: "note"}
		if err != nil || !reflect.DeepEqual(l, want) || r.asked != columns(LeaseColumns) {
			t.Fatalf("ScanLease = %+v, %v (%d values); want %+v", l, err, r.asked, want)
		}
	})
	t.Run("Import", func(t *testing.T) {
		r := &row{vals: []any{int64(2), ms1, "user", int64(3), "eva", "in.csv", "utf-8", ";", false,
			int64(4), int64(1), int64(1), int64(1), int64(1), `["X"]`, `[{"line":3,"reason":"bad"}]`, "",
			int64(5), int64(0), int64(0), (*int64)(nil)}}
		rec, err := ScanImport(r.scan)
		if err != nil || r.asked != columns(ImportColumns) || rec.ID != 2 || !rec.At.Equal(t1) || rec.Delimiter != ";" ||
			!reflect.DeepEqual(rec.Unknown, []string{"X"}) || len(rec.SkippedRows) != 1 || rec.SkippedRows[0].Line != 3 || rec.SkippedRows[0].Reason != "bad" {
			t.Fatalf("ScanImport = %+v, %v (%d values)", rec, err, r.asked)
		}
	})
	t.Run("Summary", func(t *testing.T) {
		r := &row{vals: []any{int64(1), "g1", "a@b.cz", "Eva", "Firma", "123", "Brno", int64(1700000000)}}
		c, err := ScanSummary(r.scan)
		want := &custexport.CustomerSummary{ID: 1, GUID: "g1", Email: "a@b.cz", FullName: "Eva", Company: "Firma", CompanyID: "123",
			City: "Brno", Registered: time.Unix(1700000000, 0).UTC()}
		if err != nil || !reflect.DeepEqual(c, want) || r.asked != columns(SummaryColumns) {
			t.Fatalf("ScanSummary = %+v, %v (%d values); want %+v", c, err, r.asked, want)
		}
	})
}

// rows is a result set of rows for Collect and Each.
type rows struct {
	all []*row
	at  int
	err error
}

func (r *rows) Next() bool             { r.at++; return r.at <= len(r.all) }
func (r *rows) Scan(dest ...any) error { return r.all[r.at-1].scan(dest...) }
func (r *rows) Err() error             { return r.err }

func summaries(n int) *rows {
	rs := &rows{}
	for i := range n {
		rs.all = append(rs.all, &row{vals: []any{int64(i + 1), "g", "", "", "", "", "", int64(0)}})
	}
	return rs
}

// Collect reads every row, or returns the result set's or a row's error; Each stops at its
// function's first error.
func TestCollectAndEach(t *testing.T) {
	got, err := Collect(summaries(3), ScanSummary)
	if err != nil || len(got) != 3 || got[2].ID != 3 {
		t.Fatalf("Collect = %+v, %v", got, err)
	}
	broken := summaries(2)
	broken.err = errors.New("connection lost")
	if _, err := Collect(broken, ScanSummary); err != broken.err {
		t.Fatalf("Collect of a broken result = %v", err)
	}
	bad := summaries(2)
	bad.all[1].vals = bad.all[1].vals[:3]
	if _, err := Collect(bad, ScanSummary); err == nil {
		t.Fatal("Collect passed over a row that did not scan")
	}
	stop := errors.New("enough")
	var seen []int64
	err = Each(summaries(5), ScanSummary, func(c *custexport.CustomerSummary) error {
		seen = append(seen, c.ID)
		if c.ID == 2 {
			return stop
		}
		return nil
	})
	if err != stop || !reflect.DeepEqual(seen, []int64{1, 2}) {
		t.Fatalf("Each = %v after %v; want it to stop at the second row", err, seen)
	}
}

// A session's token hash must be a SHA-256; its times are stamped with now when unset, in whole
// milliseconds UTC, last seen starting at creation.
func TestPrepareSession(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	s := &custexport.Session{TokenHash: make([]byte, custexport.SessionTokenHashSize)}
	if err := PrepareSession(s, now); err != nil {
		t.Fatal(err)
	}
	want := now.UTC().Truncate(time.Millisecond)
	if s.CreatedAt != want || s.LastSeenAt != want {
		t.Fatalf("stamped %v, %v; want %v", s.CreatedAt, s.LastSeenAt, want)
	}
	err := PrepareSession(&custexport.Session{TokenHash: []byte("short")}, now)
	var e *custexport.Error
	if !errors.As(err, &e) || e.Code != custexport.CodeInvalid || e.Field != "token_hash" {
		t.Fatalf("a short token hash: %v", err)
	}
}

// An import's lists are JSON arrays, never null, and the record is stamped with now only when
// it has no time.
func TestImportLists(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 999999999, time.UTC)
	r := &custexport.ImportRecord{}
	if u, s := ImportLists(r, now); u != "[]" || s != "[]" || r.At != now.Truncate(time.Millisecond) {
		t.Fatalf("ImportLists of an empty record = %s, %s, at %v", u, s, r.At)
	}
	r = &custexport.ImportRecord{At: t1, Unknown: []string{"X"}, SkippedRows: []custexport.SkippedRow{{Line: 3, Reason: "bad"}}}
	if u, s := ImportLists(r, now); u != `["X"]` || !strings.HasPrefix(s, "[") || !strings.Contains(s, `"line":3`) || r.At != t1 {
		t.Fatalf("ImportLists = %s, %s, at %v", u, s, r.At)
	}
	// Warnings and ignored columns ride in the rows' JSON as an object, which ScanImport reads
	// back beside the plain array of older records.
	r.Ignored, r.Warnings = []string{"changeTime"}, 1
	r.WarningRows = []custexport.ImportWarning{{Line: 2, Column: "billingZip", Stored: "03401", Incoming: "3401", Key: "zeros_lost"}}
	_, s := ImportLists(r, now)
	if !strings.HasPrefix(s, "{") || !strings.Contains(s, `"incoming":"3401"`) || !strings.Contains(s, `"line":3`) {
		t.Fatalf("ImportLists with warnings = %s", s)
	}
}
