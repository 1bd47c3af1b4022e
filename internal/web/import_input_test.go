package web

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/xlsxfile"
)

// The Import page takes the export's XLSX: two new customers in a workbook as the export
// writes it are found (a dry run), and the report says it read a workbook.
func TestImportPageTakesXLSX(t *testing.T) {
	af, c := signedIn(t, 3)
	var book bytes.Buffer
	enc := xlsxfile.New(&book, xlsxfile.Options{EncodeOptions: custexport.EncodeOptions{Location: time.UTC, Rows: 2, FormulaGuard: true}})
	for _, email := range []string{"nova@example.cz", "novy@example.cz"} {
		c := custexport.Customer{GUID: custexport.NewGUID(), Email: email, PriceRatio: custexport.NoDiscount, RegistrationDate: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
		c.Billing.FullName = "Nová Zákaznice"
		c.Billing.Zip = "03401"
		if err := enc.Encode(&c); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	resp, body := af.upload(c, "zakaznici.xlsx", book.String())
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Sešit XLSX") || !strings.Contains(body, `id="import-created">2<`) {
		t.Fatalf("XLSX upload: %d\n%s", resp.StatusCode, body)
	}
}

// A 50 MB upload of one line without a line end (it took the server from 81 MB to 1,007 MB)
// is refused, and the server allocates a bounded amount for it: the upload streams to a
// file, the import reads no more of the line than its cap. The body is made as it is sent.
func TestImportPageLongLineBoundedMemory(t *testing.T) {
	af, c := signedIn(t, 3)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("encoding", "auto")
		fw, _ := mw.CreateFormFile("file", "one-line.csv")
		fw.Write([]byte("guid;email;remark;"))
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for range 50 {
			if _, err := fw.Write(chunk); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		mw.Close()
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, af.srv.URL+"/customers/import", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	resp, body := af.send(c, req, "Accept-Language", "en")
	runtime.ReadMemStats(&after)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "The header row is longer than 256 KiB") {
		t.Fatalf("one-line upload: %d, want 400 refused for its header", resp.StatusCode)
	}
	// Client and server share this process: 50 MiB would show twice over if either held it.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("a 50 MB one-line upload allocated %d MiB", alloc>>20)
	}
}
