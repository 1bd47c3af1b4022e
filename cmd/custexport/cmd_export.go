package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/atomicfile"
	"github.com/custexport/custexport/internal/exporter"
)

func runExport(ctx context.Context, c *commandLine, args []string) error {
	fs, io := c.flags, c.io
	choices := registerExportFlags(fs, "turn the formula guard off (values starting with = + - @ are not protected)")
	output := fs.String("o", "", "output file (default: standard output)")
	noSync := fs.Bool("no-sync", false, "with -o: do not wait for the file to be written to disk before finishing (faster; an operating system crash soon after may leave it incomplete)")
	if err := c.parse(args); err != nil {
		return err
	}
	if *noSync && *output == "" {
		return usagef("--no-sync needs -o FILE (standard output is never synced)")
	}
	opts, err := custexport.ParseExportOptions(choices.input(), cliExportNames)
	if err != nil {
		return flagProblem(err)
	}
	loc := c.loc
	if *output == "" && isTerminal(io.out) && opts.Format == custexport.FormatXLSX {
		return usagef("refusing to write an XLSX file to the terminal; give -o FILE or redirect the output")
	}

	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	engine := newEngine(db, loc)

	out, err := openOutput(*output, io.out, atomicfile.Options{NoSync: *noSync})
	if err != nil {
		return err
	}
	defer out.discard()

	var progress exporter.Progress
	stopBar := startProgressBar(io.err, &progress)
	res, err := engine.Run(ctx, exporter.Request{
		Principal: operatorPrincipal(c.getenv),
		Channel:   custexport.ChannelCLI,
		ClientIP:  "local",
		UserAgent: "custexport-cli",
		Options:   opts,
	}, out.w, &progress)
	stopBar()
	if err != nil {
		return fmt.Errorf("export failed after %d rows: %w", res.Rows, err)
	}
	if err := out.commit(); err != nil {
		return err
	}
	dest := *output
	if dest == "" {
		dest = "standard output"
	}
	fmt.Fprintf(io.err, "exported %d customers as %s to %s: %s, %d characters replaced, %s\n",
		res.Rows, describeFormat(opts), dest, formatBytes(res.Bytes), res.Replaced, res.Duration.Round(time.Millisecond))
	if res.Replaced > 0 {
		fmt.Fprintf(io.err, "warning: %d characters cannot be written in %s and were written as '?'\n", res.Replaced, opts.Encoding)
	}
	return nil
}

// exportFlags are an export's choices as flags: the same flags, with the same rule behind
// them, for export and for partner url.
type exportFlags struct {
	format, from, until, encoding *string
	noGuard                       *bool
}

// cliExportNames names the fields of the export options as the flags do, so that an error
// says exactly what the user typed.
var cliExportNames = custexport.ExportFieldNames{Format: "--format", From: "--from", Until: "--until", Encoding: "--encoding", Guard: "--no-guard"}

func registerExportFlags(fs *flag.FlagSet, guardHelp string) *exportFlags {
	return &exportFlags{
		format:   fs.String("format", "", "file format: csv, xml or xlsx (required)"),
		from:     fs.String("from", "", "first registration day, YYYY-MM-DD (shop time; default: no limit)"),
		until:    fs.String("until", "", "last registration day, YYYY-MM-DD, inclusive (default: no limit)"),
		encoding: fs.String("encoding", "utf-8", "CSV character encoding: utf-8 or windows-1250"),
		noGuard:  fs.Bool("no-guard", false, guardHelp),
	}
}

// input is the choices as the domain's rule (custexport.ParseExportOptions) takes them.
func (f *exportFlags) input() custexport.ExportInput {
	guard := ""
	if *f.noGuard {
		guard = "0"
	}
	return custexport.ExportInput{Format: *f.format, From: *f.from, Until: *f.until, Encoding: *f.encoding, Guard: guard}
}

// flagProblem turns the first field error of an option rule into a usage error (exit 2) that
// names the flag.
func flagProblem(err error) error {
	if p := custexport.ProblemsOf(err); len(p) > 0 {
		return usagef("%s", p[0].Error())
	}
	return err
}

func describeFormat(o custexport.ExportOptions) string {
	if o.Format == custexport.FormatCSV {
		return fmt.Sprintf("csv (%s)", o.Encoding)
	}
	return string(o.Format)
}

// output is where an export goes: standard output, or the -o path as atomicfile.Create takes
// it. A file there (or none) is written under a temporary name in its directory and renamed
// only when the export succeeded, so a failed export never leaves a partial file that looks
// finished; a symbolic link is followed to the file it names; a device, FIFO, socket or the
// shell's /dev/fd/N is written directly; a directory is refused.
type output struct {
	w    io.Writer
	file *atomicfile.File // nil for standard output
}

func openOutput(path string, stdout io.Writer, fileOpts atomicfile.Options) (*output, error) {
	if path == "" {
		return &output{w: stdout}, nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	f, err := atomicfile.Create(abs, ".partial", fileOpts)
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	return &output{w: f, file: f}, nil
}

func (o *output) commit() error {
	if o.file == nil {
		return nil
	}
	return o.file.Commit()
}

// discard removes the temporary file unless the export was committed; what went directly to a
// device or pipe stays written.
func (o *output) discard() {
	if o.file != nil {
		o.file.Discard()
	}
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
