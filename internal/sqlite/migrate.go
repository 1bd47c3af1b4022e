package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned schema step, from migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s is not named NNNN_name.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrations must be numbered 1, 2, 3, …; found %d at position %d", m.version, i+1)
		}
	}
	return ms, nil
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

func migrateLocked(ctx context.Context, conn *sql.Conn, ms []migration) ([]int, error) {
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
		return nil, custexport.Errorf(custexport.CodeInvalid, "schema version %d is newer than this custexport knows (up to %d); run a newer custexport", current, len(ms))
	}
	var applied []int
	for _, m := range ms[current:] {
		if _, err := conn.ExecContext(ctx, m.sql); err != nil {
			return nil, fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.version, m.name, time.Now().Unix()); err != nil {
			return nil, err
		}
		applied = append(applied, m.version)
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
