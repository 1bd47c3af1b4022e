package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport/bench/internal/columns"
)

// The PostgreSQL measures run against database pgBenchDB on the server -pg names. The database
// is kept between runs like .data: it is made anew (dropped, created, filled with `custexport
// copy` from the SQLite data set) only when it is missing or holds another number of customers.
const (
	defaultPG    = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	pgBenchDB    = "custexport_bench"
	pgPlainTable = "plain" // the import anchor's table of 33 text columns in pgBenchDB
)

// resolvePostgres checks -pg and derives the DSN of the bench database from it: the same
// server, user and options, database pgBenchDB. A password in the URL moves to PGPASSWORD,
// which psql and the product (pgx) both read, so that it shows in no command line, table or
// results.json.
func (c *config) resolvePostgres() error {
	if c.skipPostgres || c.skipProduct {
		return nil
	}
	u, err := url.Parse(c.pg)
	if err != nil || u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("-pg: expected a postgres:// URL of the server's maintenance database, got %q", c.pg)
	}
	if strings.Trim(u.Path, "/") == pgBenchDB {
		return fmt.Errorf("-pg: name the server's maintenance database (e.g. /postgres), not %s: the harness drops and creates %s from it", pgBenchDB, pgBenchDB)
	}
	if pw, ok := u.User.Password(); ok {
		os.Setenv("PGPASSWORD", pw)
		u.User = url.User(u.User.Username())
	}
	c.pg = u.String()
	u.Path, u.RawPath = "/"+pgBenchDB, ""
	c.pgBench = u.String()
	// An unreachable server should fail the PostgreSQL measures within seconds, not hang.
	if os.Getenv("PGCONNECT_TIMEOUT") == "" {
		os.Setenv("PGCONNECT_TIMEOUT", "10")
	}
	return nil
}

// preparePostgres makes the bench database ready for the measures. Any problem (the server is
// unreachable, the copy fails, the anchor's plan is not the product's) is kept in c.pgErr:
// every PostgreSQL measure then FAILS with it, and benchrun exits 1. Leaving the rows out
// quietly would pass for a run that measured PostgreSQL.
func preparePostgres(c *config, reseeded bool) {
	if c.skipPostgres || c.skipProduct {
		return
	}
	if err := fillPostgres(c, reseeded); err != nil {
		c.pgErr = fmt.Errorf("PostgreSQL at %s: %w\n(start the server, point -pg at another one, or pass -skip-postgres)", c.pg, err)
		fmt.Fprintf(os.Stderr, "%v\n", c.pgErr)
	}
}

func fillPostgres(c *config, reseeded bool) error {
	version, err := psql(c.pg, "SHOW server_version")
	if err != nil {
		return fmt.Errorf("unreachable: %w", err)
	}
	c.pgVersion, _, _ = strings.Cut(version, " ")
	exists, err := psql(c.pg, "SELECT count(*) FROM pg_database WHERE datname = '"+pgBenchDB+"'")
	if err != nil {
		return err
	}
	count := -1
	if exists == "1" {
		// No customer table (a copy that failed half-way) counts as a database to make anew.
		if out, err := psql(c.pgBench, "SELECT count(*) FROM customer"); err == nil {
			count, _ = strconv.Atoi(out)
		}
	}
	if count != c.customers || reseeded || !sameAccounts(c) {
		if err := copyToPostgres(c, exists == "1", count); err != nil {
			return err
		}
	}
	// Fresh statistics, so that the planner sees 1M rows (copy does not analyze); cheap when
	// nothing changed.
	if _, err := psql(c.pgBench, "ANALYZE customer"); err != nil {
		return err
	}
	plan, err := psql(c.pgBench, "EXPLAIN "+columns.PostgresSelect())
	if err != nil {
		return err
	}
	// The anchor must walk the index in order as the product's export does (the product's
	// migration made the index for this): a sort of every row would not be the product's work.
	if !strings.Contains(plan, "Index Scan using customer_registration") || strings.Contains(plan, "Sort") {
		return fmt.Errorf("the anchor's query does not walk index customer_registration without a sort:\n%s\n%s", columns.PostgresSelect(), plan)
	}
	// Read the table and the index once, so that they are in the caches for all measures alike.
	warm := exec.Command("psql", psqlArgs(c.pgBench, `\copy (`+columns.PostgresSelect()+`) TO STDOUT WITH (FORMAT csv, HEADER)`)...)
	warm.Env = childEnv()
	warm.Stdout = io.Discard
	var stderr bytes.Buffer
	warm.Stderr = &stderr
	if err := warm.Run(); err != nil {
		return fmt.Errorf("reading the customers once: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// sameAccounts reports whether the PostgreSQL copy holds the data set's account guids (its first
// and last customer's). Each store's migration 0006 gives existing customers random ones, so
// a copy made before both were migrated differs, and the import round trip of the CSV exported
// from SQLite would find every row's accountGuid changed; such a copy is made anew.
func sameAccounts(c *config) bool {
	const q = "SELECT account_guid FROM customer WHERE id IN ((SELECT min(id) FROM customer), (SELECT max(id) FROM customer)) ORDER BY id"
	lite, err := exec.Command("sqlite3", "-readonly", c.db, q).Output()
	if err != nil {
		return false
	}
	pg, err := psql(c.pgBench, q)
	return err == nil && strings.Join(strings.Fields(string(lite)), " ") == strings.Join(strings.Fields(pg), " ")
}

// copyToPostgres drops and creates the bench database and fills it with the product's copy of
// the SQLite data set: the same customers with the same ids and values, so that the import of
// the CSV exported from SQLite finds every row unchanged here too.
func copyToPostgres(c *config, existed bool, had int) error {
	switch {
	case !existed:
		fmt.Fprintf(os.Stderr, "PostgreSQL: no database %s: making it\n", pgBenchDB)
	case had != c.customers:
		fmt.Fprintf(os.Stderr, "PostgreSQL: %s has %d customers, want %d: making it anew\n", pgBenchDB, had, c.customers)
	default:
		fmt.Fprintf(os.Stderr, "PostgreSQL: the SQLite data set was made anew: making %s anew\n", pgBenchDB)
	}
	if _, err := psql(c.pg, "SET client_min_messages = warning",
		"DROP DATABASE IF EXISTS "+pgBenchDB+" WITH (FORCE)", "CREATE DATABASE "+pgBenchDB); err != nil {
		return err
	}
	start := time.Now()
	if err := command("", c.bin, "copy", "--to", c.pgBench, "--data-dir", c.dataDir); err != nil {
		return fmt.Errorf("custexport copy: %w", err)
	}
	out, err := psql(c.pgBench, "SELECT count(*) FROM customer")
	if err != nil {
		return err
	}
	if n, _ := strconv.Atoi(out); n != c.customers {
		return fmt.Errorf("custexport copy made %s customers in %s, want %d", out, pgBenchDB, c.customers)
	}
	fmt.Fprintf(os.Stderr, "PostgreSQL: copied %d customers into %s in %s\n", c.customers, pgBenchDB, time.Since(start).Round(time.Millisecond))
	return nil
}

// plainPGTable gives the import anchor a fresh table in the bench database: one text column
// per header tag of the import's CSV. Autovacuum is off for it: it would otherwise start on the
// loaded rows right after the run and take the CPU from the next measure.
func plainPGTable(c *config) error {
	tags, err := headerTags(c)
	if err != nil {
		return err
	}
	cols := make([]string, len(tags))
	for i, tag := range tags {
		cols[i] = `"` + tag + `" text`
	}
	_, err = psql(c.pgBench, "SET client_min_messages = warning", "DROP TABLE IF EXISTS "+pgPlainTable,
		"CREATE TABLE "+pgPlainTable+" ("+strings.Join(cols, ", ")+") WITH (autovacuum_enabled = false)")
	return err
}

// cleanupPostgres drops the import anchor's table (hundreds of MB at 1M); the customers stay.
func cleanupPostgres(c *config) {
	if c.skipPostgres || c.skipProduct || c.pgErr != nil {
		return
	}
	if _, err := psql(c.pgBench, "DROP TABLE IF EXISTS "+pgPlainTable); err != nil {
		fmt.Fprintf(os.Stderr, "PostgreSQL: dropping table %s: %v\n", pgPlainTable, err)
	}
}

// psqlArgs is how every psql here runs: no ~/.psqlrc (-X), quiet, one command per -c.
func psqlArgs(dsn string, cmds ...string) []string {
	args := []string{"-X", "-q", dsn}
	for _, cmd := range cmds {
		args = append(args, "-c", cmd)
	}
	return args
}

// psql runs commands in dsn, stopping at the first error, and returns the output unaligned
// and without headers, trimmed.
func psql(dsn string, cmds ...string) (string, error) {
	cmd := exec.Command("psql", append([]string{"-At", "-v", "ON_ERROR_STOP=1"}, psqlArgs(dsn, cmds...)...)...)
	cmd.Env = childEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("psql %s: %s", strings.Join(quoteArgs(cmds), "; "), msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// sqlString quotes s as an SQL (and psql \copy) string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// backendWatch adds up the CPU time of the PostgreSQL server processes that serve one
// database's client connections while a measure runs. The server does most of the work of the
// PostgreSQL measures (all of it, nearly, for psql \copy), and that time belongs to the
// measure: without it "cpu s" would show the client only, and the check for other processes
// would count the server as one. A backend's CPU time can only be read while it lives, so it
// is sampled every 20 ms; what a backend uses after its last sample is lost.
type backendWatch struct {
	db     string
	stop   chan struct{}
	result chan time.Duration
}

func watchBackends(db string) *backendWatch {
	w := &backendWatch{db: db, stop: make(chan struct{}), result: make(chan time.Duration, 1)}
	base := map[int]time.Duration{} // backends that were there before: only their increase counts
	for _, pid := range w.scan() {
		base[pid] = procCPU(pid)
	}
	go w.loop(base)
	return w
}

// done ends the watch and returns the CPU time the database's backends used during it.
func (w *backendWatch) done() time.Duration {
	close(w.stop)
	return <-w.result
}

func (w *backendWatch) loop(base map[int]time.Duration) {
	last := maps.Clone(base)
	sample := func(rescan bool) {
		if rescan {
			for _, pid := range w.scan() {
				if _, ok := last[pid]; !ok {
					last[pid] = 0
				}
			}
		}
		for pid := range last {
			if cpu := procCPU(pid); cpu > 0 {
				last[pid] = cpu
			}
		}
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-w.stop:
			sample(false)
			var sum time.Duration
			for pid, cpu := range last {
				sum += max(0, cpu-base[pid])
			}
			w.result <- sum
			return
		case <-tick.C:
			// Scanning /proc is the costly part: every tick until a backend showed up, then
			// every half second for further connections (the product's pool may open some).
			sample(len(last) == len(base) || n%25 == 0)
		}
	}
}

// scan returns the pids of the server's backends connected to database w.db. A backend's
// process title is "postgres: [cluster: ]USER DB HOST(PORT) ACTIVITY" (or "[local]" for a
// Unix socket); autovacuum workers name the database too but with no host after it.
func (w *backendWatch) scan() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		title, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		fields := strings.Fields(string(bytes.ReplaceAll(title, []byte{0}, []byte{' '})))
		for i := 1; i+1 < len(fields); i++ {
			if fields[i] == w.db && (strings.HasSuffix(fields[i+1], ")") || fields[i+1] == "[local]") {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// procCPU returns a process's user + system time from /proc/PID/stat (in 100 Hz ticks), or 0
// when it has ended.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command name in parentheses: state is the first, utime the 12th.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// verifyImport checks an import's report: every row of the data set came back "unchanged", as
// the round trip must. An import that changed rows did other work than the measure claims
// (say, the PostgreSQL database holds other customers than the SQLite data set).
func verifyImport(c *config, out string) error {
	data, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	counts := map[string]string{}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(line, ":"); ok {
			counts[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	want := map[string]string{"rows": strconv.Itoa(c.customers), "unchanged": strconv.Itoa(c.customers),
		"created": "0", "updated": "0", "skipped": "0"}
	for k, v := range want {
		if counts[k] != v {
			return fmt.Errorf("the import reported %s: %q, want %s: not a round trip of the data set:\n%s", k, counts[k], v, strings.TrimSpace(string(data)))
		}
	}
	return nil
}
