package postgres_test

import (
	"context"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/storetest"
)

// The PostgreSQL store keeps the whole store contract: each subtest runs on a database of its
// own, created and dropped by pgtest.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) custexport.Database {
		dsn := pgtest.NewDatabase(t)
		db, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		// Registered after pgtest's drop, so it runs before it: the pool is closed first.
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return db
	})
}
