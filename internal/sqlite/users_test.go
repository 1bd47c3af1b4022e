package sqlite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storetest"
)

func sessionCount(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM admin_session`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The tests of users and sessions through the store contract are in internal/storetest; these
// check the SQLite schema and file.

// The unique index on the name key holds even for a writer that skips AddUser's check, and the
// foreign key ends a user's sessions for any way a user row goes.
func TestUserRowConstraints(t *testing.T) {
	db := openTemp(t)
	storetest.AddUser(t, db, "admin")
	_, err := db.sql.Exec(`INSERT INTO admin_user (name, name_key, password_hash, created_at, password_changed_at) VALUES ('ADMIN', 'admin', 'x', 0, 0)`)
	if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("a second row with name_key 'admin' was stored: %v", err)
	}
	third := storetest.AddUser(t, db, "third")
	storetest.AddSession(t, db, third.ID)
	if n := sessionCount(t, db); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
	if _, err := db.sql.Exec(`DELETE FROM admin_user WHERE id = ?`, third.ID); err != nil {
		t.Fatal(err)
	}
	if n := sessionCount(t, db); n != 0 {
		t.Errorf("deleting a user row left %d sessions: no ON DELETE CASCADE", n)
	}
}

// Four processes adding "Novák", "NOVÁK", … to one file at once: exactly one wins.
func TestAddUserRaceOneWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	var dbs [4]*DB
	for i := range dbs {
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetLogKey(storetest.LogKey)
		dbs[i] = db
	}
	storetest.RaceAddUser(t, dbs[0], dbs[1], dbs[2], dbs[3])
}

// Only the token's hash reaches the disk: neither the database nor its write-ahead log holds
// the token a browser sends.
func TestSessionTokenIsNeverStored(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(context.Background(), filepath.Join(dir, "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetLogKey(storetest.LogKey)
	u := storetest.AddUser(t, db, "novak")
	_, token := storetest.AddSession(t, db, u.ID)
	hash := custexport.HashSessionToken(token)
	db.Close()
	var all []byte
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, hash) {
		t.Fatal("test is blind: the token's hash is not found in the files either")
	}
	if bytes.Contains(all, []byte(token)) {
		t.Error("the session token itself was written to disk")
	}
}
