package sqlite

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/custexport/custexport/internal/storetest"
)

// uuid4 is a lowercase canonical version-4 UUID.
var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Migration 0006 gives every customer of an existing shop an account guid of its own, and the
// column is unique from then on.
func TestMigrationGivesExistingCustomersAccountGUIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	if err := db.InsertCustomers(ctx, storetest.Generate(t, n)); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0006: the customers have no account guids.
	for _, q := range []string{`DROP INDEX customer_account_guid`, `ALTER TABLE customer DROP COLUMN account_guid`,
		`DELETE FROM schema_migrations WHERE version = 6`} {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !slices.Contains(db.AppliedMigrations(), 6) {
		t.Fatalf("applied %v, want migration 6", db.AppliedMigrations())
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT account_guid FROM customer`)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		if !uuid4.MatchString(a) || seen[a] {
			t.Fatalf("account guid %q: want a version-4 UUID of its own", a)
		}
		seen[a] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("%d account guids, want %d", len(seen), n)
	}
	if _, err := db.sql.ExecContext(ctx, `UPDATE customer SET account_guid = (SELECT account_guid FROM customer WHERE id = 1) WHERE id = 2`); err == nil {
		t.Error("two customers could share an account guid after the migration")
	}
}
