package postgres

import (
	"context"
	"fmt"
	"time"
)

// HasShop reports whether the database dsn names holds a custexport shop (the schema's
// migrations table), and names the database for messages. It creates nothing: the commands that
// only read a shop ask first, so that a mistyped database name is refused instead of getting an
// empty schema that then "exports 0 customers". wait is Options.ConnectFor.
func HasShop(ctx context.Context, dsn string, wait time.Duration) (bool, string, error) {
	pool, name, err := connect(ctx, dsn, wait, 1)
	if err != nil {
		return false, name, err
	}
	defer pool.Close()
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return false, name, fmt.Errorf("database %s: %w", name, err)
	}
	return exists, name, nil
}
