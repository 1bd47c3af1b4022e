package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/storetest"
)

// Migration 0006 gives every customer of an existing shop an account guid of its own, and the
// column is unique from then on.
func TestMigrationGivesExistingCustomersAccountGUIDs(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	if err := db.InsertCustomers(ctx, storetest.Generate(t, n)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// Back to the schema before 0006: the customers have no account guids.
	if _, err := conn.Exec(ctx, `ALTER TABLE customer DROP COLUMN account_guid;
		DROP TABLE import_change; ALTER TABLE import_log DROP COLUMN changes, DROP COLUMN reverts, DROP COLUMN removed;
		DELETE FROM schema_migrations WHERE version >= 6`); err != nil {
		t.Fatal(err)
	}

	db, err = postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.WantMigratedAccounts(t, db, n)
	if _, err := conn.Exec(ctx, `UPDATE customer SET account_guid = (SELECT account_guid FROM customer WHERE id = 1) WHERE id = 2`); err == nil {
		t.Error("two customers could share an account guid after the migration")
	}
	var def *string
	if err := conn.QueryRow(ctx, `SELECT column_default FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'customer' AND column_name = 'account_guid'`).Scan(&def); err != nil || def != nil {
		t.Errorf("account_guid's default %v, %v: want none (the program gives new customers theirs, as in SQLite)", def, err)
	}
}
