package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/storetest"
)

// The PostgreSQL store keeps the whole store contract: each subtest runs on a database of its
// own, created and dropped by pgtest. Run closes the pool before pgtest drops the database.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (custexport.Database, error) {
		db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), postgres.Options{})
		return db, err
	})
}

// Every attack on the log's chain of issue 16 is caught (storetest.RunTampering).
func TestAccessLogTampering(t *testing.T) {
	storetest.RunTampering(t, func(t *testing.T) (custexport.Database, storetest.Exec) {
		dsn := pgtest.NewDatabase(t)
		db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return db, func(t *testing.T, query string) {
			t.Helper()
			if _, err := conn.Exec(context.Background(), query); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
	})
}
