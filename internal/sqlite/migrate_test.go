package sqlite

import (
	"context"
	"path/filepath"
	"testing"

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
	const n = 500
	if err := db.InsertCustomers(ctx, storetest.Generate(t, n)); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before 0006: the customers have no account guids. The later migrations
	// are undone too, so that they apply again after it (0007 here is a placeholder; 0008 is the
	// import change list).
	for _, q := range []string{`DROP INDEX customer_account_guid`, `ALTER TABLE customer DROP COLUMN account_guid`,
		`DROP TABLE import_change`, `DROP INDEX import_log_reverts`, `ALTER TABLE import_log DROP COLUMN changes`,
		`ALTER TABLE import_log DROP COLUMN reverts`, `ALTER TABLE import_log DROP COLUMN removed`,
		`DELETE FROM schema_migrations WHERE version >= 6`} {
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
	storetest.WantMigratedAccounts(t, db, n)
	if _, err := db.sql.ExecContext(ctx, `UPDATE customer SET account_guid = (SELECT account_guid FROM customer WHERE id = 1) WHERE id = 2`); err == nil {
		t.Error("two customers could share an account guid after the migration")
	}
}
