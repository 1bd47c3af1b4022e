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
// own, created and dropped by pgtest. Run closes the pool before pgtest drops the database.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (custexport.Database, error) {
		db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), postgres.Options{})
		return db, err
	})
}
