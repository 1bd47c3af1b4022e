package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/logformat"
)

// maxImportBytes is the default size limit of an imported file: far above a million customers
// (about 350 MB), far below what would fill a disk by mistake.
const maxImportBytes = 2 << 30

func runImport(ctx context.Context, c *commandLine, args []string) error {
	fs, io := c.flags, c.io
	encoding := fs.String("encoding", "auto", "a CSV's encoding: auto (a BOM or valid UTF-8 means UTF-8, else windows-1250), utf-8 or windows-1250 (refused for a file that is UTF-8 with accents); an XLSX needs none")
	dryRun := fs.Bool("dry-run", false, "check the file and report what would change, without writing anything")
	maxSize := fs.Int64("max-size", maxImportBytes, "refuse files larger than this many bytes")
	acceptWarnings := fs.Bool("accept-warnings", false, "apply the values the report warns about (that look like spreadsheet damage: lost leading zeros, a text turned into a date, …); without it they keep their stored value")
	reportFlag := fs.String("report", "text", "the report on standard output: text (the first 1,000 changes) or json (everything, every change)")
	pos, err := c.parseArgs(args)
	if err != nil {
		return err
	}
	report, err := parseReportFormat(*reportFlag)
	if err != nil {
		return err
	}
	if len(pos) > 0 && pos[0] == "revert" {
		if c.given("encoding") || c.given("max-size") || c.given("accept-warnings") {
			return usagef("import revert takes --dry-run and --report only")
		}
		return runImportRevert(ctx, c, pos[1:], *dryRun, report)
	}
	if len(pos) != 1 {
		return usagef("give exactly one FILE (CSV or XLSX) to import")
	}
	opts := csvimport.Options{DryRun: *dryRun, MaxBytes: *maxSize, AcceptWarnings: *acceptWarnings}
	switch *encoding {
	case "auto", "":
	default:
		enc, err := custexport.ParseEncoding(*encoding)
		if err != nil {
			return usagef("--encoding: %v (or auto)", err)
		}
		opts.Encoding = enc
	}
	opts.Location = c.loc
	f, err := os.Open(pos[0])
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.IsDir() {
		return fmt.Errorf("import: %s is a directory, not a CSV or XLSX file", pos[0])
	}
	db, err := c.open(ctx)
	if errors.Is(err, sqlite3.BUSY) {
		// Opening waits for the write lock as long as an import waits for it: another
		// import (or seed) holds it. Refused as the import itself would be: CodeBusy, exit 3.
		return custexport.Errorf(custexport.CodeBusy, "import of %s refused, nothing was written: another import or write is running on the database; try again when it has finished", pos[0])
	}
	if err != nil {
		return err
	}
	defer db.Close()

	stopBar := func() {}
	if isTerminal(io.err) && info.Size() > 0 {
		var bar byteBar
		opts.Progress, stopBar = bar.start(io.err, info.Size())
	}
	rec := &custexport.ImportRecord{Principal: operatorPrincipal(c.getenv), File: custexport.LogText(filepath.Base(pos[0]))}
	start := time.Now()
	runErr := csvimport.Run(ctx, db, f, opts, rec)
	stopBar()
	if runErr != nil {
		rec.Error = runErr.Error()
	}
	if err := db.RecordImport(context.WithoutCancel(ctx), rec); err != nil {
		fmt.Fprintf(io.err, "warning: the import could not be written to the import log: %v\n", err)
	}
	if report == "json" {
		if err := writeJSONReport(ctx, io.out, db, rec, time.Since(start)); err != nil {
			return err
		}
	}
	if runErr != nil {
		return fmt.Errorf("import of %s refused, nothing was written: %w", pos[0], runErr)
	}
	if report == "text" {
		printImportReport(io.out, rec, pos[0], time.Since(start))
		return printChanges(ctx, io.out, db, rec)
	}
	return nil
}

// printImportReport writes the report of SPEC section 10.
func printImportReport(w io.Writer, rec *custexport.ImportRecord, path string, took time.Duration) {
	if rec.ID != 0 {
		fmt.Fprintf(w, "import:     #%d\n", rec.ID)
	}
	if rec.Reverts != 0 {
		fmt.Fprintf(w, "reverts:    import #%d\n", rec.Reverts)
	}
	fmt.Fprintf(w, "file:       %s\n", path)
	if rec.Encoding == custexport.EncodingXLSX {
		fmt.Fprintf(w, "format:     XLSX workbook (sheets Customers, Customers 2, …)\n")
	} else {
		fmt.Fprintf(w, "encoding:   %s, delimiter %q\n", rec.Encoding, rec.Delimiter)
	}
	fmt.Fprintf(w, "rows:       %d\n", rec.Rows)
	fmt.Fprintf(w, "created:    %d\nupdated:    %d\nunchanged:  %d\nskipped:    %d\n", rec.Created, rec.Updated, rec.Unchanged, rec.Skipped)
	fmt.Fprintf(w, "warnings:   %d\n", rec.Warnings)
	if len(rec.Ignored) > 0 {
		fmt.Fprintf(w, "ignored columns (export only): %s\n", strings.Join(rec.Ignored, ", "))
	}
	if rec.Reverts != 0 {
		fmt.Fprintf(w, "removed:    %d\n", rec.Removed)
	}
	if len(rec.Unknown) > 0 {
		// The tags come from the file: escaped, they can neither drive the terminal nor forge lines.
		tags := make([]string, len(rec.Unknown))
		for i, tag := range rec.Unknown {
			tags[i] = logformat.DisplayText(tag)
		}
		fmt.Fprintf(w, "ignored columns (unknown tags): %s\n", strings.Join(tags, ", "))
	}
	if len(rec.SkippedRows) > 0 {
		fmt.Fprintln(w, "skipped rows:")
		for _, s := range rec.SkippedRows {
			if s.Column != "" {
				fmt.Fprintf(w, "  line %d, %s: %s\n", s.Line, s.Column, reasonText(s.Reason))
			} else {
				fmt.Fprintf(w, "  line %d: %s\n", s.Line, reasonText(s.Reason))
			}
		}
		if int64(len(rec.SkippedRows)) < rec.Skipped {
			fmt.Fprintf(w, "  … and %d more skipped rows (only the first %d are listed)\n", rec.Skipped-int64(len(rec.SkippedRows)), len(rec.SkippedRows))
		}
	}
	printImportWarnings(w, rec)
	if rec.DryRun {
		fmt.Fprintf(w, "dry run: nothing was written (took %s)\n", took.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "applied in one transaction (took %s)\n", took.Round(time.Millisecond))
	}
}

// printImportWarnings lists the fields the import warned about: with their stored and incoming
// values, and whether they were applied (--accept-warnings) or kept.
func printImportWarnings(w io.Writer, rec *custexport.ImportRecord) {
	if rec.Warnings == 0 {
		return
	}
	if rec.AcceptWarnings {
		fmt.Fprintln(w, "warnings (applied: --accept-warnings):")
	} else {
		fmt.Fprintln(w, "warnings (not applied, the stored values were kept; --accept-warnings applies them):")
	}
	for _, x := range rec.WarningRows {
		// The values come from the file and the store: quoted with Go's escapes (control and
		// invalid bytes as \x…), they can neither drive the terminal nor forge lines, and an
		// empty value or a lost CR shows.
		fmt.Fprintf(w, "  line %d, %s: stored %s, incoming %s: %s\n", x.Line, x.Column,
			strconv.Quote(x.Stored), strconv.Quote(x.Incoming), x.Reason)
	}
	if int64(len(rec.WarningRows)) < rec.Warnings {
		fmt.Fprintf(w, "  … and %d more warnings (only the first %d are listed)\n", rec.Warnings-int64(len(rec.WarningRows)), len(rec.WarningRows))
	}
}

// byteBar is the import's progress bar: bytes read of the file's size.
type byteBar struct{ read, total int64 }

func (b *byteBar) start(w io.Writer, total int64) (progress func(int64), stop func()) {
	b.total = total
	var last time.Time
	progress = func(n int64) {
		b.read = n
		if now := time.Now(); now.Sub(last) > 200*time.Millisecond {
			last = now
			b.draw(w)
		}
	}
	return progress, func() { b.draw(w); fmt.Fprintln(w) }
}

func (b *byteBar) draw(w io.Writer) {
	const width = 30
	filled := int(float64(width) * float64(min(b.read, b.total)) / float64(b.total))
	fmt.Fprintf(w, "\r[%s%s] %d / %d MB read", strings.Repeat("#", filled), strings.Repeat(".", width-filled), b.read>>20, b.total>>20)
}

// reasonText prints a skip reason as it is; one holding control characters (a value from the
// file, quoted with %q already escapes them) is escaped whole rather than drive the terminal.
func reasonText(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return logformat.DisplayText(s)
	}
	return s
}
