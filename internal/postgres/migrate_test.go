package postgres_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/storetest"
)

// uuid4 is a lowercase canonical version-4 UUID.
var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

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
	if _, err := conn.Exec(ctx, `ALTER TABLE customer DROP COLUMN account_guid; DELETE FROM schema_migrations WHERE version = 6`); err != nil {
		t.Fatal(err)
	}

	db, err = postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if !slices.Contains(db.AppliedMigrations(), 6) {
		t.Fatalf("applied %v, want migration 6", db.AppliedMigrations())
	}
	rows, err := conn.Query(ctx, `SELECT account_guid FROM customer`)
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
	if _, err := conn.Exec(ctx, `UPDATE customer SET account_guid = (SELECT account_guid FROM customer WHERE id = 1) WHERE id = 2`); err == nil {
		t.Error("two customers could share an account guid after the migration")
	}
	var def *string
	if err := conn.QueryRow(ctx, `SELECT column_default FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'customer' AND column_name = 'account_guid'`).Scan(&def); err != nil || def != nil {
		t.Errorf("account_guid's default %v, %v: want none (the program gives new customers theirs, as in SQLite)", def, err)
	}
}
