package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
)

// Instances starting together on a new database all come up, and each migration is applied
// exactly once.
func TestConcurrentStartsMigrateOnce(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const instances = 6
	var wg sync.WaitGroup
	errs := make(chan error, instances)
	applied := make(chan []int, instances)
	for range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
			if err != nil {
				errs <- err
				return
			}
			applied <- db.AppliedMigrations()
			db.Close()
		}()
	}
	wg.Wait()
	close(errs)
	close(applied)
	for err := range errs {
		t.Fatalf("an instance failed to start: %v", err)
	}
	total := 0
	for a := range applied {
		total += len(a)
	}
	if total != postgres.LatestVersion() {
		t.Fatalf("%d migrations applied over all instances, want each of %d once", total, postgres.LatestVersion())
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var rows, distinct int
	conn.QueryRow(context.Background(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&rows, &distinct)
	if rows != postgres.LatestVersion() || distinct != rows {
		t.Fatalf("schema_migrations holds %d rows (%d versions), want %d", rows, distinct, postgres.LatestVersion())
	}
}

// A database that a newer custexport migrated is refused, with a message, and left as it is.
func TestNewerSchemaIsRefused(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `INSERT INTO schema_migrations (version, name) VALUES (999, 'future')`); err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(context.Background(), dsn, postgres.Options{})
	if custexport.ErrorCode(err) != custexport.CodeInvalid || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("opening a newer schema: %v", err)
	}
	var n int
	conn.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations WHERE version = 999`).Scan(&n)
	if n != 1 {
		t.Fatal("the newer schema's version row was changed")
	}
}

// A malformed address is refused without repeating it (it may hold a password).
func TestMalformedDSN(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://user:s3cret@host:notaport/db", postgres.Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("malformed DSN: %v", err)
	}
}
