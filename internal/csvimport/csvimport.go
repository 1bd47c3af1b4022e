// Package csvimport reads a customer CSV (SPEC section 10) and applies it in one transaction:
// the round trip of the CSV export. It streams the file: memory stays flat whatever its size
// (the duplicate checks keep their keys in the store's transaction, not here).
package csvimport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvfile"
)

// Options say how to read the file.
type Options struct {
	// Encoding forces the file's encoding; empty detects it (a BOM or valid UTF-8 means UTF-8,
	// anything else windows-1250).
	Encoding custexport.Encoding
	Location *time.Location // the shop's time zone, for the date-times
	DryRun   bool           // validate and count, write nothing
	MaxBytes int64          // refuse larger files; 0: no limit
	// AcceptWarnings applies the fields the import warns about (values that look like
	// spreadsheet damage, an IČO with a wrong check digit); without it they keep their stored
	// value and are only listed.
	AcceptWarnings bool
	// Progress, when set, is told the bytes read so far (for a progress bar).
	Progress func(read int64)
}

// sniffSize is how much of the file decides the encoding and the delimiter.
const sniffSize = 64 << 10

// Run reads the file and applies it through store in one transaction, filling rec with what
// was found and done. An error means the file was refused as a whole (not a CSV, no known
// column, invalid UTF-8 where UTF-8 was forced, over the size limit) or the store failed;
// nothing was written then. Skipped rows are not errors: rec lists them.
func Run(ctx context.Context, store custexport.ImportStore, file io.Reader, opts Options, rec *custexport.ImportRecord) error {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	rec.DryRun, rec.AcceptWarnings = opts.DryRun, opts.AcceptWarnings
	counted := &countingReader{r: file, limit: opts.MaxBytes, progress: opts.Progress}
	br := bufio.NewReaderSize(counted, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return err
	}
	if len(head) == 0 {
		rec.Encoding, rec.Delimiter = custexport.EncodingUTF8, ";"
		return nil // an empty file: 0 rows
	}
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return runXLSX(ctx, store, file, br, counted, opts, rec)
	case bytes.HasPrefix(head, oleMagic):
		return refusal("import_encrypted", "")
	}
	if err := notCSV(head); err != nil {
		return err
	}
	var text io.Reader = br
	bom := []byte("\xef\xbb\xbf")
	switch {
	case bytes.HasPrefix(head, bom):
		if opts.Encoding == custexport.EncodingWindows1250 {
			return refusal("import_bom_1250", "")
		}
		rec.Encoding = custexport.EncodingUTF8
		br.Discard(len(bom))
		head = head[len(bom):]
	case opts.Encoding == custexport.EncodingWindows1250 && validUTF8Prefix(head) && hasMultiByte(head):
		return refusal("import_1250_utf8", "")
	case opts.Encoding != "":
		rec.Encoding = opts.Encoding
	case validUTF8Prefix(head):
		rec.Encoding = custexport.EncodingUTF8
	default:
		rec.Encoding = custexport.EncodingWindows1250
	}
	var watch *utf8Watch
	if rec.Encoding == custexport.EncodingWindows1250 {
		if opts.Encoding == custexport.EncodingWindows1250 {
			// Forced: the head had no UTF-8 accents, but the rest of the file may have.
			watch = &utf8Watch{r: br}
			text = watch
		}
		text = transform.NewReader(text, charmap.Windows1250.NewDecoder())
		head, _ = charmap.Windows1250.NewDecoder().Bytes(head)
	}
	delim := detectDelimiter(head)
	rec.Delimiter = string(delim)

	r := newRecordReader(text, byte(delim))
	return importRows(ctx, store, r, opts, rec, func() error { return counted.err }, func() error {
		if watch != nil && watch.utf8() {
			return refusal("import_1250_utf8", "")
		}
		return nil
	})
}

// source is where the rows of an import come from: a CSV's records (recordReader) or the rows
// of an XLSX's sheets (xlsxSource). Both bound what they hold the same way.
type source interface {
	// Read returns the next record and its line; io.EOF after the last. A *badRecord is a
	// record to skip, a *tooLong or a *custexport.Error refuses the file.
	Read() ([]string, int, error)
	// setBounds bounds the next records (recordReader.setBounds).
	setBounds(maxRecord, keep int, limits []int)
	// bounds says what the last record had beyond them.
	bounds() (extra int, extraFull bool, cut []cutField)
	// text is the last record's fields joined, for one check of UTF-8 (CSV only).
	text() string
}

// importRows reads the header from src, then applies every row in one transaction of store.
// readErr reports an error of the file beneath src (over the size limit); atEnd, checked
// after the last row, may still refuse the file.
func importRows(ctx context.Context, store custexport.ImportStore, src source, opts Options, rec *custexport.ImportRecord, readErr, atEnd func() error) error {
	src.setBounds(maxHeaderBytes, maxHeaderColumns, nil)
	header, _, err := src.Read()
	if err == io.EOF {
		return nil
	}
	var long *tooLong
	var refused *custexport.Error
	switch {
	case errors.As(err, &refused):
		return err
	case errors.As(err, &long):
		return refusal("import_header_long", strconv.Itoa(maxHeaderBytes>>10))
	case err != nil:
		return refusal("import_header_csv", err.Error())
	}
	if extra, _, _ := src.bounds(); extra > 0 {
		return refusal("import_header_columns", strconv.Itoa(maxHeaderColumns))
	}
	im := &importer{opts: opts, rec: rec,
		regClock: custexport.NewShopClock(opts.Location), changeClock: custexport.NewShopClock(opts.Location)}
	if err := im.readHeader(header); err != nil {
		return err
	}
	src.setBounds(maxLineBytes, len(header), im.fieldLimits())
	if im.changes, err = newChanges(opts); err != nil {
		return err
	}
	err = store.Import(ctx, !opts.DryRun, func(tx custexport.ImportTx) error {
		// One time for the whole import, from the store's clock: what it stamps on every
		// change (changeTime) and on new customers without a registration date.
		im.now = tx.Now().UTC().Truncate(time.Second)
		y, m, d := im.now.In(opts.Location).Date()
		im.today = custexport.Date{Year: y, Month: m, Day: d}
		for {
			fields, line, err := src.Read()
			if err := readErr(); err != nil {
				return err
			}
			if err == io.EOF {
				if err := atEnd(); err != nil {
					return err
				}
				return im.changes.finish(ctx, tx, rec)
			}
			var bad *badRecord
			switch {
			case errors.As(err, &long):
				return refusal("import_line_long", strconv.Itoa(long.line))
			case errors.As(err, &refused):
				return err
			case err != nil && !errors.As(err, &bad):
				return fmt.Errorf("reading the file: %w", err) // not the file's fault: an I/O error
			}
			rec.Rows++
			if err != nil {
				im.skip(bad.line, "", bad.key, bad.args, bad.prefix+bad.reason)
				continue
			}
			extra, extraFull, cut := src.bounds()
			if im.outOfBounds(line, len(fields), extra, extraFull, cut) {
				continue
			}
			if err := im.row(ctx, tx, fields, line, src.text()); err != nil {
				return err
			}
		}
	})
	im.changes.done(rec, err)
	if err != nil {
		rec.Created, rec.Updated, rec.Unchanged = 0, 0, 0
		rec.Warnings, rec.WarningRows = 0, nil
	}
	return err
}

// countingReader counts the bytes read, reports progress, and enforces the size limit.
type countingReader struct {
	r        io.Reader
	n, limit int64
	progress func(int64)
	err      error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.limit > 0 && c.n > c.limit {
		c.err = refusal("import_too_large", strconv.FormatInt(c.limit, 10))
		return 0, c.err
	}
	if c.progress != nil {
		c.progress(c.n)
	}
	return n, err
}

// notCSV recognises files that are surely not a CSV, to refuse them with a clear reason
// rather than a list of broken rows.
func notCSV(head []byte) error {
	switch {
	case bytes.HasPrefix(head, []byte("<?xml")):
		return refusal("import_xml", "")
	case bytes.IndexByte(head, 0) >= 0:
		return refusal("import_binary", "")
	}
	return nil
}

// validUTF8Prefix reports whether head is UTF-8, allowing a rune cut off at its end.
func validUTF8Prefix(head []byte) bool {
	for cut := 0; cut < utf8.UTFMax && cut < len(head); cut++ {
		if utf8.Valid(head[:len(head)-cut]) {
			return true
		}
	}
	return false
}

// detectDelimiter counts ';' and ',' outside quotes in the first line; ';' wins a tie, being
// what the export writes.
func detectDelimiter(head []byte) rune {
	semi, comma, quoted := 0, 0, false
	for _, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			if comma > semi {
				return ','
			}
			return ';'
		case c == ';':
			semi++
		case c == ',':
			comma++
		}
	}
	if comma > semi {
		return ','
	}
	return ';'
}

type importer struct {
	opts Options
	rec  *custexport.ImportRecord
	// One clock per date-time column: each keeps its own cached day.
	regClock, changeClock *custexport.ShopClock
	now                   time.Time       // the store's, when the import began
	today                 custexport.Date // now's day in the shop's time zone
	columns               []int           // file field index → custexport.Column, or -1 for an ignored one
	present               [custexport.NumColumns]bool

	// The row at hand: its line, the warnings it raised (recorded only if the row is not
	// skipped), and the columns whose warned value is applied (accepted).
	line     int
	warnings []custexport.ImportWarning
	accepted [custexport.NumColumns]bool
	changes  *changes // the change list (changes.go)
}

func (im *importer) readHeader(header []string) error {
	im.columns = make([]int, len(header))
	for i, tag := range header {
		tag = strings.TrimSpace(strings.TrimPrefix(tag, "\ufeff"))
		im.columns[i] = -1
		if tag == "" {
			continue // a trailing delimiter (Shoptet's header) makes an empty last name
		}
		col, ok := custexport.ColumnByTag(tag)
		if !ok {
			im.rec.Unknown = append(im.rec.Unknown, tag)
			continue
		}
		if col == custexport.ColChangeTime {
			// Export only (SPEC section 1): the store stamps it on every real change. A file's
			// value, even a later one, would hide a change from a partner syncing by it.
			im.rec.Ignored = append(im.rec.Ignored, col.Tag())
			continue
		}
		if im.present[col] {
			return refusal("import_header_twice", col.Tag())
		}
		im.present[col] = true
		im.columns[i] = int(col)
	}
	for _, p := range im.present {
		if p {
			return nil
		}
	}
	return refusal("import_header_none", "")
}

// refusal is the error that refuses the whole file: reason is its key for a user interface
// (custexport.Error.Reason), value the text it quotes.
func refusal(reason, value string) *custexport.Error {
	msg := refusals[reason]
	if strings.Contains(msg, "%s") {
		msg = fmt.Sprintf(msg, value)
	}
	e := custexport.Errorf(custexport.CodeInvalid, "%s", msg)
	e.Reason, e.Value = reason, value
	return e
}

// refusals are the English messages of a refused file by reason, each quoting its value (%s) at
// most once: what the CLI prints and the import log keeps (ImportRecord.Error).
var refusals = map[string]string{
	"import_bom_1250":     "the file starts with a UTF-8 byte-order mark, but windows-1250 was asked for",
	"import_header_csv":   "the header row cannot be read as CSV: %s",
	"import_too_large":    "the file is larger than the limit of %s bytes",
	"import_zip":          "this is a ZIP file (an XLSX export?), not a CSV; export as CSV to import",
	"import_xml":          "this is an XML file, not a CSV; export as CSV to import",
	"import_binary":       "the file holds binary data (NUL bytes), not CSV text",
	"import_header_twice": "the header names column %s twice",
	"import_header_none":  "the header row has no known column (expected tags such as guid, email, billingFullName); is this a customer export?",
	"import_invalid_utf8": "%s: invalid UTF-8 (is the file windows-1250? import with --encoding windows-1250)",

	// The input side of issue 17: encoding sanity, bounded lines, XLSX.
	"import_header_long":    "the header row is longer than %s KiB; is this a customer export?",
	"import_header_columns": "the header row has more than %s columns; is this a customer export?",
	"import_line_long":      "line %s is longer than 4 MiB, the limit of an import row (an unclosed quote?); the file was not read further",
	"import_encrypted":      "this is an encrypted (password-protected) workbook, or an old .xls file; save it as .xlsx without a password, or export CSV",
	"import_xlsx_zip":       "the file starts as a ZIP file (an XLSX?) but is not a readable one; is it damaged or cut short?",
	"import_xlsx_not":       "this is a ZIP file but not an XLSX workbook (%s)",
	"import_xlsx_bomb":      "the XLSX file inflates beyond what the import reads (%s), refused as a possible zip bomb",
	"import_xlsx_broken":    "the XLSX file is damaged: %s",
	"import_xlsx_strings":   "the XLSX file has more shared strings than the import holds (%s); import a fresh export or a CSV",
	"import_xlsx_large":     "the XLSX file holds a cell or other piece larger than the import reads (%s)",
	"import_xlsx_no_sheet":  "the workbook has no sheet named Customers (its sheets: %s); import the export's own XLSX",
	"import_xlsx_header":    "the sheets do not share one header row: %s",
	"import_1250_utf8":      "windows-1250 was asked for, but the file is valid UTF-8 with accented characters, which windows-1250 would garble (Š would read as Ĺ ); import it as utf-8 (or auto)",
}

// ReadRefusal reads a refusal back from the English message the import log kept, so that the
// admin page can say it in its language: its reason and value, and whether msg is one.
func ReadRefusal(msg string) (reason, value string, ok bool) {
	for r, format := range refusals {
		before, after, quotes := strings.Cut(format, "%s")
		switch {
		case !quotes && msg == format:
			return r, "", true
		case quotes && len(msg) >= len(before)+len(after) && strings.HasPrefix(msg, before) && strings.HasSuffix(msg, after):
			return r, msg[len(before) : len(msg)-len(after)], true
		}
	}
	return "", "", false
}

// skip records a skipped row: key and args say the reason for a user interface, reason says it
// in English.
func (im *importer) skip(line int, col, key string, args []string, reason string) {
	im.rec.Skipped++
	if len(im.rec.SkippedRows) < custexport.MaxReportedSkips {
		im.rec.SkippedRows = append(im.rec.SkippedRows, custexport.SkippedRow{Line: line, Column: col, Reason: reason, Key: key, Args: args})
	}
}

// rowError is a reason to skip one row.
type rowError struct {
	col    custexport.Column
	hasCol bool
	key    string
	args   []string
	reason string
}

// fieldErr is a reason to skip a row for one field. key names the reason (custexport.SkippedRow
// Key) and args fill both it and the English format.
func fieldErr(col custexport.Column, key, format string, args ...any) *rowError {
	texts := make([]string, len(args))
	for i, a := range args {
		texts[i] = fmt.Sprint(a)
	}
	return &rowError{col: col, hasCol: true, key: key, args: texts, reason: fmt.Sprintf(format, args...)}
}

// values puts a row's fields in column order, with the formula guard's quote removed; false
// when the row was skipped. text is the row's fields joined by the delimiter: one check of it
// for valid UTF-8 instead of one per field. An error refuses the whole file.
func (im *importer) values(fields []string, line int, text string) (values [custexport.NumColumns]string, ok bool, err error) {
	checkUTF8 := im.rec.Encoding == custexport.EncodingUTF8 && !utf8.ValidString(text) // then find the field
	if len(fields) < len(im.columns) {
		// A row may lack trailing empty fields only if they are ignored columns.
		for i := len(fields); i < len(im.columns); i++ {
			if im.columns[i] >= 0 {
				im.skip(line, "", "field_count", []string{strconv.Itoa(len(fields)), strconv.Itoa(len(im.columns))},
					fmt.Sprintf("the row has %d fields, the header %d", len(fields), len(im.columns)))
				return values, false, nil
			}
		}
	}
	for i, f := range fields {
		if i >= len(im.columns) {
			if f != "" {
				im.skip(line, "", "field_count", []string{strconv.Itoa(len(fields)), strconv.Itoa(len(im.columns))},
					fmt.Sprintf("the row has %d fields, the header %d", len(fields), len(im.columns)))
				return values, false, nil
			}
			continue
		}
		col := im.columns[i]
		if col < 0 {
			continue
		}
		if checkUTF8 && !utf8.ValidString(f) {
			where := fmt.Sprintf("line %d, column %s", line, custexport.Column(col).Tag())
			return values, false, refusal("import_invalid_utf8", where)
		}
		// The formula guard's quote goes; a quote before anything else is the value's own.
		if len(f) > 1 && f[0] == '\'' && custexport.NeedsFormulaGuard(f[1:]) {
			f = f[1:]
		}
		values[col] = f
	}
	return values, true, nil
}

// row validates and applies one data row. Only a failure of the store is returned; a bad row
// is skipped and listed.
func (im *importer) row(ctx context.Context, tx custexport.ImportTx, fields []string, line int, text string) error {
	values, ok, err := im.values(fields, line, text)
	if err != nil || !ok {
		return err
	}
	im.line, im.warnings, im.accepted = line, im.warnings[:0], [custexport.NumColumns]bool{}
	outcome, rerr, err := im.apply(ctx, tx, &values)
	if err != nil {
		return err
	}
	if rerr == nil {
		for _, w := range im.warnings {
			im.rec.Warnings++
			if len(im.rec.WarningRows) < custexport.MaxReportedSkips {
				im.rec.WarningRows = append(im.rec.WarningRows, w)
			}
		}
	}
	if rerr != nil {
		tag := ""
		if rerr.hasCol {
			tag = rerr.col.Tag()
		}
		im.skip(line, tag, rerr.key, rerr.args, rerr.reason)
		return nil
	}
	switch outcome {
	case created:
		im.rec.Created++
	case updated:
		im.rec.Updated++
	default:
		im.rec.Unchanged++
	}
	return nil
}

type outcome int

const (
	unchanged outcome = iota
	created
	updated
)

func (im *importer) apply(ctx context.Context, tx custexport.ImportTx, values *[custexport.NumColumns]string) (outcome, *rowError, error) {
	present := &im.present
	var guid string
	if present[custexport.ColGUID] && values[custexport.ColGUID] != "" {
		g, err := custexport.ParseGUID(strings.TrimSpace(values[custexport.ColGUID]))
		if err != nil {
			return 0, fieldErr(custexport.ColGUID, "guid_malformed", "malformed guid %q", values[custexport.ColGUID]), nil
		}
		guid = g
	}
	var stored *custexport.Customer
	if guid != "" {
		var repeated bool
		var err error
		if stored, repeated, err = tx.Customer(ctx, guid); err != nil {
			return 0, nil, err
		}
		if repeated {
			return 0, fieldErr(custexport.ColGUID, "guid_repeated", "guid %s appears on an earlier row of the file too", guid), nil
		}
		if stored != nil && im.asExported(stored, values) {
			return unchanged, nil, nil
		}
	}
	// A NUL byte past the part of the file sniffed for binary data: no customer value holds
	// one (PostgreSQL cannot store it at all), so the row is refused here, by either store.
	for col := range custexport.Column(custexport.NumColumns) {
		if present[col] && strings.IndexByte(values[col], 0) >= 0 {
			return 0, fieldErr(col, "nul", "contains a NUL character"), nil
		}
	}
	var c custexport.Customer
	if stored != nil {
		c = *stored
		c.Delivery = append([]custexport.Address(nil), stored.Delivery...)
	} else {
		c = custexport.Customer{GUID: guid, PriceRatio: custexport.NoDiscount, RegistrationDate: im.now}
		if c.GUID == "" {
			c.GUID = custexport.NewGUID()
		}
	}
	for col := range custexport.Column(custexport.NumColumns) {
		if !present[col] || col == custexport.ColGUID || col == custexport.ColAccountGUID {
			continue
		}
		if rerr := im.setField(&c, stored, col, values[col]); rerr != nil {
			return 0, rerr, nil
		}
	}
	if rerr := im.plausible(&c, stored); rerr != nil {
		return 0, rerr, nil
	}
	for _, col := range []custexport.Column{custexport.ColEmail, custexport.ColBillingFullName} {
		if strings.TrimSpace(c.Text(col)) == "" {
			if stored == nil && !present[col] {
				return 0, fieldErr(col, "new_needs_column", "a new customer needs %s, and the file has no such column", col.Tag()), nil
			}
			return 0, fieldErr(col, "required", "%s is required", col.Tag()), nil
		}
	}
	if rerr, err := im.accountGUID(ctx, tx, &c, stored, values[custexport.ColAccountGUID]); rerr != nil || err != nil {
		return 0, rerr, err
	}
	// Only a new or changed e-mail can clash. An unchanged one is unique in the store, and a
	// later row taking it is refused by the owner check below, which sees this transaction's
	// earlier writes. Checking only these keeps the round trip of a million rows fast.
	if present[custexport.ColEmail] && (stored == nil || !strings.EqualFold(stored.Email, c.Email)) {
		key := strings.ToLower(c.Email)
		seen, err := tx.SeenInFile(ctx, "email:"+key)
		if err != nil {
			return 0, nil, err
		}
		if seen {
			return 0, fieldErr(custexport.ColEmail, "email_repeated", "e-mail %s appears on an earlier row of the file too", c.Email), nil
		}
		{
			owner, err := tx.EmailOwner(ctx, c.Email)
			if err != nil {
				return 0, nil, err
			}
			if owner != "" && owner != c.GUID {
				return 0, fieldErr(custexport.ColEmail, "email_taken", "e-mail %s already registered (customer %s)", c.Email, owner), nil
			}
		}
	}
	// changeTime: stamped on every real change, never on an unchanged row (SPEC section 1).
	switch {
	case stored == nil:
		c.ChangeTime = im.now
		if err := im.changes.created(ctx, tx, im.line, &c); err != nil {
			return 0, nil, err
		}
		return created, nil, tx.Insert(ctx, &c)
	case sameFlat(stored, &c):
		return unchanged, nil, nil
	default:
		c.ChangeTime = im.now
		if err := im.changes.updated(ctx, tx, im.line, stored, &c); err != nil {
			return 0, nil, err
		}
		return updated, nil, tx.Update(ctx, &c)
	}
}

// accountGUID gives c its account guid (SPEC section 1: given on create, unique, never
// changed). An existing customer keeps its own: the file may repeat it (in any letter case) or
// leave the cell empty, and a different one skips the row. A new customer takes a well-formed
// account guid from the file that no stored customer and no earlier row of the file holds, and
// a new one when the file has none.
func (im *importer) accountGUID(ctx context.Context, tx custexport.ImportTx, c, stored *custexport.Customer, v string) (*rowError, error) {
	const col = custexport.ColAccountGUID
	v = strings.TrimSpace(v)
	if !im.present[col] || v == "" {
		if stored == nil {
			c.AccountGUID = custexport.NewGUID()
		}
		return nil, nil
	}
	g, err := custexport.ParseGUID(v)
	if err != nil {
		return fieldErr(col, "account_guid_malformed", "malformed accountGuid %q", v), nil
	}
	if stored != nil {
		if g != stored.AccountGUID {
			return fieldErr(col, "account_guid_changed", "accountGuid %s differs from the customer's %s, which never changes", g, stored.AccountGUID), nil
		}
		return nil, nil
	}
	if seen, err := tx.SeenInFile(ctx, "accountGuid:"+g); err != nil || seen {
		if err != nil {
			return nil, err
		}
		return fieldErr(col, "account_guid_repeated", "accountGuid %s appears on an earlier row of the file too", g), nil
	}
	if owner, err := tx.AccountOwner(ctx, g); err != nil || owner != "" {
		if err != nil {
			return nil, err
		}
		return fieldErr(col, "account_guid_taken", "accountGuid %s already belongs to customer %s", g, owner), nil
	}
	c.AccountGUID = g
	return nil, nil
}

// asExported reports whether every field of the row is the text the export writes for the
// stored customer: the rows of a round trip, which then need no parsing, no validation and no
// comparison field by field. Any other text (" cz " for CZ, a decimal point, a date without
// seconds) takes the full path, which may still find the row unchanged. A row equal to the store
// is unchanged even where the store holds what an import would refuse (an over-long value from
// another tool): nothing is written, so nothing is validated.
func (im *importer) asExported(stored *custexport.Customer, values *[custexport.NumColumns]string) bool {
	var buf [32]byte
	for col := range custexport.Column(custexport.NumColumns) {
		if !im.present[col] || col == custexport.ColGUID {
			continue
		}
		v := values[col]
		switch col {
		case custexport.ColRegistrationDate, custexport.ColChangeTime:
			t, clock := im.dateTime(stored, col)
			if v != "" && (t.IsZero() || string(clock.Wall(*t).AppendDateTime(buf[:0])) != v) {
				return false // (an empty date-time keeps the stored one)
			}
		case custexport.ColBirthDate:
			if stored.BirthDate.IsZero() && v != "" || !stored.BirthDate.IsZero() && string(stored.BirthDate.AppendISO(buf[:0])) != v {
				return false
			}
		case custexport.ColPriceRatio:
			if string(stored.PriceRatio.AppendDecimal(buf[:0], ',')) != v {
				return false
			}
		case custexport.ColDisabledOrders:
			if stored.DisabledOrders && v != "1" || !stored.DisabledOrders && v != "0" {
				return false
			}
		default:
			if col.Kind() != custexport.KindText {
				return false // a column this check does not know
			}
			s := stored.Text(col)
			if v != s && (im.rec.Encoding != custexport.EncodingWindows1250 || v != csvfile.Windows1250Text(s)) {
				return false
			}
		}
	}
	return true
}

// dateTime is the customer's date-time of the column, and the clock that writes it as the
// export does.
func (im *importer) dateTime(c *custexport.Customer, col custexport.Column) (*time.Time, *custexport.ShopClock) {
	if col == custexport.ColChangeTime {
		return &c.ChangeTime, im.changeClock
	}
	return &c.RegistrationDate, im.regClock
}

// setField parses one field into c. stored is the customer before the import (nil for a new
// one): a field equal to what the export wrote for it is left as stored.
func (im *importer) setField(c, stored *custexport.Customer, col custexport.Column, v string) *rowError {
	switch col.Kind() {
	case custexport.KindText:
		if stored != nil && im.rec.Encoding == custexport.EncodingWindows1250 && v == csvfile.Windows1250Text(stored.Text(col)) {
			return nil // what windows-1250 could carry of the stored value: keep the original
		}
		if col != custexport.ColEmail {
			var was string
			if stored != nil {
				was = stored.Text(col)
			}
			if kind := custexport.SpreadsheetDamage(was, v); kind != "" && !im.warn(c, col, was, v, kind) {
				return nil // not accepted: the field keeps its stored value
			}
		}
		switch col {
		case custexport.ColEmail:
			v = strings.TrimSpace(v)
			if v != "" {
				if err := custexport.CheckEmail(v); err != nil {
					return &rowError{col: col, hasCol: true, key: "email", args: []string{v}, reason: errorMessage(err)}
				}
			}
		case custexport.ColBillingCountryCode, custexport.ColDeliveryCountryCode:
			v = strings.ToUpper(strings.TrimSpace(v))
			if stored == nil || v != stored.Text(col) {
				if err := custexport.CheckCountryCode(v); err != nil {
					return plausibilityErr(col, err)
				}
			}
		}
		// The length counts after the trimming above: " cz " is a country code.
		if max := col.MaxLen(); max > 0 && utf8.RuneCountInString(v) > max {
			return fieldErr(col, "too_long", "longer than %d characters (%d)", max, utf8.RuneCountInString(v))
		}
		c.SetText(col, v)
	case custexport.KindDateTime:
		t, clock := im.dateTime(c, col)
		if v == "" {
			return nil // an empty date-time keeps what is stored (a new customer: now)
		}
		if stored != nil && v == string(clock.Wall(*t).AppendDateTime(nil)) {
			return nil // the export's own text: unchanged, even in the hour clocks go back
		}
		parsed, err := parseDateTime(v, im.opts.Location)
		if e := (*custexport.Error)(nil); errors.As(err, &e) {
			return plausibilityErr(col, e) // a local time that does not exist, or exists twice
		}
		if err != nil {
			return fieldErr(col, "datetime", "%q is not a date and time (YYYY-MM-DD HH:MM:SS)", v)
		}
		*t = parsed
	case custexport.KindDate:
		if v == "" {
			c.BirthDate = custexport.Date{}
			return nil
		}
		d, err := custexport.ParseDate(strings.TrimSpace(v))
		if err != nil {
			return fieldErr(col, "date", "%q is not a date (YYYY-MM-DD)", v)
		}
		c.BirthDate = d
	case custexport.KindDecimal:
		if v == "" {
			c.PriceRatio = custexport.NoDiscount
			return nil
		}
		r, err := parsePriceRatio(v)
		if err != nil {
			return fieldErr(col, "decimal", "%q is not a number with at most 4 decimals (1,0000 or 0.85)", v)
		}
		c.PriceRatio = r
	case custexport.KindBool:
		b, err := parseBool(v)
		if err != nil {
			return fieldErr(col, "bool", "%q is not one of 0/1, true/false, ano/ne, yes/no", v)
		}
		c.DisabledOrders = b
	}
	return nil
}

func errorMessage(err error) string {
	var e *custexport.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// parseDateTime reads a shop-time date-time as the export writes it, or a date alone
// (midnight). A time the shop's zone skips or has twice is refused (a *custexport.Error), not
// moved: the export's own text of a stored time never gets here (see setField).
func parseDateTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err != nil {
			continue
		}
		t, err := custexport.ParseLocalDateTime(layout, s, loc)
		return t.UTC(), err
	}
	return time.Time{}, errors.New("not a date-time")
}

// parsePriceRatio reads a decimal with a comma or a point and at most four decimals.
func parsePriceRatio(s string) (custexport.PriceRatio, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(strings.Replace(s, ",", ".", 1), ".")
	if whole == "" || len(whole) > 9 || len(frac) > 4 || hasFrac && frac == "" {
		return 0, errors.New("bad decimal")
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, errors.New("bad decimal")
			}
		}
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt((frac + "000")[:4], 10, 64)
	}
	v := w*10000 + f
	if neg {
		v = -v
	}
	return custexport.PriceRatio(v), nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "ne", "no":
		return false, nil
	case "1", "true", "ano", "yes":
		return true, nil
	}
	return false, errors.New("not a boolean")
}

// sameFlat reports whether two customers have the same flat record (what a CSV carries).
func sameFlat(a, b *custexport.Customer) bool {
	for col := range custexport.Column(custexport.NumColumns) {
		if col.Kind() == custexport.KindText && a.Text(col) != b.Text(col) {
			return false
		}
	}
	return a.RegistrationDate.Unix() == b.RegistrationDate.Unix() && a.ChangeTime.Unix() == b.ChangeTime.Unix() &&
		a.BirthDate == b.BirthDate && a.PriceRatio == b.PriceRatio && a.DisabledOrders == b.DisabledOrders
}

// warnings are the English texts of the import warnings by kind (ImportWarning.Reason).
var warnings = map[string]string{
	custexport.WarnZerosLost:      "looks like spreadsheet damage: the leading zeros were lost (a spreadsheet read the text as a number)",
	custexport.WarnNumberFormat:   "looks like spreadsheet damage: the leading 0 or +, or the spaces, were lost (a spreadsheet read the text as a number)",
	custexport.WarnDate:           "looks like spreadsheet damage: a text turned into a date",
	custexport.WarnScientific:     "looks like spreadsheet damage: a number in scientific notation",
	custexport.WarnCRLF:           "looks like spreadsheet damage: the CRLF line breaks turned into LF",
	custexport.WarnCompanyIDCheck: "the IČO's check digit is wrong",
}

// warn records a warning about the row's field col (stored value was, incoming v) and reports
// whether the value is applied: only when the import accepts warnings.
func (im *importer) warn(c *custexport.Customer, col custexport.Column, was, v, kind string) bool {
	im.warnings = append(im.warnings, custexport.ImportWarning{Line: im.line, GUID: c.GUID, Column: col.Tag(),
		Stored: was, Incoming: v, Key: kind, Reason: warnings[kind]})
	im.accepted[col] = im.opts.AcceptWarnings
	return im.opts.AcceptWarnings
}

// plausibilityErr skips a row for a field that broke a plausibility rule of the domain; the
// rule's Reason is the skip's key and its Value the one argument.
func plausibilityErr(col custexport.Column, err error) *rowError {
	var e *custexport.Error
	if !errors.As(err, &e) {
		return fieldErr(col, "", "%v", err)
	}
	return &rowError{col: col, hasCol: true, key: e.Reason, args: []string{e.Value}, reason: e.Message}
}

// plausible applies the domain's plausibility rules to the values the row changes (all of a new
// customer's): what is stored stays acceptable, and an accepted warning is applied as it is.
func (im *importer) plausible(c, stored *custexport.Customer) *rowError {
	changed := func(col custexport.Column) bool {
		return im.present[col] && !im.accepted[col] && (stored == nil || c.Text(col) != stored.Text(col))
	}
	for _, col := range []custexport.Column{custexport.ColBillingFullName, custexport.ColBillingCompany,
		custexport.ColDeliveryFullName, custexport.ColDeliveryCompany} {
		if changed(col) {
			if err := custexport.CheckName(c.Text(col)); err != nil {
				return plausibilityErr(col, err)
			}
		}
	}
	for _, a := range [][2]custexport.Column{{custexport.ColBillingZip, custexport.ColBillingCountryCode},
		{custexport.ColDeliveryZip, custexport.ColDeliveryCountryCode}} {
		if changed(a[0]) || changed(a[1]) && !im.accepted[a[0]] {
			if err := custexport.CheckZip(c.Text(a[1]), c.Text(a[0])); err != nil {
				return plausibilityErr(a[0], err)
			}
		}
	}
	if col := custexport.ColCompanyID; changed(col) {
		wrongCheck, err := custexport.CheckCompanyID(c.Billing.CountryCode, c.CompanyID)
		if err != nil {
			return plausibilityErr(col, err)
		}
		if wrongCheck {
			var was string
			if stored != nil {
				was = stored.CompanyID
			}
			if !im.warn(c, col, was, c.CompanyID, custexport.WarnCompanyIDCheck) {
				c.CompanyID = was
			}
		}
	}
	if im.present[custexport.ColPriceRatio] && (stored == nil || c.PriceRatio != stored.PriceRatio) {
		if err := custexport.CheckPriceRatio(c.PriceRatio); err != nil {
			return plausibilityErr(custexport.ColPriceRatio, err)
		}
	}
	if im.present[custexport.ColBirthDate] && (stored == nil || c.BirthDate != stored.BirthDate) {
		if err := custexport.CheckNotFutureDay(c.BirthDate, im.today); err != nil {
			return plausibilityErr(custexport.ColBirthDate, err)
		}
	}
	if im.present[custexport.ColRegistrationDate] && (stored == nil || !c.RegistrationDate.Equal(stored.RegistrationDate)) {
		if err := custexport.CheckNotFuture(c.RegistrationDate, im.now, im.opts.Location); err != nil {
			return plausibilityErr(custexport.ColRegistrationDate, err)
		}
	}
	return nil
}
