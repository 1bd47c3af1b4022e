package filetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/custexport/custexport/internal/sqlite"
	"github.com/custexport/custexport/internal/storetest"
)

// OpenSQLite opens a new SQLite store in a file of the test's temporary directory, with the
// tests' access-log key (storetest.LogKey), and closes it when the test ends. (The tests of package sqlite itself cannot use it: it would be an
// import cycle.)
func OpenSQLite(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "custexport.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetLogKey(storetest.LogKey)
	t.Cleanup(func() { db.Close() })
	return db
}
