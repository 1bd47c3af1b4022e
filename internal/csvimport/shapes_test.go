package csvimport_test

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
)

// The same export written in the shapes other programs save a CSV in imports with nothing
// changed; the detected delimiter and encoding are reported.
func TestFileShapes(t *testing.T) {
	db, before := smallStore(t)
	rows := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	n := int64(len(before))

	reordered := make([][]string, len(rows))
	for i, r := range rows {
		reordered[i] = slices.Clone(r)
		slices.Reverse(reordered[i])
	}
	for i, tag := range reordered[0] {
		switch i % 3 {
		case 0:
			reordered[0][i] = strings.ToUpper(tag)
		case 1:
			reordered[0][i] = strings.ToLower(tag)
		default:
			reordered[0][i] = " " + tag + " "
		}
	}
	unknown := make([][]string, len(rows))
	for i, r := range rows {
		extra := []string{"heslo", "Interní poznámka"}
		if i > 0 {
			extra = []string{"tajne123", fmt.Sprintf("řádek %d;\r\n\"x\"", i)}
		}
		unknown[i] = slices.Concat(extra[:1], r[:5], extra[1:], r[5:])
	}

	for _, tc := range []struct {
		name      string
		rows      [][]string
		style     csvStyle
		encoding  custexport.Encoding
		delimiter string
		unknown   []string
	}{
		{"ExportAsIs", rows, exportStyle, custexport.EncodingUTF8, ";", nil},
		{"NoBOM", rows, csvStyle{delim: ';'}, custexport.EncodingUTF8, ";", nil},
		{"CommaLFMinimalQuotes", rows, csvStyle{delim: ',', lf: true, quoting: quoteMinimal}, custexport.EncodingUTF8, ",", nil},
		{"CommaCRLFBOM", rows, csvStyle{delim: ',', bom: true}, custexport.EncodingUTF8, ",", nil},
		{"SemicolonLFMinimalQuotes", rows, csvStyle{delim: ';', lf: true, quoting: quoteMinimal}, custexport.EncodingUTF8, ";", nil},
		{"Shoptet", rows, csvStyle{delim: ';', quoting: quoteShoptet}, custexport.EncodingUTF8, ";", nil},
		{"ShoptetWindows1250", rows, csvStyle{delim: ';', quoting: quoteShoptet, cp1250: true}, custexport.EncodingWindows1250, ";", nil},
		{"Windows1250CommaLF", rows, csvStyle{delim: ',', lf: true, quoting: quoteMinimal, cp1250: true}, custexport.EncodingWindows1250, ",", nil},
		{"HeaderReorderedAnyCase", reordered, csvStyle{delim: ';', bom: true, quoting: quoteMinimal}, custexport.EncodingUTF8, ";", nil},
		{"UnknownColumns", unknown, exportStyle, custexport.EncodingUTF8, ";", []string{"heslo", "Interní poznámka"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := formatCSV(tc.rows, tc.style)
			rec := mustImport(t, db, file, csvimport.Options{})
			wantCounts(t, rec, n, 0, 0, n, 0)
			if rec.Encoding != tc.encoding || rec.Delimiter != tc.delimiter || !slices.Equal(rec.Unknown, tc.unknown) {
				t.Errorf("reported encoding %q, delimiter %q, unknown %q; want %q, %q, %q", rec.Encoding, rec.Delimiter, rec.Unknown, tc.encoding, tc.delimiter, tc.unknown)
			}
			if d := changes(before, stored(t, db)); len(d) > 0 {
				t.Fatalf("changed: %v", d[:min(len(d), 5)])
			}
		})
	}
}

// New lines inside a quoted field are kept byte for byte: CRLF, LF and a lone CR, in a CRLF
// file and in an LF file.
func TestNewLinesInsideQuotesSurvive(t *testing.T) {
	db, _ := smallStore(t)
	g := "5d5d5d5d-5d5d-4d5d-8d5d-5d5d5d5d5d5d"
	for _, remark := range []string{"a\r\nb", "a\nb\r\nc\r\n", "\r\nstarts with CRLF", "lone\rCR", "ends with CR\r", "\"quoted\"\r\n;\r\n"} {
		for _, style := range []csvStyle{exportStyle, {delim: ',', lf: true, quoting: quoteMinimal}} {
			file := formatCSV([][]string{{"guid", "remark", "phone"}, {g, remark, "1"}}, style)
			rec := mustImport(t, db, file, csvimport.Options{})
			if rec.Skipped != 0 {
				t.Fatalf("%q skipped: %+v", remark, rec.SkippedRows)
			}
			c := stored(t, db)[g]
			if c.Remark != remark || c.Phone != "1" {
				t.Errorf("remark %q (lf=%v) stored as %q, phone %q", remark, style.lf, c.Remark, c.Phone)
			}
		}
	}
	// And through a whole round trip of the export, whose remarks hold CRLF.
	before := stored(t, db)
	n := int64(len(before))
	wantCounts(t, mustImport(t, db, exportCSV(t, db, custexport.EncodingUTF8, true), csvimport.Options{}), n, 0, 0, n, 0)
	if !strings.Contains(before["0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162"].Remark, "\r\n") {
		t.Fatal("the fixture lost its CRLF remark")
	}
}

// Files that are not CSV are refused as a whole with a reason, and nothing is written; an empty
// file and a header without rows are 0 rows, not errors.
func TestNotCSV(t *testing.T) {
	db, before := smallStore(t)
	// A valid file with updates before the point it fails, so that a partial write would show.
	edited := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	for _, r := range edited[1:] {
		r[column(t, edited, "phone")] = "+420 000 000 000"
	}
	cp1250 := formatCSV(edited, csvStyle{delim: ';', cp1250: true})
	// Invalid UTF-8 in the last row only, far beyond what the encoding is detected from.
	valid := formatCSV(edited, exportStyle)
	last := slices.Clone(edited[len(edited)-1])
	last[column(t, edited, "billingCity")] = "Br\xffno"
	badTail := slices.Concat(valid, formatCSV([][]string{last}, csvStyle{delim: ';'}))
	badLine := bytes.Count(valid, []byte("\n")) + 1
	big := formatCSV(edited, exportStyle)
	for len(big) < 300<<10 {
		big = append(big, formatCSV(edited[1:], csvStyle{delim: ';'})...)
	}

	for _, tc := range []struct {
		name string
		file []byte
		opts csvimport.Options
		want string
	}{
		{"ZIPMagic", []byte("PK\x03\x04\x14\x00\x00\x00guid;email\r\n"), csvimport.Options{}, "starts as a ZIP file (an XLSX?) but is not a readable one"},
		{"XML", exportXML(t, db), csvimport.Options{}, "XML file"},
		{"NULBytes", []byte("guid;email\r\n\x00\x01\x02\x03binary"), csvimport.Options{}, "binary data (NUL bytes)"},
		{"PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), csvimport.Options{}, "binary data"},
		{"UTF16", append([]byte{0xff, 0xfe}, []byte("g\x00u\x00i\x00d\x00")...), csvimport.Options{}, "binary data"},
		{"NoKnownColumn", []byte("jméno;příjmení\nJan;Novák\n"), csvimport.Options{}, "no known column"},
		{"DuplicateColumn", []byte("guid;email;EMAIL\n"), csvimport.Options{}, "names column email twice"},
		{"OverMaxSize", big, csvimport.Options{MaxBytes: 200 << 10}, fmt.Sprintf("larger than the limit of %d bytes", 200<<10)},
		{"OverTinyMaxSize", formatCSV(edited, exportStyle), csvimport.Options{MaxBytes: 100}, "larger than the limit of 100 bytes"},
		{"Windows1250AsUTF8", cp1250, csvimport.Options{Encoding: custexport.EncodingUTF8}, "line 2, column billingFullName: invalid UTF-8"},
		{"InvalidUTF8AtTheEnd", badTail, csvimport.Options{}, fmt.Sprintf("line %d, column billingCity: invalid UTF-8", badLine)},
		{"BOMButWindows1250", formatCSV(edited, exportStyle), csvimport.Options{Encoding: custexport.EncodingWindows1250}, "byte-order mark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := importFile(db, tc.file, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: %v; want an error with %q", err, tc.want)
			}
			if custexport.ErrorCode(err) != custexport.CodeInvalid {
				t.Errorf("error code %q, want invalid", custexport.ErrorCode(err))
			}
			if rec.Created+rec.Updated+rec.Unchanged != 0 {
				t.Errorf("a refused file reports %s", counts(rec))
			}
			if d := changes(before, stored(t, db)); len(d) > 0 {
				t.Fatalf("a refused file changed %d values: %v", len(d), d[:min(5, len(d))])
			}
		})
	}
	if len(big) <= 200<<10 || bytes.Count(big, []byte("\r\n")) < 200 {
		t.Fatal("the over-size file is too small to have rows applied before the limit")
	}

	for _, tc := range []struct {
		name string
		file string
	}{
		{"Empty", ""},
		{"OnlyBOM", "\xef\xbb\xbf"},
		{"HeaderOnly", "\xef\xbb\xbf\"guid\";\"email\""},
		{"HeaderOnlyCRLF", "guid;email;billingFullName\r\n"},
		{"HeaderAndEmptyLines", "guid,email\n\n\r\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := importFile(db, []byte(tc.file), csvimport.Options{})
			if err != nil {
				t.Fatalf("import: %v, want 0 rows without error", err)
			}
			wantCounts(t, rec, 0, 0, 0, 0, 0)
		})
	}
}

// A dry run reports what the import would do and writes nothing; the real import then does
// exactly that.
func TestDryRun(t *testing.T) {
	db, before := smallStore(t)
	xmlBefore := exportXML(t, db)
	rows := parseCSV(t, exportCSV(t, db, custexport.EncodingUTF8, true), ';')
	setCell(t, rows, rows[1][0], "phone", "+420 999 999 999")
	setCell(t, rows, rows[2][0], "email", "not-an-email")
	newRow := make([]string, len(rows[0]))
	newRow[column(t, rows, "email")] = "nova@example.cz"
	newRow[column(t, rows, "billingFullName")] = "Nová"
	rows = append(rows, newRow)
	file := formatCSV(rows, exportStyle)
	n := int64(len(before))

	dry := mustImport(t, db, file, csvimport.Options{DryRun: true})
	wantCounts(t, dry, n+1, 1, 1, n-2, 1)
	if !dry.DryRun || dry.SkippedRows[0].Column != "email" {
		t.Errorf("dry run record: DryRun %v, skipped %+v", dry.DryRun, dry.SkippedRows)
	}
	if d := changes(before, stored(t, db)); len(d) > 0 || !bytes.Equal(exportXML(t, db), xmlBefore) {
		t.Fatalf("a dry run wrote: %v", d)
	}
	real := mustImport(t, db, file, csvimport.Options{})
	if counts(real) != counts(dry) || real.DryRun {
		t.Fatalf("the import did %s, the dry run said %s", counts(real), counts(dry))
	}
	if d := changedFields(before, stored(t, db)); len(d) != 2 {
		t.Fatalf("the import changed %v, want one phone and one new customer", d)
	}
}

// The reader the import gets is a real io.Reader: a slow file is read as it comes, and the
// bytes of the file are all that is read (no reading ahead past the end).
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:min(len(p), 1)]) }

func TestSlowReader(t *testing.T) {
	db, before := smallStore(t)
	data := exportCSV(t, db, custexport.EncodingWindows1250, true)
	rec := &custexport.ImportRecord{}
	if err := csvimport.Run(t.Context(), db, oneByteReader{bytes.NewReader(data)}, csvimport.Options{Location: prague}, rec); err != nil {
		t.Fatal(err)
	}
	n := int64(len(before))
	wantCounts(t, rec, n, 0, 0, n, 0)
	if rec.Encoding != custexport.EncodingWindows1250 {
		t.Errorf("encoding %q from a reader giving one byte at a time", rec.Encoding)
	}
	if _, err := charmap.Windows1250.NewDecoder().Bytes(data); err != nil {
		t.Fatal(err)
	}
}

// A last line end cut to its CR (the file's final LF lost) ends the record like CRLF: the value
// before it gets no CR, a quoted one is not "followed by a character", and a CR alone after the
// last record is no row.
func TestFinalCarriageReturn(t *testing.T) {
	db, _ := smallStore(t)
	for i, file := range []string{
		"email;billingFullName\r\n\"cr0@example.cz\";\"Jan CR\"\r",
		"email;billingFullName\r\ncr1@example.cz;Jan CR\r",
		"email;billingFullName\r\ncr2@example.cz;Jan CR\r\n\r",
		"email;billingFullName\r\ncr3@example.cz;Jan CR\r\n\r\r\n",
	} {
		rec := mustImport(t, db, []byte(file), csvimport.Options{})
		wantCounts(t, rec, 1, 1, 0, 0, 0)
		for _, c := range stored(t, db) {
			if c.Email == fmt.Sprintf("cr%d@example.cz", i) && c.Billing.FullName != "Jan CR" {
				t.Errorf("%q: name stored as %q", file, c.Billing.FullName)
			}
		}
	}
}
