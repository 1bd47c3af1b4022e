package main

import (
	"path/filepath"

	"github.com/custexport/custexport/bench/internal/columns"
)

// A measure is one command that the harness times. Adding a row to measures() and, if it has
// a target, to checks() is all a new measure needs. The planned ones slot in like this:
//
//   - import of the 1M CSV: a product measure `<bin> import …` with a setup that gives every run
//     a fresh database, against an anchor `sqlite3 fresh.db ".import --csv FILE customer"`
//     (also with setup), check limit 0.75;
//   - PostgreSQL CSV export: `<bin> export … --database postgres://…` against an anchor
//     `psql -c "\copy (SELECT …) TO STDOUT CSV"` with stdout set, check limit 1.0; skip
//     when no server is configured.
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
)

func measures() []measure {
	standard := func(c *config) int { return c.runs }
	skipProduct := func(c *config) bool { return c.skipProduct }
	product := func(name, ext string, args ...string) measure {
		return measure{name: name, ext: ext, runs: standard, skip: skipProduct,
			argv: func(c *config, out string) []string {
				argv := append([]string{c.bin, "export"}, args...)
				return append(argv, "-o", out, "--data-dir", c.dataDir)
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
	}
}
