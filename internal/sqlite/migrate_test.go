package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/custexport/custexport/internal/migration"
	"github.com/custexport/custexport/internal/storetest"
)

// Migration 0006 gives every customer of an existing shop an account guid of its own, and the
// column is unique from then on.
func TestMigrationGivesExistingCustomersAccountGUIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const n = 500
	if err := db.InsertCustomers(ctx, storetest.Generate(t, n)); err != nil {
		t.Fatal(err)
	}
	// Back to the customer table before 0006: the customers have no account guids. Then
	// migration 0006 itself, as Migrate runs it (later migrations have been applied already and
	// are left alone: the test is of this one's SQL on existing customers).
	for _, q := range []string{`DROP INDEX customer_account_guid`, `ALTER TABLE customer DROP COLUMN account_guid`} {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil || len(ms) < 6 || ms[5].Version != 6 {
		t.Fatalf("migrations %v: %v", ms, err)
	}
	if _, err := db.sql.ExecContext(ctx, ms[5].SQL); err != nil {
		t.Fatalf("migration 0006: %v", err)
	}
	storetest.WantMigratedAccounts(t, db, n)
	if _, err := db.sql.ExecContext(ctx, `UPDATE customer SET account_guid = (SELECT account_guid FROM customer WHERE id = 1) WHERE id = 2`); err == nil {
		t.Error("two customers could share an account guid after the migration")
	}
}
