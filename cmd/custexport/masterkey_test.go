package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/linksign"
	"github.com/custexport/custexport/internal/pgtest"
)

// sqlExec runs statements on the shop's SQLite file behind the program's back.
func (c *cli) sqlExec(stmts ...string) {
	c.t.Helper()
	db, err := driver.Open("file:" + filepath.Join(c.dataDir, "custexport.db"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			c.t.Fatalf("%s: %v", s, err)
		}
	}
}

// A shop whose master key is missing (a restored backup without its key file, a second
// instance without the shared key) or different is refused by every command and by serve,
// with what to do, and nothing is changed; migrate --new-master-key gives it a new key, which
// the access log records (issue 16 item 8).
func TestMasterKeyMissingOrDifferentIsRefused(t *testing.T) {
	c := newShop(t)
	id := c.addPartner("Sklad")
	keyPath := filepath.Join(c.dataDir, masterKeyFile)
	oldKey, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	missing := []string{"no master key", keyPath, "does not exist", "Restore the key file", "custexport migrate --new-master-key"}
	for _, args := range [][]string{{"partner", "list"}, {"export", "--format", "csv"}, {"log", "verify"}, {"serve", "--addr", "127.0.0.1:0"}, {"migrate"}} {
		c.refuses(t, nil, exitError, missing, args...)
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Fatal("a refused command created a new master key")
	}

	other := hex.EncodeToString(bytes.Repeat([]byte{0x42}, linksign.MasterKeySize))
	different := []string{"the master key from " + masterKeyEnv + " is not the key this shop's", "custexport migrate --new-master-key"}
	for _, args := range [][]string{{"partner", "url", strconv.FormatInt(id, 10), "--format", "csv"}, {"serve", "--addr", "127.0.0.1:0"}, {"user", "list"}} {
		c.refuses(t, map[string]string{masterKeyEnv: other}, exitError, different, args...)
	}

	// The right key back: everything works again.
	if err := os.WriteFile(keyPath, oldKey, 0o600); err != nil {
		t.Fatal(err)
	}
	c.mustRun("partner", "list")
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}

	// The operator's word: a new key, recorded in the log, and the log verifies on.
	out, _ := c.mustRun("migrate", "--new-master-key")
	if !strings.Contains(out, "schema version") {
		t.Fatalf("migrate --new-master-key printed %q", out)
	}
	newKey, err := os.ReadFile(keyPath)
	if err != nil || bytes.Equal(newKey, oldKey) {
		t.Fatalf("after --new-master-key the key file is %v (%v); want a new key", len(newKey), err)
	}
	log, _ := c.mustRun("log", "--format", "json")
	lines := jsonLines(t, log)
	last := lines[len(lines)-1]
	if last["outcome"] != "event" || !strings.Contains(last["reason"].(string), "master key replaced") {
		t.Fatalf("the newest log entry after a new key: %v", last)
	}
	verified, notes := c.mustRun("log", "verify")
	if !strings.HasPrefix(verified, "access log intact") || !strings.Contains(notes, "earlier master key") {
		t.Fatalf("log verify after a new key: %q, %q", verified, notes)
	}
	c.mustRun("partner", "list") // the new key is the shop's now
	// The key was set on the command line: no other command may do it.
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	c.refuses(t, nil, exitError, missing, "seed", "--customers", "1")
}

// A shop from before the key check (no check value yet) with partners: a missing key is
// refused, the right one adopted, and its access log carried over and verified the old way.
func TestShopBeforeKeyCheckIsCarriedOver(t *testing.T) {
	c := newShop(t)
	c.addPartner("Sklad")
	c.mustRun("export", "--format", "csv", "-o", filepath.Join(t.TempDir(), "c.csv"))
	// Back to a database as version 0006 left it: a plain SHA-256 chain, no key check. The
	// later migrations (0008, the import change list) are undone too, so that all apply again.
	var legacy []custexport.AccessEntry
	db := c.openSQLite()
	db.AccessEntries(t.Context(), time.Time{}, func(e *custexport.AccessEntry) error { legacy = append(legacy, *e); return nil })
	db.Close()
	stmts := []string{`DROP TABLE access_checkpoint`, `DROP TABLE access_head`, `DROP TABLE master_key`,
		`ALTER TABLE export_lease DROP COLUMN note`,
		`DROP TABLE import_change`, `DROP INDEX import_log_reverts`, `ALTER TABLE import_log DROP COLUMN changes`,
		`ALTER TABLE import_log DROP COLUMN reverts`, `ALTER TABLE import_log DROP COLUMN removed`,
		`DELETE FROM schema_migrations WHERE version >= 7`}
	prev := ""
	for _, e := range legacy {
		e.PrevHash = prev
		e.Hash = e.ComputeHash()
		stmts = append(stmts, `UPDATE access_log SET prev_hash = '`+e.PrevHash+`', hash = '`+e.Hash+`' WHERE id = `+strconv.FormatInt(e.ID, 10))
		prev = e.Hash
	}
	c.sqlExec(stmts...)
	keyPath := filepath.Join(c.dataDir, masterKeyFile)
	key, _ := os.ReadFile(keyPath)
	os.Remove(keyPath)
	c.refuses(t, nil, exitError, []string{"this shop has 1 partners whose links were signed with one", "migrate --new-master-key"}, "partner", "list")
	if err := os.WriteFile(keyPath, key, 0o600); err != nil {
		t.Fatal(err)
	}
	c.mustRun("partner", "list")
	out, notes := c.mustRun("log", "verify")
	if out != "access log intact: "+strconv.Itoa(len(legacy))+" entries verified (head at entry "+strconv.Itoa(len(legacy))+")\n" ||
		!strings.Contains(notes, "written before the log was keyed") {
		t.Fatalf("the carried-over log: %q, %q", out, notes)
	}
	c.sqlExec(`UPDATE access_log SET rows = 999 WHERE id = 1`)
	c.refuses(t, nil, exitError, []string{"entry 1 was altered"}, "log", "verify")
}

// The same on PostgreSQL, where instances share the key through CUSTEXPORT_MASTER_KEY: an
// instance with another key, or none, is refused; the operator's new key is recorded.
func TestMasterKeyCheckOnPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	c := newCLI(t)
	key := hex.EncodeToString(bytes.Repeat([]byte{0x11}, linksign.MasterKeySize))
	env := map[string]string{masterKeyEnv: key}
	run := func(env map[string]string, args ...string) (int, string, string) {
		return c.runWith(context.Background(), "", env, append(args, "--db", dsn)...)
	}
	if code, _, errOut := run(env, "migrate"); code != exitOK {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	if code, _, errOut := run(env, "partner", "add", "Sklad"); code != exitOK {
		t.Fatalf("partner add: %d %s", code, errOut)
	}
	other := map[string]string{masterKeyEnv: hex.EncodeToString(bytes.Repeat([]byte{0x22}, linksign.MasterKeySize))}
	if code, _, errOut := run(other, "partner", "list"); code != exitError || !strings.Contains(errOut, "is not the key this shop's") {
		t.Fatalf("another key: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(nil, "serve", "--addr", "127.0.0.1:0"); code != exitError || !strings.Contains(errOut, "no master key") {
		t.Fatalf("serve without a key: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(other, "migrate", "--new-master-key"); code != exitOK {
		t.Fatalf("migrate --new-master-key: exit %d, %q", code, errOut)
	}
	if code, _, errOut := run(env, "partner", "list"); code != exitError || !strings.Contains(errOut, "is not the key this shop's") {
		t.Fatalf("the replaced key: exit %d, %q", code, errOut)
	}
	code, out, errOut := run(other, "log", "verify")
	if code != exitOK || !strings.HasPrefix(out, "access log intact") || !strings.Contains(errOut, "earlier master key") {
		t.Fatalf("log verify after a new key: exit %d, %q, %q", code, out, errOut)
	}
}
