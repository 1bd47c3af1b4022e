package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/custexport/custexport/bench/internal/columns"
)

// A measure is one command that the harness times. Adding a row to measures() and, if it has
// a target, to checks() is all a new measure needs: e.g. the import is a product measure
// `<bin> import …` against an anchor `sqlite3 fresh.db ".import …"` whose setup gives every
// run a fresh table; the PostgreSQL measures set pg, which makes them fail when the bench
// database could not be made ready and adds the server's CPU time to theirs.
type measure struct {
	name   string
	anchor bool   // an anchor: measured for comparison only, no target of its own
	ext    string // extension of the output file
	// stdout: the command writes its result to standard output, which goes to the output
	// file; otherwise the command is given the output file's path itself.
	stdout bool
	argv   func(c *config, out string) []string
	runs   func(c *config) int
	skip   func(c *config) bool // nil: never skipped
	// setup, when set, runs before every run, outside the timing (e.g. a fresh database for
	// an import).
	setup func(c *config, out string) error
	// verify, when set, checks the output of every successful run (e.g. that an import found
	// every row unchanged); an error fails the measure.
	verify func(c *config, out string) error
	// pg: the measure runs against the PostgreSQL bench database (see postgres.go).
	pg bool
}

// A check compares the median time of a measure with that of another one measured in the
// same run: time(measure) ≤ limit × time(against). limit 0 prints the ratio as information.
// speedup prints the ratio the other way round ("× faster"), as SPEC words the excelize target.
type check struct {
	measure, against string
	limit            float64
	speedup          bool
}

// maxRSSMiB is SPEC section 13's limit on the peak memory of every product export.
const maxRSSMiB = 64

// Measure names; checks refer to them.
const (
	anchorCSV      = "sqlite3 -csv"
	anchorScan     = "sqlite3 raw scan"
	anchorXLSXC    = "libxlsxwriter"
	anchorExcelize = "excelize StreamWriter"
	productCSV     = "CSV utf-8"
	productCP1250  = "CSV windows-1250"
	productXML     = "XML"
	productXLSX    = "XLSX"
	anchorImport   = "sqlite3 .import"
	productImport  = "import (round trip)"
	anchorPsql     = `psql \copy`
	productPG      = "PostgreSQL CSV utf-8"
	anchorPsqlFrom = `psql \copy FROM`
	productPGImp   = "PostgreSQL import (round trip)"
)

func measures() []measure {
	standard := func(c *config) int { return c.runs }
	skipProduct := func(c *config) bool { return c.skipProduct }
	skipPG := func(c *config) bool { return c.skipProduct || c.skipPostgres }
	// --no-sync: the anchors leave their files in the page cache for the kernel to write
	// whenever it likes, so the product does too; waiting for the disk (the CLI's default)
	// would measure the disk, not the export.
	product := func(name, ext string, args ...string) measure {
		return measure{name: name, ext: ext, runs: standard, skip: skipProduct,
			argv: func(c *config, out string) []string {
				argv := append([]string{c.bin, "export"}, args...)
				return append(argv, "-o", out, "--no-sync", "--data-dir", c.dataDir)
			}}
	}
	return []measure{
		{name: anchorCSV, anchor: true, ext: "csv", stdout: true, runs: standard,
			// The date-times stay raw integers instead of formatted shop time: that only
			// makes the anchor faster, i.e. the product's target stricter.
			argv: func(c *config, _ string) []string {
				return []string{"sqlite3", "-readonly", "-csv", "-header", c.db, columns.Select()}
			}},
		{name: anchorScan, anchor: true, ext: "txt", stdout: true, runs: standard,
			argv: func(c *config, _ string) []string {
				return []string{"sqlite3", "-readonly", c.db, columns.RawScan()}
			}},
		{name: anchorXLSXC, anchor: true, ext: "xlsx", runs: standard,
			argv: func(c *config, out string) []string {
				return []string{filepath.Join(c.outDir, "xlsxwriter-export"), c.db, out, columns.Select()}
			}},
		// excelize takes far longer than everything else together, so by default it runs
		// once (-excelize-runs): one sample is enough for a ≥ 8× target.
		{name: anchorExcelize, anchor: true, ext: "xlsx",
			runs: func(c *config) int { return c.excelizeRuns },
			skip: func(c *config) bool { return c.skipExcelize },
			argv: func(c *config, out string) []string {
				return []string{filepath.Join(c.outDir, "excelize-export"), "-db", c.db, "-o", out}
			}},
		product(productCSV, "csv", "--format", "csv"),
		product(productCP1250, "csv", "--format", "csv", "--encoding", "windows-1250"),
		product(productXML, "xml", "--format", "xml"),
		product(productXLSX, "xlsx", "--format", "xlsx"),
		// The import reads back the CSV the product exported (all 1M rows come back
		// "unchanged": the round trip). The anchor loads the same file into a plain table of
		// the same 33 text columns, fresh for every run.
		{name: anchorImport, anchor: true, ext: "db", runs: standard, skip: skipProduct,
			setup: plainTable,
			argv: func(c *config, out string) []string {
				return []string{"sqlite3", out, "-cmd", ".mode csv", "-cmd", ".separator ;", ".import --skip 1 " + importSourcePath(c) + " customer"}
			}},
		{name: productImport, ext: "txt", stdout: true, runs: standard, skip: skipProduct,
			setup:  func(c *config, _ string) error { _, err := importSource(c); return err },
			verify: verifyImport,
			argv: func(c *config, _ string) []string {
				return []string{c.bin, "import", importSourcePath(c), "--data-dir", c.dataDir}
			}},
		// A 200 MB line without a line end: refused, with peak RSS ≤ 64 MiB (longline.go).
		longLineMeasure(skipProduct, standard),
		// PostgreSQL (postgres.go): the same customers, copied from the SQLite data set into
		// database custexport_bench. The anchor's server writes the CSV: the same rows, columns
		// and order, dates as raw integers, disabled_orders as 0/1.
		{name: anchorPsql, anchor: true, pg: true, ext: "csv", stdout: true, runs: standard, skip: skipPG,
			argv: func(c *config, _ string) []string {
				return append([]string{"psql"}, psqlArgs(c.pgBench, `\copy (`+columns.PostgresSelect()+`) TO STDOUT WITH (FORMAT csv, HEADER)`)...)
			}},
		{name: productPG, pg: true, ext: "csv", runs: standard, skip: skipPG,
			argv: func(c *config, out string) []string {
				// The copied shop's master key is in the SQLite shop's data directory.
				return []string{c.bin, "export", "--format", "csv", "--db", c.pgBench, "--data-dir", c.dataDir, "-o", out, "--no-sync"}
			}},
		// The import anchor loads the import's CSV into a fresh table of 33 text columns. HEADER
		// skips the header line whole, BOM included.
		{name: anchorPsqlFrom, anchor: true, pg: true, ext: "txt", stdout: true, runs: standard, skip: skipPG,
			setup: func(c *config, _ string) error { return plainPGTable(c) },
			argv: func(c *config, _ string) []string {
				return append([]string{"psql"}, psqlArgs(c.pgBench, `\copy `+pgPlainTable+` FROM `+
					sqlString(importSourcePath(c))+` WITH (FORMAT csv, HEADER, DELIMITER ';')`)...)
			}},
		{name: productPGImp, pg: true, ext: "txt", stdout: true, runs: standard, skip: skipPG,
			setup:  func(c *config, _ string) error { _, err := importSource(c); return err },
			verify: verifyImport,
			argv: func(c *config, _ string) []string {
				return []string{c.bin, "import", importSourcePath(c), "--db", c.pgBench, "--data-dir", c.dataDir}
			}},
	}
}

// checks are the targets of SPEC section 13, in table order. Every product measure also gets
// the peak memory check (maxRSSMiB).
func checks() []check {
	return []check{
		{measure: productCSV, against: anchorCSV, limit: 0.5},
		{measure: productCSV, against: anchorScan}, // how far above the floor: information
		{measure: productCP1250, against: anchorCSV, limit: 0.65},
		{measure: productXML, against: anchorCSV, limit: 0.75},
		{measure: productXLSX, against: anchorXLSXC, limit: 0.25},
		{measure: productXLSX, against: anchorExcelize, limit: 1.0 / 8, speedup: true},
		{measure: productImport, against: anchorImport, limit: 0.75},
		// PostgreSQL: the export at most as slow as the server's own COPY of the same rows;
		// the import has no target, its ratio is information.
		{measure: productPG, against: anchorPsql, limit: 1.0},
		{measure: productPGImp, against: anchorPsqlFrom},
	}
}

func importSourcePath(c *config) string { return filepath.Join(c.outDir, "import-source.csv") }

// importSource makes the import's input once per invocation: the product's CSV export of the
// data set (UTF-8, guard on), kept until the end.
func importSource(c *config) (string, error) {
	path := importSourcePath(c)
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := command("", c.bin, "export", "--format", "csv", "-o", path, "--data-dir", c.dataDir); err != nil {
		return "", fmt.Errorf("making the import's CSV: %w", err)
	}
	return path, nil
}

// plainTable makes a fresh database at path with one table "customer" of a TEXT column per
// header tag of the import's CSV: what sqlite3's .import loads into.
func plainTable(c *config, path string) error {
	tags, err := headerTags(c)
	if err != nil {
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	var cols []string
	for _, tag := range tags {
		cols = append(cols, `"`+tag+`" TEXT`)
	}
	return command("", "sqlite3", path, "CREATE TABLE customer ("+strings.Join(cols, ", ")+")")
}

// headerTags returns the tags of the header line of the import's CSV (';'-separated, quoted,
// after a BOM), making the CSV first if need be.
func headerTags(c *config) ([]string, error) {
	csvPath, err := importSource(c)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	header, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return nil, err
	}
	header = strings.TrimPrefix(strings.TrimSpace(header), "\ufeff")
	var tags []string
	for _, tag := range strings.Split(header, ";") {
		tags = append(tags, strings.Trim(tag, `"`))
	}
	return tags, nil
}
