package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations reads this store's migrations.
func loadMigrations() ([]storerow.Migration, error) {
	return storerow.LoadMigrations(migrationFiles, "migrations")
}

// LatestVersion is the schema version this program brings a database to.
func LatestVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// Migrate applies the migrations the database lacks, each in the same write transaction as the
// version check, so that two processes starting at once cannot both apply one. It returns the
// versions it applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// BEGIN IMMEDIATE takes the write lock before the version is read.
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return nil, describeOpenError(err)
	}
	applied, err := migrateLocked(ctx, conn, ms)
	if err != nil {
		conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `COMMIT`); err != nil {
		return nil, err
	}
	return applied, nil
}

func migrateLocked(ctx context.Context, conn *sql.Conn, ms []storerow.Migration) ([]int, error) {
	var tables int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).Scan(&tables); err != nil {
		return nil, describeOpenError(err)
	}
	var hasVersions int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&hasVersions); err != nil {
		return nil, err
	}
	if hasVersions == 0 {
		if tables > 0 {
			return nil, custexport.Errorf(custexport.CodeInvalid, "this SQLite database holds other tables but no custexport schema; refusing to change it")
		}
		if _, err := conn.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
			return nil, err
		}
	}
	var current int
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return nil, err
	}
	if current > len(ms) {
		return nil, storerow.NewerSchema(current, len(ms))
	}
	var applied []int
	for _, m := range ms[current:] {
		if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
			return nil, fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, time.Now().Unix()); err != nil {
			return nil, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// describeOpenError turns SQLite's "file is not a database" into a message for the operator.
func describeOpenError(err error) error {
	if err != nil && strings.Contains(err.Error(), "not a database") {
		return custexport.Errorf(custexport.CodeInvalid, "the file is not a SQLite database (or it is encrypted); refusing to use it")
	}
	return err
}
