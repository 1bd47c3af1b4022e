package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlite"
	"github.com/custexport/custexport/internal/storetest"
)

// The SQLite store keeps the whole store contract.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (custexport.Database, error) {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conformance.db"))
		return db, err
	})
}
