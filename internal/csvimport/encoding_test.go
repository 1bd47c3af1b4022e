package csvimport_test

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
)

// Forcing windows-1250 on a file that is valid UTF-8 with accents would garble every accented
// name (Šárka Novák → Ĺ Ăˇrka NovĂˇk): refused with a message that says why and what to choose,
// also when the accents come only after the first 64 KiB; nothing is written.
func TestWindows1250ForcedOnUTF8(t *testing.T) {
	db, before := smallStore(t)
	plain := bytes.TrimPrefix(exportCSV(t, db, custexport.EncodingUTF8, true), []byte("\xef\xbb\xbf")) // as LibreOffice saves: no BOM
	if !bytes.ContainsAny(plain, "ěščřžýáíéůú") {
		t.Fatal("the export has no accented letters to garble")
	}
	header, _, _ := bytes.Cut(plain, []byte("\n"))
	late := append(append([]byte(nil), header...), '\n')
	for len(late) < 200<<10 { // 200 KiB of ASCII rows of new customers, then one accented row
		late = append(late, []byte(";;nobody"+strings.Repeat("x", 20)+"@example.com;\n")...)
	}
	late = append(late, []byte(";;sarka@example.com;;Šárka Novák\n")...)
	for name, file := range map[string][]byte{"AccentsAtOnce": plain, "AccentsAfter64KiB": late} {
		t.Run(name, func(t *testing.T) {
			rec, err := importFile(db, file, csvimport.Options{Encoding: custexport.EncodingWindows1250})
			if err == nil || !strings.Contains(err.Error(), "valid UTF-8 with accented characters") || !strings.Contains(err.Error(), "as utf-8") {
				t.Fatalf("import: %v; want the refusal of windows-1250 on UTF-8", err)
			}
			if custexport.ErrorCode(err) != custexport.CodeInvalid {
				t.Errorf("code %q, want invalid", custexport.ErrorCode(err))
			}
			if rec.Created+rec.Updated != 0 {
				t.Errorf("a refused file reports %s", counts(rec))
			}
			if d := changes(before, stored(t, db)); len(d) > 0 {
				t.Fatalf("a refused file changed %d values: %v", len(d), d[:min(5, len(d))])
			}
			if reason, _, ok := csvimport.ReadRefusal(err.Error()); !ok || reason != "import_1250_utf8" {
				t.Errorf("ReadRefusal(%q) = %q, %v", err, reason, ok)
			}
		})
	}
	// A real windows-1250 file forced as such, and a plain ASCII one, are imported.
	cp1250, err := charmap.Windows1250.NewEncoder().Bytes([]byte("email;billingFullName\nsarka@example.com;Šárka Novák\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string][]byte{"Windows1250": cp1250, "Windows1250Export": exportCSV(t, db, custexport.EncodingWindows1250, true), "ASCII": []byte("email;billingFullName\nascii@example.com;Sarka Novak\n")} {
		t.Run(name, func(t *testing.T) {
			if _, err := importFile(db, file, csvimport.Options{Encoding: custexport.EncodingWindows1250, DryRun: true}); err != nil {
				t.Fatalf("import: %v", err)
			}
		})
	}
}
