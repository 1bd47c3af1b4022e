package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// LatestVersion is the schema version this program brings a database to.
func LatestVersion() int { return migration.Latest(migrationFiles, "migrations") }

// Migrate applies the migrations the database lacks, each in the same write transaction as the
// version check, so that two processes starting at once cannot both apply one. It returns the
// versions it applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := migration.Load(migrationFiles, "migrations")
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

func migrateLocked(ctx context.Context, conn *sql.Conn, ms []migration.Migration) ([]int, error) {
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
	return migration.Apply(ms, current, func(sql string) error {
		_, err := conn.ExecContext(ctx, sql)
		return err
	}, func(m migration.Migration) error {
		_, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, time.Now().Unix())
		return err
	})
}

// describeOpenError turns SQLite's "file is not a database" into a message for the operator.
func describeOpenError(err error) error {
	if err != nil && strings.Contains(err.Error(), "not a database") {
		return custexport.Errorf(custexport.CodeInvalid, "the file is not a SQLite database (or it is encrypted); refusing to use it")
	}
	return err
}
