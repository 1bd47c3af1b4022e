package csvimport_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvfile"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/filetest"
	"github.com/custexport/custexport/internal/sample"
	"github.com/custexport/custexport/internal/seed"
	"github.com/custexport/custexport/internal/sqlite"
	"github.com/custexport/custexport/internal/storetest"
	"github.com/custexport/custexport/internal/xlsxfile"
	"github.com/custexport/custexport/internal/xmlfile"
)

var prague = sample.Prague

// seedReference is the "now" the seeded registration dates count back from (as the CLI's).
var seedReference = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// template is a database of the sample fixture and 40 seeded customers, made once and copied
// for every test that changes it.
var template struct {
	once   sync.Once
	dir    string
	path   string
	before map[string]custexport.Customer
	csv    []byte // its export: UTF-8, formula guard on
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range append(fuzzDirs, template.dir) {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// smallStore returns a fresh copy of the template database and its customers (shared: do not
// change the map).
func smallStore(t testing.TB) (*sqlite.DB, map[string]custexport.Customer) {
	t.Helper()
	template.once.Do(func() {
		if template.dir, template.err = os.MkdirTemp("", "csvimport-template"); template.err != nil {
			return
		}
		template.path = filepath.Join(template.dir, "template.db")
		db, err := sqlite.Open(context.Background(), template.path)
		if err != nil {
			template.err = err
			return
		}
		defer db.Close()
		seedStore(t, db, 40)
		template.before = stored(t, db)
		template.csv = exportCSV(t, db, custexport.EncodingUTF8, true)
		template.err = db.Checkpoint(context.Background())
	})
	if template.err != nil {
		t.Fatal(template.err)
	}
	data, err := os.ReadFile(template.path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "import.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, template.before
}

func openStore(t testing.TB) *sqlite.DB {
	t.Helper()
	return filetest.OpenSQLite(t)
}

// exoticNames replace the billing names of some seeded customers: the generator puts emoji and
// CJK only into remarks, the round trip must also carry them in names.
var exoticNames = []string{"李小龍", "Zoë 😀 Šťastná", "山田 太郎 🍣", "김민준", "Ελένη Παπαδοπούλου", "👨‍👩‍👧 Rodina Nováků"}

// seedStore fills db with n seeded customers (every 250th with an emoji or CJK name, company
// and delivery name) and the sample fixture (control characters, the doubled hour, formula
// text, three delivery addresses, a zero price ratio).
func seedStore(t testing.TB, db *sqlite.DB, n int) {
	t.Helper()
	gen := seed.New(7, n, seedReference)
	cs := make([]custexport.Customer, 0, n+10)
	for i := 0; ; i++ {
		var c custexport.Customer
		if !gen.Next(&c) {
			break
		}
		if i%250 == 0 {
			name := exoticNames[i/250%len(exoticNames)]
			c.Billing.FullName = name
			c.Billing.Company = "東京商事 " + strconv.Itoa(i)
			if len(c.Delivery) > 0 {
				c.Delivery[0].FullName = name
			}
		}
		cs = append(cs, c)
	}
	cs = append(cs, sample.Customers()...)
	if err := db.InsertCustomers(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
}

func engine(db *sqlite.DB) *exporter.Engine {
	return &exporter.Engine{
		Store:    db,
		Location: prague,
		Encoders: map[custexport.Format]exporter.EncoderFunc{
			custexport.FormatCSV: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder { return csvfile.New(w, o) },
			custexport.FormatXML: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder { return xmlfile.New(w, o) },
			custexport.FormatXLSX: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder {
				return xlsxfile.New(w, xlsxfile.Options{EncodeOptions: o})
			},
		},
	}
}

// export runs the product's export engine, as `custexport export` does.
func export(t testing.TB, db *sqlite.DB, opts custexport.ExportOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := engine(db).Export(context.Background(), opts, &buf, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func exportCSV(t testing.TB, db *sqlite.DB, enc custexport.Encoding, guard bool) []byte {
	t.Helper()
	return export(t, db, custexport.ExportOptions{Format: custexport.FormatCSV, Encoding: enc, FormulaGuard: guard})
}

func exportXML(t testing.TB, db *sqlite.DB) []byte {
	t.Helper()
	return export(t, db, custexport.ExportOptions{Format: custexport.FormatXML})
}

// importFile runs the import in the shop's time zone.
func importFile(db custexport.ImportStore, data []byte, opts csvimport.Options) (*custexport.ImportRecord, error) {
	if opts.Location == nil {
		opts.Location = prague
	}
	rec := &custexport.ImportRecord{File: "test.csv"}
	err := csvimport.Run(context.Background(), db, bytes.NewReader(data), opts, rec)
	return rec, err
}

func mustImport(t testing.TB, db custexport.ImportStore, data []byte, opts csvimport.Options) *custexport.ImportRecord {
	t.Helper()
	rec, err := importFile(db, data, opts)
	if err != nil {
		t.Fatalf("import refused: %v", err)
	}
	return rec
}

// counts is the outcome of an import in one comparable string.
func counts(r *custexport.ImportRecord) string {
	return fmt.Sprintf("rows=%d created=%d updated=%d unchanged=%d skipped=%d", r.Rows, r.Created, r.Updated, r.Unchanged, r.Skipped)
}

func wantCounts(t testing.TB, r *custexport.ImportRecord, rows, created, updated, unchanged, skipped int64) {
	t.Helper()
	want := counts(&custexport.ImportRecord{ImportCounts: custexport.ImportCounts{Rows: rows, Created: created, Updated: updated, Unchanged: unchanged, Skipped: skipped}})
	if got := counts(r); got != want {
		t.Fatalf("import counts %s, want %s; skipped rows: %+v", got, want, r.SkippedRows)
	}
}

// stored reads every customer with all delivery addresses, keyed by guid.
func stored(t testing.TB, db *sqlite.DB) map[string]custexport.Customer {
	t.Helper()
	snap, err := db.OpenSnapshot(context.Background(), custexport.SnapshotQuery{AllDelivery: true})
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	out := map[string]custexport.Customer{}
	err = snap.Each(func(c *custexport.Customer) error {
		out[strings.Clone(c.GUID)] = storetest.Clone(c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(out)) != snap.Total() {
		t.Fatalf("snapshot counted %d customers and read %d distinct guids", snap.Total(), len(out))
	}
	return out
}

// fields is the customer as named values: every column of the flat record (date-times as unix
// seconds), and the further delivery addresses, which only XML carries.
func fields(c *custexport.Customer) map[string]string {
	m := make(map[string]string, custexport.NumColumns+1)
	for col := range custexport.Column(custexport.NumColumns) {
		var v string
		switch col.Kind() {
		case custexport.KindText:
			v = c.Text(col)
		case custexport.KindDateTime:
			t := c.RegistrationDate
			if col == custexport.ColChangeTime {
				t = c.ChangeTime
			}
			v = strconv.FormatInt(t.Unix(), 10)
		case custexport.KindDate:
			v = c.BirthDate.String()
		case custexport.KindDecimal:
			v = c.PriceRatio.String()
		case custexport.KindBool:
			v = strconv.FormatBool(c.DisabledOrders)
		}
		m[col.Tag()] = v
	}
	if len(c.Delivery) > 1 {
		m["deliveryExtra"] = fmt.Sprintf("%q", c.Delivery[1:])
	} else {
		m["deliveryExtra"] = ""
	}
	return m
}

// changes lists what differs between two states of the store as "guid tag: old → new" (or a
// customer that appeared or vanished), sorted.
func changes(before, after map[string]custexport.Customer) []string {
	var out []string
	for guid, a := range after {
		b, ok := before[guid]
		if !ok {
			out = append(out, guid+" created")
			continue
		}
		fa, fb := fields(&a), fields(&b)
		var diff []string
		for tag, v := range fa {
			if fb[tag] != v && tag != "changeTime" {
				diff = append(diff, fmt.Sprintf("%s %s: %q → %q", guid, tag, fb[tag], v))
			}
		}
		// changeTime moves with every real change (SPEC section 1), so it is listed only when it
		// moved alone: an unchanged customer stamped, or a changed one not stamped.
		if moved := fa["changeTime"] != fb["changeTime"]; moved != (len(diff) > 0) {
			diff = append(diff, fmt.Sprintf("%s changeTime: %q → %q", guid, fb["changeTime"], fa["changeTime"]))
		}
		out = append(out, diff...)
	}
	for guid := range before {
		if _, ok := after[guid]; !ok {
			out = append(out, guid+" deleted")
		}
	}
	slices.Sort(out)
	return out
}

// changedFields is changes without the values: "guid tag".
func changedFields(before, after map[string]custexport.Customer) []string {
	var out []string
	for _, c := range changes(before, after) {
		if k, _, ok := strings.Cut(c, ":"); ok {
			out = append(out, k)
		} else {
			out = append(out, c)
		}
	}
	return out
}

// The test's own CSV reader and writer, sharing no code with the importer: files of every
// shape are made from real exports with them.

// parseCSV splits a CSV into records; quoted fields keep every byte (CR and LF included), a
// record ends at CRLF or LF outside quotes. A leading BOM is dropped.
func parseCSV(t testing.TB, data []byte, delim byte) [][]string {
	t.Helper()
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var rows [][]string
	var row []string
	var field []byte
	quoted, wasQuoted := false, false
	endField := func() {
		row = append(row, string(field))
		field, wasQuoted = field[:0], false
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case quoted && c == '"' && i+1 < len(data) && data[i+1] == '"':
			field = append(field, '"')
			i++
		case quoted && c == '"':
			quoted = false
		case quoted:
			field = append(field, c)
		case c == '"' && len(field) == 0 && !wasQuoted:
			quoted, wasQuoted = true, true
		case c == delim:
			endField()
		case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
		case c == '\n':
			endField()
			rows = append(rows, row)
			row = nil
		default:
			field = append(field, c)
		}
	}
	if quoted {
		t.Fatal("parseCSV: unclosed quote")
	}
	if len(field) > 0 || len(row) > 0 || wasQuoted {
		endField()
		rows = append(rows, row)
	}
	return rows
}

type quoting int

const (
	quoteAll     quoting = iota // every field quoted (the export)
	quoteMinimal                // only fields that need it
	quoteShoptet                // header unquoted with a trailing delimiter, every data field quoted
)

// csvStyle is how formatCSV writes a file.
type csvStyle struct {
	delim   byte
	lf      bool // LF record ends instead of CRLF
	bom     bool
	quoting quoting
	cp1250  bool // encode as windows-1250 ('?' for what it lacks)
}

var exportStyle = csvStyle{delim: ';', bom: true, quoting: quoteAll}

func formatCSV(rows [][]string, s csvStyle) []byte {
	var b bytes.Buffer
	if s.bom {
		b.WriteString("\xef\xbb\xbf")
	}
	end := "\r\n"
	if s.lf {
		end = "\n"
	}
	for i, row := range rows {
		for j, f := range row {
			if j > 0 {
				b.WriteByte(s.delim)
			}
			quote := s.quoting == quoteAll || s.quoting == quoteShoptet && i > 0 ||
				s.quoting != quoteShoptet && strings.ContainsAny(f, "\"\r\n"+string(s.delim))
			if quote {
				b.WriteString(`"` + strings.ReplaceAll(f, `"`, `""`) + `"`)
			} else {
				b.WriteString(f)
			}
		}
		if s.quoting == quoteShoptet && i == 0 {
			b.WriteByte(s.delim)
		}
		b.WriteString(end)
	}
	if s.cp1250 {
		out, err := charmap.Windows1250.NewEncoder().String(csvfile.Windows1250Text(b.String()))
		if err != nil {
			panic(err)
		}
		return []byte(out)
	}
	return b.Bytes()
}

// column returns the index of a tag in the header row.
func column(t testing.TB, rows [][]string, tag string) int {
	t.Helper()
	i := slices.Index(rows[0], tag)
	if i < 0 {
		t.Fatalf("no column %s in %v", tag, rows[0])
	}
	return i
}

// setCell sets one cell of the row of the customer with the guid.
func setCell(t testing.TB, rows [][]string, guid, tag, value string) {
	t.Helper()
	g, col := column(t, rows, "guid"), column(t, rows, tag)
	for _, r := range rows[1:] {
		if r[g] == guid {
			r[col] = value
			return
		}
	}
	t.Fatalf("no row with guid %s", guid)
}

// only keeps the columns with the tags, in the given order.
func only(t testing.TB, rows [][]string, tags ...string) [][]string {
	t.Helper()
	idx := make([]int, len(tags))
	for i, tag := range tags {
		idx[i] = column(t, rows, tag)
	}
	out := make([][]string, len(rows))
	for r, row := range rows {
		out[r] = make([]string, len(tags))
		for i, j := range idx {
			out[r][i] = row[j]
		}
	}
	return out
}

// guids of the stored customers, sorted.
func guids(m map[string]custexport.Customer) []string {
	out := make([]string, 0, len(m))
	for g := range m {
		out = append(out, g)
	}
	slices.Sort(out)
	return out
}
