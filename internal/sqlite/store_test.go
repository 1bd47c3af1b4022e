package sqlite

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
	"github.com/custexport/custexport/internal/storetest"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetLogKey(storetest.LogKey)
	t.Cleanup(func() { db.Close() })
	return db
}

// readAll reads a snapshot into memory; tests only.
func readAll(t *testing.T, db *DB, q custexport.SnapshotQuery) (int64, []custexport.Customer) {
	t.Helper()
	return storetest.ReadAll(t, db, q)
}

// normalise makes stored and read customers comparable: times as UTC seconds, empty slices nil.
func normalise(cs []custexport.Customer) []custexport.Customer { return storetest.Normalise(cs) }

// clone copies a customer and every string in it out of the store's reused buffers.
func clone(c *custexport.Customer) custexport.Customer { return storetest.Clone(c) }

// The tests of the store contract (customers, snapshots, partners, leases, the access log,
// users, sessions, jobs, imports) are in internal/storetest and run from TestConformance; the
// tests here check what only the SQLite store has: its file, its schema and its internals.

func TestOpenRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	t.Run("NotADatabase", func(t *testing.T) {
		path := filepath.Join(dir, "text.db")
		os.WriteFile(path, []byte("this is a text file, not a database\n"), 0o600)
		_, err := Open(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "not a SQLite database") {
			t.Fatalf("Open(text file) = %v, want an error saying it is not a SQLite database", err)
		}
		if b, _ := os.ReadFile(path); string(b) != "this is a text file, not a database\n" {
			t.Fatal("the file was changed")
		}
	})
	t.Run("OtherApplication", func(t *testing.T) {
		path := filepath.Join(dir, "other.db")
		other, err := driver.Open("file:" + path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		other.Close()
		_, err = Open(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "no custexport schema") {
			t.Fatalf("Open(foreign database) = %v, want a refusal", err)
		}
	})
	t.Run("NewerSchema", func(t *testing.T) {
		path := filepath.Join(dir, "newer.db")
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		db.sql.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
		db.Close()
		_, err = Open(context.Background(), path)
		if err == nil || !strings.Contains(err.Error(), "schema version 999 is newer") {
			t.Fatalf("Open(newer schema) = %v, want a refusal naming the version", err)
		}
	})
}

// A new database gets 16 KiB pages; a database made elsewhere with SQLite's 4 KiB keeps them
// (the page size is fixed with the file) and works all the same.
func TestPageSize(t *testing.T) {
	pageSizeOf := func(db *DB) int {
		var n int
		if err := db.sql.QueryRow(`PRAGMA page_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	db := openTemp(t)
	if got := pageSizeOf(db); got != 16384 {
		t.Errorf("a new database has %d-byte pages, want 16384", got)
	}

	// An older database: made with 4 KiB pages, as SQLite's default is, by rewriting this one.
	path := db.Path()
	db.Close()
	old, err := driver.Open("file:" + path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	db, err = Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := pageSizeOf(db); got != 4096 {
		t.Errorf("an existing database now has %d-byte pages, want its 4096 kept", got)
	}
	all := storetest.Generate(t, parallelMinRows+100) // read back through the parallel scan
	if err := db.InsertCustomers(context.Background(), all); err != nil {
		t.Fatal(err)
	}
	if n, rows := readAll(t, db, custexport.SnapshotQuery{}); n != int64(len(all)) || len(rows) != len(all) {
		t.Errorf("read back %d of %d customers, want %d", len(rows), n, len(all))
	}
}

func TestMigrateConcurrentlyAppliesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			db, err := Open(context.Background(), path)
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, maxV int
	db.sql.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &maxV)
	if n != LatestVersion() || maxV != LatestVersion() {
		t.Fatalf("schema_migrations has %d rows up to version %d, want each of %d versions once", n, maxV, LatestVersion())
	}
}

// The fast reader of stored extra addresses agrees with encoding/json on whatever
// encodeExtraDelivery writes, and leaves escaped or foreign text to encoding/json.
func FuzzExtraDelivery(f *testing.F) {
	f.Add("Brno", `Sklad "A"`, "60200")
	f.Add("", "", "")
	f.Add("東京", "line\nbreak \\ \u2028", "<&>\xff")
	f.Fuzz(func(t *testing.T, city, company, zip string) {
		addrs := []custexport.Address{{City: "default"}, {City: city, Company: company}, {Zip: zip, FullName: company}}
		text, err := encodeExtraDelivery(addrs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := storerow.AppendExtraDelivery(nil, text)
		if err != nil {
			t.Fatal(err)
		}
		var want []extraAddress
		if err := json.Unmarshal([]byte(text), &want); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d addresses, want %d", text, len(got), len(want))
		}
		for i := range want {
			if got[i] != custexport.Address(want[i]) {
				t.Fatalf("%s: address %d = %+v, want %+v", text, i, got[i], want[i])
			}
		}
	})
}
