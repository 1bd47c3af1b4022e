package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/sqlite"
)

// readingCommands are command lines that read a shop: each must refuse a database that does not
// exist. FILE stands for an existing file to import, OUT for an output file.
var readingCommands = [][]string{
	{"export", "--format", "csv", "-o", "OUT"},
	{"export", "--format", "xml"},
	{"import", "FILE"},
	{"import", "FILE", "--dry-run"},
	{"partner", "add", "Sklad"},
	{"partner", "list"},
	{"partner", "url", "1", "--format", "csv"},
	{"partner", "expire", "1", "--valid-until", "none"},
	{"user", "add", "anna", "--generate"},
	{"user", "list"},
	{"user", "delete", "anna"},
	{"log"},
	{"log", "verify"},
	{"copy", "--to", "postgres://postgres@127.0.0.1:5432/postgres"},
}

// withFiles replaces FILE and OUT in a command line.
func withFiles(args []string, file, out string) []string {
	r := strings.NewReplacer("FILE", file, "OUT", out)
	res := make([]string, len(args))
	for i, a := range args {
		res[i] = r.Replace(a)
	}
	return res
}

// A mistyped CUSTEXPORT_DATA_DIR, --data-dir or --db is refused with exit 1 by every command that
// reads a shop, and nothing is created: no directory, no database, no output file.
func TestNoShopIsNotCreated(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "3")
	work := t.TempDir()
	file := filepath.Join(work, "customers.csv")
	if err := os.WriteFile(file, []byte("guid;email\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	typoDir := c.dataDir + "-typo"
	cases := []struct {
		name    string
		env     map[string]string
		flags   []string
		missing string // the path the message names; it must not exist afterwards
	}{
		{"DataDirVariable", map[string]string{"CUSTEXPORT_DATA_DIR": typoDir}, nil, filepath.Join(typoDir, "custexport.db")},
		{"DataDirFlag", nil, []string{"--data-dir", typoDir}, filepath.Join(typoDir, "custexport.db")},
		{"DBFlagInMissingDir", nil, []string{"--db", filepath.Join(work, "nope", "x.db")}, filepath.Join(work, "nope", "x.db")},
		{"DBFlagInExistingDir", nil, []string{"--db", filepath.Join(work, "x.db")}, filepath.Join(work, "x.db")},
		{"DBVariable", map[string]string{"CUSTEXPORT_DB": filepath.Join(work, "y.db")}, nil, filepath.Join(work, "y.db")},
	}
	for _, tc := range cases {
		for _, args := range readingCommands {
			t.Run(tc.name+"/"+strings.Join(args[:min(2, len(args))], "_"), func(t *testing.T) {
				out := filepath.Join(work, "out.csv")
				line := append(withFiles(args, file, out), tc.flags...)
				code, stdout, stderr := c.runWithEnv(tc.env, line...)
				want := "no shop at " + tc.missing + " (run `custexport serve`, `seed` or `migrate` to create one)"
				if code != exitError || !strings.Contains(stderr, want) || stdout != "" {
					t.Fatalf("custexport %s: exit %d, stdout %q, stderr %q; want exit 1 and %q", strings.Join(line, " "), code, stdout, stderr, want)
				}
				for _, p := range []string{tc.missing, filepath.Dir(tc.missing), out} {
					if p == work {
						continue
					}
					if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
						t.Errorf("%s exists after the refusal (%v)", p, err)
					}
				}
			})
		}
	}
	// The shop itself is still there and read.
	if _, stderr := c.mustRun("export", "--format", "csv", "-o", filepath.Join(work, "ok.csv")); !strings.Contains(stderr, "exported 3 customers") {
		t.Errorf("export of the real shop: %q", stderr)
	}
}

// The commands that make a shop still do: the demo and a new shop start from nothing.
func TestCreatingCommandsMakeTheShop(t *testing.T) {
	for _, args := range [][]string{{"migrate"}, {"seed", "--customers", "2"}} {
		c := newCLI(t)
		dir := filepath.Join(c.dataDir, "new")
		c.mustRun(append(args, "--data-dir", dir)...)
		if _, err := os.Stat(filepath.Join(dir, "custexport.db")); err != nil {
			t.Errorf("%s did not create the shop: %v", args[0], err)
		}
	}
}

// Run from another directory without CUSTEXPORT_DATA_DIR, the relative default ./data names no
// shop: the command says so and creates no ./data.
func TestNoShopFromAnotherDirectory(t *testing.T) {
	bin := custexportBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "export", "--format", "csv", "-o", "z.csv")
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CUSTEXPORT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitError {
		t.Fatalf("export from an empty directory: %v, want exit 1; stderr %q", err, stderr.String())
	}
	real, _ := filepath.EvalSymlinks(dir)
	if !strings.Contains(stderr.String(), "no shop at "+filepath.Join(real, "data", "custexport.db")) &&
		!strings.Contains(stderr.String(), "no shop at "+filepath.Join(dir, "data", "custexport.db")) {
		t.Errorf("stderr %q does not name the missing shop in %s", stderr.String(), dir)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("the refused export left %v in the directory", entries)
	}
}

// A PostgreSQL database without the schema is no shop either, and stays without it.
func TestNoShopOnPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	c := newCLI(t)
	for _, args := range [][]string{{"export", "--format", "csv"}, {"partner", "list"}, {"log", "verify"}} {
		code, stdout, stderr := c.run(context.Background(), append(args, "--db", dsn)...)
		if code != exitError || stdout != "" || !strings.Contains(stderr, "no shop in the PostgreSQL database") || !strings.Contains(stderr, "migrate") {
			t.Errorf("%v on an empty database: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	exists, _, err := postgres.HasShop(context.Background(), dsn, 0)
	if err != nil || exists {
		t.Fatalf("after the refusals: schema exists %v (%v), want none", exists, err)
	}
	c.mustRun("migrate", "--db", dsn)
	if code, _, stderr := c.run(context.Background(), "export", "--format", "csv", "--db", dsn); code != exitOK {
		t.Errorf("export after migrate: exit %d, %q", code, stderr)
	}
}

// serve --demo refuses a database holding a shop it did not make (exit 2) and changes nothing
// in it; on its own demo shop it starts (here it gets as far as the listen address).
func TestDemoRefusesARealShop(t *testing.T) {
	badAddr := "127.0.0.1:99999" // fails at listen, after the demo's checks
	for _, tc := range []struct {
		name    string
		prepare []string
	}{
		{"Customers", []string{"seed", "--customers", "3"}},
		{"User", []string{"user", "add", "anna", "--generate"}},
		{"Partner", []string{"partner", "add", "Sklad"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newShop(t)
			c.mustRun(tc.prepare...)
			users, _ := c.mustRun("user", "list", "--format", "json")
			partners, _ := c.mustRun("partner", "list", "--format", "json")
			code, stdout, stderr := c.run(context.Background(), "serve", "--demo", "--addr", badAddr)
			if code != exitUsage || !strings.Contains(stderr, "--demo") || !strings.Contains(stderr, "did not make") || strings.Contains(stdout, "hash=") {
				t.Fatalf("serve --demo on a shop: exit %d, stdout %q, stderr %q; want exit 2 saying why", code, stdout, stderr)
			}
			if after, _ := c.mustRun("user", "list", "--format", "json"); after != users {
				t.Errorf("the refused demo changed the users:\n%s\nwas\n%s", after, users)
			}
			if after, _ := c.mustRun("partner", "list", "--format", "json"); after != partners {
				t.Errorf("the refused demo changed the partners:\n%s\nwas\n%s", after, partners)
			}
		})
	}
	t.Run("OwnDemoShop", func(t *testing.T) {
		c := newCLI(t)
		db, err := sqlite.Open(context.Background(), filepath.Join(c.dataDir, "custexport.db"))
		if err != nil {
			t.Fatal(err)
		}
		c.useNewKey(db)
		first, err := claimDemoShop(context.Background(), db)
		if err == nil {
			err = seedCustomers(context.Background(), db, 20, 1)
		}
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		code, _, stderr := c.run(context.Background(), "serve", "--demo", "--addr", badAddr)
		if code != exitError || !strings.Contains(stderr, "listen on") {
			t.Fatalf("serve --demo on its own shop: exit %d, %q; want it to get to listening", code, stderr)
		}
		out, _ := c.mustRun("partner", "list", "--format", "json")
		if strings.Count(out, "\n") != 1 || !strings.Contains(out, `"name":"`+first.Name+`"`) {
			t.Errorf("the demo shop's partners changed: %s", out)
		}
	})
}

// The demo listens on this machine only unless an address is configured.
func TestDemoListensLocally(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  string
		demo bool
		want string
	}{
		{nil, "", true, "127.0.0.1:8080"},
		{nil, "", false, ":8080"},
		{[]string{"--addr", ":9000"}, "", true, ":9000"},
		{nil, "0.0.0.0:9001", true, "0.0.0.0:9001"},
	} {
		getenv := func(name string) string {
			if name == "CUSTEXPORT_ADDR" {
				return tc.env
			}
			return ""
		}
		c := newCommandLine("serve", commands.find("serve"), &stdio{out: &bytes.Buffer{}, err: &bytes.Buffer{}}, getenv)
		addr := c.flags.String("addr", envOr(getenv, "CUSTEXPORT_ADDR", ":8080"), "")
		if err := c.parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := listenAddr(c, *addr, tc.demo); got != tc.want {
			t.Errorf("addr %v, env %q, demo %v: listens on %q, want %q", tc.args, tc.env, tc.demo, got, tc.want)
		}
	}
}

// Durations and switches are checked the same way from a flag and from the environment; a
// message names both and shows the form; retention takes days.
func TestSettingsAreValidated(t *testing.T) {
	c := newShop(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"DBWaitVariable", map[string]string{"CUSTEXPORT_DB_WAIT": "abc"}, []string{"export", "--format", "csv"}, []string{"CUSTEXPORT_DB_WAIT", "--db-wait", "720h", `"abc"`}},
		{"DBWaitFlag", nil, []string{"export", "--format", "csv", "--db-wait", "abc"}, []string{"CUSTEXPORT_DB_WAIT", "db-wait", "720h"}},
		{"DBWaitZero", nil, []string{"migrate", "--db-wait", "0s"}, []string{"db-wait", "longer than 0"}},
		{"RetentionVariable", map[string]string{"CUSTEXPORT_LOG_RETENTION": "30x"}, []string{"serve"}, []string{"CUSTEXPORT_LOG_RETENTION", "--log-retention", "720h", "400d"}},
		{"RetentionFlag", nil, []string{"serve", "--log-retention", "forever"}, []string{"CUSTEXPORT_LOG_RETENTION", "log-retention", "720h"}},
		{"RetentionNegative", nil, []string{"serve", "--log-retention", "-5h"}, []string{"log-retention", "longer than 0"}},
		{"LeaseTTLVariable", map[string]string{"CUSTEXPORT_LEASE_TTL": "soon"}, []string{"serve"}, []string{"CUSTEXPORT_LEASE_TTL", "--lease-ttl"}},
		{"ShutdownVariable", map[string]string{"CUSTEXPORT_SHUTDOWN_TIMEOUT": "1 minute"}, []string{"serve"}, []string{"CUSTEXPORT_SHUTDOWN_TIMEOUT", "--shutdown-timeout"}},
		{"S3InsecureVariable", map[string]string{"CUSTEXPORT_S3_INSECURE": "yes please"}, []string{"serve"}, []string{"CUSTEXPORT_S3_INSECURE", "--s3-insecure", "true"}},
		{"TimezoneVariable", map[string]string{"CUSTEXPORT_TIMEZONE": "Mars/Olympus"}, []string{"log"}, []string{"CUSTEXPORT_TIMEZONE", "--timezone", "Europe/Prague"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.refuses(t, tc.env, exitUsage, tc.want, tc.args...)
		})
	}
	t.Run("Days", func(t *testing.T) {
		_, _, help := c.runWithEnv(map[string]string{"CUSTEXPORT_LOG_RETENTION": "30d"}, "serve", "--help")
		if !strings.Contains(help, "(default 30d)") {
			t.Errorf("CUSTEXPORT_LOG_RETENTION=30d: the help does not show it as the retention:\n%s", help)
		}
		_, _, help = c.runWithEnv(nil, "serve", "--help")
		if !strings.Contains(help, "(default 400d)") || strings.Contains(help, "9600h") {
			t.Errorf("the default retention is not shown in days:\n%s", help)
		}
		// Accepted from the flag: serve gets past its settings to the listen address.
		code, _, stderr := c.runWithEnv(nil, "serve", "--log-retention", "30d", "--addr", "127.0.0.1:99999")
		if code != exitError || !strings.Contains(stderr, "listen on") {
			t.Errorf("serve --log-retention 30d: exit %d, %q", code, stderr)
		}
	})
	t.Run("FlagWinsOverVariable", func(t *testing.T) {
		code, _, stderr := c.runWithEnv(map[string]string{"CUSTEXPORT_DB_WAIT": "abc"}, "migrate", "--db-wait", "5s")
		if code != exitOK {
			t.Errorf("a valid --db-wait over a malformed CUSTEXPORT_DB_WAIT: exit %d, %q", code, stderr)
		}
	})
}

func TestVersion(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, stdout, stderr := c.run(context.Background(), args...)
		if code != exitOK || !strings.HasPrefix(stdout, "custexport ") || !strings.Contains(stdout, "go:       "+runtime.Version()) || stderr != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
	// A real binary reads its own build information.
	out, err := exec.Command(custexportBinary(t), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "custexport ") || !strings.Contains(string(out), "go:       "+runtime.Version()) {
		t.Errorf("custexport --version: %v\n%s", err, out)
	}
	// What go build records in a git checkout is printed: revision, its time, uncommitted changes.
	var buf bytes.Buffer
	printVersion(&buf, &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "40fb5b6e0c"}, {Key: "vcs.time", Value: "2026-12-07T21:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}})
	for _, want := range []string{"custexport v1.4.0\n", "revision: 40fb5b6e0c, with uncommitted changes\n", "time:     2026-12-07T21:00:00Z\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("version output %q lacks %q", buf.String(), want)
		}
	}
}
