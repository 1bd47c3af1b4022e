// Command benchrun is `make bench` (SPEC section 13): it builds the product and the anchors,
// makes the data set, times every export and its anchors on the same rows in the same run, and
// prints medians, peak memory and the ratios against the targets.
//
// Run it from the bench directory (bench/Makefile does): paths default to .data and out there.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport/bench/internal/columns"
)

type config struct {
	bin, dataDir, db, outDir    string
	customers, runs             int
	excelizeRuns                int
	skipExcelize, skipProduct   bool
	skipServer                  bool
	flood                       time.Duration // the flood measure's length; 0: left out
	onlyFlood                   bool
	skipPostgres                bool
	pg, pgBench                 string // the server's maintenance database and the bench database
	pgErr                       error  // why the PostgreSQL measures cannot run (see preparePostgres)
	pgVersion                   string
	keep                        bool
	settle                      time.Duration
	mainRoot                    string // the product's module root, for building the binary
	started                     time.Time
	sqliteVersion, cpu, goBuild string
}

func main() {
	c := &config{started: time.Now()}
	flag.StringVar(&c.bin, "bin", "", "product `binary`; empty: build ../cmd/custexport into the out directory")
	flag.StringVar(&c.dataDir, "data-dir", ".data", "data `directory` holding custexport.db; made with custexport seed when missing")
	flag.StringVar(&c.outDir, "out", "out", "`directory` for builds, export files and results")
	flag.IntVar(&c.customers, "customers", 1000000, "customers in the data set")
	flag.IntVar(&c.runs, "runs", 3, "runs of each measure (the table shows medians)")
	flag.IntVar(&c.excelizeRuns, "excelize-runs", 1, "runs of the excelize anchor, which takes longer than all the others together")
	flag.BoolVar(&c.skipExcelize, "skip-excelize", false, "leave out the excelize anchor (quick local iterations only: its target then shows n/a)")
	flag.BoolVar(&c.skipServer, "skip-server", false, "leave out the URL measures (first byte, 16 concurrent partner downloads)")
	flag.DurationVar(&c.flood, "flood", time.Minute, "`length` of the access-log flood measure (256 addresses, bad hashes, 60 KB user agents); 0 leaves it out")
	flag.BoolVar(&c.onlyFlood, "only-flood", false, "run the flood measure alone (no data set needed: it makes a small database of its own)")
	flag.StringVar(&c.pg, "pg", envOr("CUSTEXPORT_BENCH_PG", defaultPG), "`DSN` (postgres://…) of the PostgreSQL server's maintenance database; the harness keeps database "+pgBenchDB+" there (env CUSTEXPORT_BENCH_PG)")
	flag.BoolVar(&c.skipPostgres, "skip-postgres", false, "leave out the PostgreSQL measures (psql \\copy anchors, PostgreSQL CSV export and import)")
	flag.BoolVar(&c.skipProduct, "skip-product", false, "measure the anchors only (to check the harness on a data set made by hand)")
	flag.BoolVar(&c.keep, "keep", false, "keep the last output file of each measure in the out directory for inspection")
	flag.DurationVar(&c.settle, "settle", 0, "before each run, wait up to this `long` for a second in which other processes use under 10% of the CPU (for shared machines)")
	flag.Parse()
	if flag.NArg() > 0 || c.runs < 1 || c.excelizeRuns < 1 || c.customers < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := benchmark(c); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func benchmark(c *config) error {
	if err := c.resolvePaths(); err != nil {
		return err
	}
	if c.onlyFlood {
		return benchmarkFlood(c)
	}
	if err := c.resolvePostgres(); err != nil {
		return err
	}
	count, err := countCustomers(c.db)
	if err != nil {
		return err
	}
	needSeed := count != c.customers
	if err := c.build(needSeed || !c.skipProduct); err != nil {
		return err
	}
	if needSeed {
		if err := seed(c, count); err != nil {
			return err
		}
	} else if !c.skipProduct {
		// A data set kept from an older product lacks the columns of newer migrations
		// (account_guid), which the anchors read too: the product brings it up to date first.
		if err := command("", c.bin, "migrate", "--data-dir", c.dataDir); err != nil {
			return fmt.Errorf("migrating the data set: %w", err)
		}
	}
	if err := checkPlans(c.db); err != nil {
		return err
	}
	preparePostgres(c, needSeed)
	c.describeMachine()
	warmUp(c.db)

	results, failed := measureAll(c)
	os.Remove(importSourcePath(c)) // hundreds of MB at 1M
	os.Remove(longLinePath(c))
	cleanupPostgres(c)
	var srv *serverResult
	if !c.skipProduct && !c.skipServer {
		srv = measureServer(c)
		failed = failed || srv.Error != ""
	}
	var flood *floodResult
	if !c.skipProduct && c.flood > 0 {
		flood = measureFlood(c)
		failed = failed || flood.Error != ""
	}
	rep := newReport(c, results, srv)
	rep.addFlood(flood, c.flood)
	fmt.Println()
	fmt.Print(rep.text())
	if err := rep.save(c.outDir); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "results: %s, %s; took %s\n", filepath.Join(c.outDir, "results.md"),
		filepath.Join(c.outDir, "results.json"), time.Since(c.started).Round(time.Second))
	if failed {
		return errors.New("some measures failed; their errors are below the table")
	}
	return nil
}

// benchmarkFlood is -only-flood: the product built, the flood measured, its table printed.
func benchmarkFlood(c *config) error {
	if c.flood <= 0 {
		return errors.New("-only-flood needs a -flood length")
	}
	if c.bin == "" {
		c.bin = filepath.Join(c.outDir, "custexport")
		if err := command(c.mainRoot, "go", "build", "-o", c.bin, "./cmd/custexport"); err != nil {
			return fmt.Errorf("building the product: %w", err)
		}
	}
	flood := measureFlood(c)
	rep := &report{Started: c.started, Runs: c.runs}
	rep.addFlood(flood, c.flood)
	var b strings.Builder
	floodTable(&b, rep.Checks, rep.FloodLength)
	fmt.Print("\n" + b.String())
	if flood.Error != "" {
		return errors.New(flood.Error)
	}
	return nil
}

// resolvePaths makes every path absolute (the product is handed --data-dir and -o) and finds
// the product's module root, which is the bench directory's parent.
func (c *config) resolvePaths() error {
	mod, err := os.ReadFile("go.mod")
	if err != nil || !bytes.Contains(mod, []byte("module github.com/custexport/custexport/bench\n")) {
		return errors.New("run from the bench directory (make -C bench)")
	}
	for _, p := range []*string{&c.dataDir, &c.outDir} {
		if *p, err = filepath.Abs(*p); err != nil {
			return err
		}
		if err := os.MkdirAll(*p, 0o755); err != nil {
			return err
		}
	}
	if c.bin != "" {
		if c.bin, err = filepath.Abs(c.bin); err != nil {
			return err
		}
	}
	c.db = filepath.Join(c.dataDir, "custexport.db")
	c.mainRoot, err = filepath.Abs("..")
	return err
}

// build compiles the product (when it is needed and not given by -bin) and the two anchors
// that are programs of ours.
func (c *config) build(needProduct bool) error {
	if needProduct && c.bin == "" {
		c.bin = filepath.Join(c.outDir, "custexport")
		if err := command(c.mainRoot, "go", "build", "-o", c.bin, "./cmd/custexport"); err != nil {
			return fmt.Errorf("building the product: %w", err)
		}
	}
	// -O2 and nothing else: the library as Debian ships it, built the way its users would.
	if err := command("", "cc", "-O2", "xlsxwriter/export.c", "-lxlsxwriter", "-lsqlite3",
		"-o", filepath.Join(c.outDir, "xlsxwriter-export")); err != nil {
		return fmt.Errorf("building the libxlsxwriter anchor: %w", err)
	}
	if c.skipExcelize {
		return nil
	}
	if err := command("", "go", "build", "-o", filepath.Join(c.outDir, "excelize-export"), "./cmd/excelize-export"); err != nil {
		return fmt.Errorf("building the excelize anchor: %w", err)
	}
	return nil
}

// countCustomers returns the rows of the data set, or -1 when there is no database yet.
func countCustomers(db string) (int, error) {
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		return -1, nil
	}
	out, err := exec.Command("sqlite3", "-readonly", db, "SELECT count(*) FROM customer").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("counting customers in %s: %v: %s", db, err, out)
	}
	return strconv.Atoi(strings.TrimSpace(string(out)))
}

// seed makes the data set with the product's own deterministic generator. A database with a
// different count is replaced: it is generated data, and reusing it between runs is only
// worth it when it is the data set asked for.
func seed(c *config, had int) error {
	if had >= 0 {
		fmt.Fprintf(os.Stderr, "data set has %d customers, want %d: making it anew\n", had, c.customers)
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(c.db + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	start := time.Now()
	if err := command("", c.bin, "seed", "--customers", strconv.Itoa(c.customers), "--seed", "1", "--data-dir", c.dataDir); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	n, err := countCustomers(c.db)
	if err != nil {
		return err
	}
	if n != c.customers {
		return fmt.Errorf("seeding made %d customers in %s, want %d", n, c.db, c.customers)
	}
	fmt.Fprintf(os.Stderr, "seeded %d customers in %s\n", n, time.Since(start).Round(time.Second))
	return nil
}

// checkPlans makes sure both SQL anchors walk index customer_registration in order with no
// sort: an anchor that sorted, or scanned the table instead, would not be the product's work.
func checkPlans(db string) error {
	for _, q := range []string{columns.Select(), columns.RawScan()} {
		out, err := exec.Command("sqlite3", "-readonly", db, "EXPLAIN QUERY PLAN "+q).CombinedOutput()
		if err != nil {
			return fmt.Errorf("EXPLAIN QUERY PLAN: %v: %s", err, out)
		}
		plan := string(out)
		if !strings.Contains(plan, "USING INDEX customer_registration") || strings.Contains(plan, "TEMP B-TREE") {
			return fmt.Errorf("query does not walk index customer_registration without a sort:\n%s\n%s", q, plan)
		}
	}
	return nil
}

// warmUp reads the database once so that it is in the page cache before the first timed run;
// otherwise whichever measure comes first would pay the disk reads for all of them.
func warmUp(db string) {
	for _, suffix := range []string{"", "-wal"} {
		if f, err := os.Open(db + suffix); err == nil {
			_, _ = io.Copy(io.Discard, f)
			f.Close()
		}
	}
}

// describeMachine notes what the table's numbers depend on.
func (c *config) describeMachine() {
	if out, err := exec.Command("sqlite3", "--version").Output(); err == nil {
		c.sqliteVersion, _, _ = strings.Cut(string(out), " ")
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				c.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		c.goBuild = strings.TrimSpace(string(out))
	}
}

// measureAll runs every measure its number of times. The machine is shared and noisy, so the
// runs are interleaved: round 1 of every measure, then round 2, and so on. A slow minute then
// hits one run of several measures rather than all runs of one, and the medians stay
// comparable. Each round also starts one measure further on, so that no measure always runs
// right after the same one (say, the long excelize run that leaves the caches cold).
func measureAll(c *config) (results []*result, failed bool) {
	var active []measure
	rounds := 0
	for _, m := range measures() {
		if m.skip != nil && m.skip(c) {
			continue
		}
		active = append(active, m)
		results = append(results, &result{Name: m.name, Anchor: m.anchor, Command: m.argv(c, m.out(c))})
		rounds = max(rounds, m.runs(c))
	}
	for r := range rounds {
		for k := range active {
			i := (k + r) % len(active)
			m, res := active[i], results[i]
			if r >= m.runs(c) || res.Error != "" {
				continue
			}
			out := m.out(c)
			s, err := runOnce(c, m, out)
			// Exports of 1M customers are hundreds of MB each: keep none unless asked, and
			// then only the last good one.
			if err != nil || !c.keep || r != m.runs(c)-1 {
				os.Remove(out)
			}
			if err != nil {
				res.Error = err.Error()
				failed = true
				fmt.Fprintf(os.Stderr, "[round %d/%d] %-30s FAILED: %v\n", r+1, rounds, m.name, err)
				continue
			}
			res.add(s)
			fmt.Fprintf(os.Stderr, "[round %d/%d] %-30s %8.3f s  %7.1f MiB  cpu %6.2f s  others %3.0f%%\n",
				r+1, rounds, m.name, s.wall.Seconds(), float64(s.maxRSSKiB)/1024, s.cpu.Seconds(), s.others*100)
		}
	}
	return results, failed
}

func runOnce(c *config, m measure, out string) (sample, error) {
	if m.pg && c.pgErr != nil {
		return sample{}, c.pgErr
	}
	// A file kept by an earlier -keep run goes before the clock starts: freeing a 1 GiB file's
	// pages takes the kernel a good part of a second, which the product (renaming its file over
	// the old one) would pay inside its time, and an anchor (whose stdout file is truncated
	// before the start) would not.
	if err := os.Remove(out); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return sample{}, err
	}
	if m.setup != nil {
		if err := m.setup(c, out); err != nil {
			return sample{}, fmt.Errorf("setup: %w", err)
		}
	}
	if c.settle > 0 {
		settle(c.settle)
	}
	watchDB := ""
	if m.pg {
		watchDB = pgBenchDB
	}
	s, err := run(m.argv(c, out), out, m.stdout, watchDB)
	if err == nil && m.verify != nil {
		err = m.verify(c, out)
	}
	return s, err
}

// out is the measure's output file, e.g. out/csv-windows-1250.csv.
func (m measure) out(c *config) string {
	slug := strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			return r
		}
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, m.name)
	for strings.Contains(slug, "--") {
		slug = strings.ReplaceAll(slug, "--", "-")
	}
	return filepath.Join(c.outDir, slug+"."+m.ext)
}

// command runs a build or setup step in dir ("" = here), its output going to our stderr.
func command(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = childEnv()
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	return cmd.Run()
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// childEnv is our environment without the product's CUSTEXPORT_* settings: a developer's
// CUSTEXPORT_DB or CUSTEXPORT_TIMEZONE would otherwise point the product at other data or
// other work than the anchors get.
func childEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "CUSTEXPORT_")
	})
}
