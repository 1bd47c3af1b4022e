package csvimport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/xlsxfile"
	"github.com/custexport/custexport/internal/xlsxread"
)

var (
	zipMagic = []byte("PK\x03\x04")
	// oleMagic starts an OLE compound file: what Excel and LibreOffice save a password-protected
	// XLSX as (and an old .xls).
	oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
)

// runXLSX imports an XLSX workbook (SPEC section 10): the rows of its sheets "Customers",
// "Customers 2", … as the export writes them, through the same rows as a CSV's. The zip needs
// random access: file is read in place when it is a file, else spooled to a temporary one.
func runXLSX(ctx context.Context, store custexport.ImportStore, file io.Reader, br *bufio.Reader, counted *countingReader, opts Options, rec *custexport.ImportRecord) error {
	rec.Encoding, rec.Delimiter = custexport.EncodingXLSX, ""
	ra, size, done, err := randomAccess(file, br, counted, opts.MaxBytes)
	if err != nil {
		return err
	}
	defer done()
	if opts.MaxBytes > 0 && size > opts.MaxBytes {
		return refusal("import_too_large", strconv.FormatInt(opts.MaxBytes, 10))
	}
	if opts.Progress != nil {
		ra = &progressAt{r: ra, progress: opts.Progress}
	}
	wb, err := xlsxread.Open(ra, size)
	if err != nil {
		return xlsxRefusal(err)
	}
	sheets := wb.Sheets()
	if !slices.Contains(sheets, xlsxfile.SheetName(1)) {
		list := strings.Join(sheets[:min(len(sheets), 5)], ", ")
		if len(sheets) > 5 {
			list += ", …"
		}
		return refusal("import_xlsx_no_sheet", list)
	}
	var names []string
	for n := 1; slices.Contains(sheets, xlsxfile.SheetName(n)); n++ {
		names = append(names, xlsxfile.SheetName(n))
	}
	rows := wb.Rows(names)
	defer rows.Close()
	none := func() error { return nil }
	return importRows(ctx, store, &xlsxSource{rows: rows}, opts, rec, none, none)
}

// randomAccess gives the file from where Run started reading it, and its size: in place for a
// file, else spooled to a temporary file (within maxBytes), which done removes.
func randomAccess(file io.Reader, br *bufio.Reader, counted *countingReader, maxBytes int64) (io.ReaderAt, int64, func(), error) {
	if f, ok := file.(interface {
		io.ReaderAt
		io.Seeker
	}); ok {
		if at, err := f.Seek(0, io.SeekCurrent); err == nil {
			start := at - counted.n // what the sniffing took
			if end, err := f.Seek(0, io.SeekEnd); err == nil && start >= 0 {
				return io.NewSectionReader(f, start, end-start), end - start, func() {}, nil
			}
		}
	}
	tmp, err := os.CreateTemp("", "custexport-import-*.xlsx")
	if err != nil {
		return nil, 0, nil, err
	}
	done := func() { tmp.Close(); os.Remove(tmp.Name()) }
	n, err := io.Copy(tmp, br)
	if counted.err != nil {
		err = counted.err
	}
	if err != nil {
		done()
		return nil, 0, nil, err
	}
	return tmp, n, done, nil
}

// progressAt reports the bytes read of the file, for a progress bar.
type progressAt struct {
	r        io.ReaderAt
	n        int64
	progress func(int64)
}

func (p *progressAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	p.n += int64(n)
	p.progress(p.n)
	return n, err
}

// xlsxRefusal says why a workbook is refused, as a refusal of the import.
func xlsxRefusal(err error) error {
	var e *xlsxread.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case xlsxread.NotZip:
		return refusal("import_xlsx_zip", "")
	case xlsxread.NotWorkbook:
		return refusal("import_xlsx_not", e.Detail)
	case xlsxread.Encrypted:
		return refusal("import_encrypted", "")
	case xlsxread.Bomb:
		return refusal("import_xlsx_bomb", e.Detail)
	case xlsxread.TooManyStrings:
		return refusal("import_xlsx_strings", e.Detail)
	case xlsxread.TooLarge:
		return refusal("import_xlsx_large", e.Detail)
	case xlsxread.HeaderDiffers:
		return refusal("import_xlsx_header", e.Detail)
	case xlsxread.RowTooLong:
		return &tooLong{max: maxLineBytes}
	}
	return refusal("import_xlsx_broken", e.Detail)
}

// xlsxSource reads the rows of the export's sheets as a source of the import.
type xlsxSource struct{ rows *xlsxread.Rows }

func (s *xlsxSource) Read() ([]string, int, error) {
	fields, line, err := s.rows.Next()
	var bad *xlsxread.BadCell
	switch {
	case err == nil || err == io.EOF:
		return fields, line, err
	case errors.As(err, &bad):
		return nil, line, &badRecord{line: bad.Line, key: "xlsx_error_cell", args: []string{bad.Cell, bad.Value},
			reason: fmt.Sprintf("cell %s holds the spreadsheet error %s", bad.Cell, bad.Value)}
	}
	err = xlsxRefusal(err)
	if long, ok := err.(*tooLong); ok {
		long.line = line
	}
	return nil, line, err
}

func (s *xlsxSource) setBounds(maxRecord, keep int, limits []int) {
	s.rows.SetBounds(maxRecord, keep, limits)
}

func (s *xlsxSource) bounds() (int, bool, []cutField) {
	cut := make([]cutField, len(s.rows.Cut))
	for i, c := range s.rows.Cut {
		cut[i] = cutField{index: c.Index, chars: c.Chars}
	}
	return s.rows.Extra, s.rows.ExtraFull, cut
}

// text is empty: the XML parser has checked the text for valid UTF-8 already.
func (s *xlsxSource) text() string { return "" }
