package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/custexport/custexport/internal/linksign"
	"github.com/custexport/custexport/internal/sqlite"
)

// cli runs the command in-process with its own data directory and returns exit code and output.
type cli struct {
	t       *testing.T
	dataDir string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, dataDir: t.TempDir()}
}

// newShop is a cli whose data directory holds an empty shop, as `migrate` makes it: the commands
// that read a shop refuse a directory without one.
func newShop(t *testing.T) *cli {
	c := newCLI(t)
	c.mustRun("migrate")
	return c
}

func (c *cli) run(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	return c.runWith(ctx, "", nil, args...)
}

// runWith runs the command in c's data directory with stdin as its standard input (not a
// terminal, as in a script) and env's variables besides the data directory.
func (c *cli) runWith(ctx context.Context, stdin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(name string) string {
		if v, ok := env[name]; ok {
			return v
		}
		if name == "CUSTEXPORT_DATA_DIR" {
			return c.dataDir
		}
		return ""
	}
	code = run(ctx, args, &stdio{in: strings.NewReader(stdin), out: &out, err: &errOut}, getenv)
	return code, out.String(), errOut.String()
}

// refuses runs the command with env's variables and fails t unless it exits with code, prints
// nothing on stdout and mentions each of want on stderr.
func (c *cli) refuses(t *testing.T, env map[string]string, code int, want []string, args ...string) {
	t.Helper()
	got, out, errOut := c.runWith(context.Background(), "", env, args...)
	if got != code {
		t.Fatalf("custexport %s: exit %d, want %d; stderr: %s", strings.Join(args, " "), got, code, errOut)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("stderr %q does not mention %q", errOut, w)
		}
	}
	if out != "" {
		t.Errorf("a refused command printed %q on stdout, want nothing", out)
	}
}

func (c *cli) mustRun(args ...string) (stdout, stderr string) {
	c.t.Helper()
	code, out, errOut := c.run(context.Background(), args...)
	if code != exitOK {
		c.t.Fatalf("custexport %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out, errOut
}

// jsonLines parses the output of a --format json listing: one JSON object a line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var objects []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("json line %d %q: %v", i+1, line, err)
		}
		objects = append(objects, m)
	}
	return objects
}

func TestSeedAndExportEveryFormat(t *testing.T) {
	c := newCLI(t)
	_, errOut := c.mustRun("seed", "--customers", "300", "--seed", "7")
	if !strings.Contains(errOut, "seeded 300 customers") {
		t.Fatalf("seed summary: %q", errOut)
	}
	dir := t.TempDir()
	for _, tc := range []struct{ args, magic string }{
		{"--format csv", "\xef\xbb\xbf\"guid\";\"accountGuid\";\"email\""},
		{"--format csv --encoding windows-1250", "\"guid\";\"accountGuid\";\"email\""},
		{"--format xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"},
		{"--format xlsx", "PK\x03\x04"},
		{"--format xlsx --no-sync", "PK\x03\x04"},
	} {
		t.Run(tc.args, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.args, " ", "_"))
			_, errOut := c.mustRun(append([]string{"export", "-o", path}, strings.Fields(tc.args)...)...)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte(tc.magic)) {
				t.Fatalf("%s starts with %q, want %q", path, b[:min(len(b), 40)], tc.magic)
			}
			if !strings.Contains(errOut, "exported 300 customers") || !strings.Contains(errOut, "characters replaced") {
				t.Fatalf("summary line missing rows or replaced count: %q", errOut)
			}
			leftovers, _ := filepath.Glob(filepath.Join(dir, ".*partial"))
			if len(leftovers) > 0 {
				t.Fatalf("temporary files left behind: %v", leftovers)
			}
		})
	}
	t.Run("Stdout", func(t *testing.T) {
		out, _ := c.mustRun("export", "--format", "csv", "--from", "2020-1-1", "--until", "2020-12-31")
		lines := strings.Count(out, "\r\n\"") // a record starts after CRLF with a quote
		if !strings.HasPrefix(out, "\xef\xbb\xbf") || lines == 0 || lines >= 300 {
			t.Fatalf("a one-year export to stdout has %d records, want some but not all 300", lines)
		}
	})
}

func TestSeedIsDeterministic(t *testing.T) {
	export := func(seed string) string {
		c := newCLI(t)
		c.mustRun("seed", "--customers", "200", "--seed", seed)
		out, _ := c.mustRun("export", "--format", "xml")
		return out
	}
	a, b, other := export("42"), export("42"), export("43")
	if a != b {
		t.Fatal("the same seed gave different customers")
	}
	if a == other {
		t.Fatal("different seeds gave the same customers")
	}
}

func TestExportBadInput(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "5")
	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"ImpossibleMonth", []string{"--format", "csv", "--from", "2024-13-01"}, exitUsage, []string{"--from", "2024-13-01", "YYYY-MM-DD"}},
		{"NotADate", []string{"--format", "csv", "--from", "abc"}, exitUsage, []string{"--from", "YYYY-MM-DD"}},
		{"BadUntil", []string{"--format", "csv", "--until", "2024-02-30"}, exitUsage, []string{"--until", "no day 30"}},
		{"FromAfterUntil", []string{"--format", "csv", "--from", "2024-05-02", "--until", "2024-05-01"}, exitUsage, []string{"--from", "after --until"}},
		{"UnknownFormat", []string{"--format", "pdf"}, exitUsage, []string{"--format", "csv, xml, xlsx"}},
		{"MissingFormat", []string{}, exitUsage, []string{"--format: a value is required"}},
		{"UnknownEncoding", []string{"--format", "csv", "--encoding", "latin1"}, exitUsage, []string{"--encoding", "utf-8, windows-1250"}},
		{"EncodingForXML", []string{"--format", "xml", "--encoding", "windows-1250"}, exitUsage, []string{"CSV only"}},
		{"UnknownFlag", []string{"--format", "csv", "--colour"}, exitUsage, []string{"colour"}},
		{"UnwritableOutput", []string{"--format", "csv", "-o", "/nonexistent-dir/c.csv"}, exitError, []string{"/nonexistent-dir/c.csv"}},
		{"NoSyncWithoutFile", []string{"--format", "csv", "--no-sync"}, exitUsage, []string{"--no-sync needs -o FILE"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.refuses(t, nil, tc.code, tc.want, append([]string{"export"}, tc.args...)...)
		})
	}
	t.Run("UnderAFile", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "plain.txt")
		os.WriteFile(file, []byte("x"), 0o600)
		code, _, errOut := c.run(context.Background(), "export", "--format", "csv", "-o", filepath.Join(file, "c.csv"))
		if code != exitError || !strings.Contains(errOut, "plain.txt/c.csv") {
			t.Fatalf("exit %d, stderr %q; want 1 naming the path", code, errOut)
		}
	})
}

// A failed export leaves neither a partial file nor a changed earlier one.
func TestFailedExportLeavesNothing(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "3000")
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.xlsx")
	existing := filepath.Join(dir, "existing.csv")
	os.WriteFile(existing, []byte("yesterday's export"), 0o600)
	// Damage one stored row in the middle: the export fails there, after writing 1500 rows.
	db, err := driver.Open("file:" + filepath.Join(c.dataDir, "custexport.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`UPDATE customer SET birth_date = '2024-02-30' WHERE id = (SELECT id FROM customer ORDER BY registration_date, guid LIMIT 1 OFFSET 1500)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fresh, existing} {
		code, _, errOut := c.run(context.Background(), "export", "--format", "xlsx", "-o", path)
		if code != exitError || !strings.Contains(errOut, "export failed after 1500 rows") || !strings.Contains(errOut, "stored birth date") {
			t.Fatalf("interrupted export: exit %d, stderr %q", code, errOut)
		}
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Errorf("%s exists after a failed export", fresh)
	}
	if b, _ := os.ReadFile(existing); string(b) != "yesterday's export" {
		t.Errorf("a failed export changed the existing file to %d bytes", len(b))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left in %s: %v", dir, entries)
	}
}

func TestStoreRefusals(t *testing.T) {
	c := newCLI(t)
	notDB := filepath.Join(t.TempDir(), "notes.db")
	os.WriteFile(notDB, []byte("grocery list"), 0o600)
	code, _, errOut := c.run(context.Background(), "export", "--format", "csv", "--db", notDB)
	if code != exitError || !strings.Contains(errOut, "not a SQLite database") {
		t.Errorf("export from a text file: exit %d, stderr %q", code, errOut)
	}
	c.mustRun("seed", "--customers", "2")
	code, _, errOut = c.run(context.Background(), "seed", "--customers", "2")
	if code != exitError || !strings.Contains(errOut, "already holds 2 customers") {
		t.Errorf("seeding a filled database: exit %d, stderr %q", code, errOut)
	}
	out, _ := c.mustRun("migrate")
	if !strings.Contains(out, fmt.Sprintf("schema version %d", sqlite.LatestVersion())) {
		t.Errorf("migrate output %q", out)
	}
}

func TestUsage(t *testing.T) {
	c := newCLI(t)
	if code, _, errOut := c.run(context.Background()); code != exitUsage || !strings.Contains(errOut, "Commands:") {
		t.Errorf("no arguments: exit %d, %q", code, errOut)
	}
	if code, _, errOut := c.run(context.Background(), "frobnicate"); code != exitUsage || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, errOut)
	}
	if code, _, errOut := c.run(context.Background(), "export", "--help"); code != exitOK || strings.Count(errOut, "Flags:") != 1 {
		t.Errorf("export --help: exit %d, want the usage once: %q", code, errOut)
	}
	if code, _, errOut := c.run(context.Background(), "export", "--colour"); code != exitUsage || strings.Contains(errOut, "-no-guard") {
		t.Errorf("a flag mistake prints its message, not the whole usage: exit %d, %q", code, errOut)
	}
}

// signer is the signer of the shop's master key (DATA-DIR/master.key), for tests that open the
// shop's store directly: a store writes its access log only with the key derived from it.
func (c *cli) signer() *linksign.Signer {
	c.t.Helper()
	key, err := linksign.LoadMasterKey(filepath.Join(c.dataDir, masterKeyFile))
	if err != nil {
		c.t.Fatal(err)
	}
	s, err := linksign.New(key)
	if err != nil {
		c.t.Fatal(err)
	}
	return s
}

// openSQLite opens the shop's SQLite store directly, with its access-log key when its key file
// exists (a shop keyed from the environment is read only); closed at the end of the test.
func (c *cli) openSQLite() *sqlite.DB {
	c.t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(c.dataDir, "custexport.db"))
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, masterKeyFile)); err == nil {
		db.SetLogKey(c.signer().LogKey())
	}
	c.t.Cleanup(func() { db.Close() })
	return db
}

// useNewKey makes the shop's master key file, as a first start does, and gives db its
// access-log key: for tests that build a shop directly in its store.
func (c *cli) useNewKey(db *sqlite.DB) {
	c.t.Helper()
	if _, err := linksign.LoadOrCreateMasterKey(filepath.Join(c.dataDir, masterKeyFile)); err != nil {
		c.t.Fatal(err)
	}
	db.SetLogKey(c.signer().LogKey())
}
