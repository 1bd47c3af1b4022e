package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// TableSource is one table of a shop being copied in from another store: its column names and
// rows, with integers as int64, texts as string and blobs as []byte (what SQLite gives).
type TableSource interface {
	Columns() []string
	Next() bool
	Values() ([]any, error)
	Err() error
	Close() error
}

// CopyShop fills this (empty) database with a shop's tables, all in one transaction: the ids,
// partners' link salts, password hashes and the access log's hash chain arrive as they were, so
// links, logins and the log's verification keep working. open gives each table's rows. It
// returns how many rows each table received.
func (db *DB) CopyShop(ctx context.Context, tables []string, open func(table string) (TableSource, error)) (map[string]int64, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `LOCK TABLE customer IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return nil, err
	}
	counts := map[string]int64{}
	for _, table := range tables {
		var nonEmpty bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{table}.Sanitize()+`)`).Scan(&nonEmpty); err != nil {
			return nil, fmt.Errorf("table %s: %w", table, err)
		}
		if nonEmpty {
			return nil, fmt.Errorf("the PostgreSQL database already holds rows in %s; copy fills only an empty one", table)
		}
		n, err := copyTable(ctx, tx, table, open)
		if err != nil {
			return nil, fmt.Errorf("copying %s: %w", table, err)
		}
		counts[table] = n
		// New rows continue after the copied ids.
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), coalesce((SELECT max(id) FROM `+
			pgx.Identifier{table}.Sanitize()+`), 0) + 1, false)`, table); err != nil {
			return nil, fmt.Errorf("table %s: %w", table, err)
		}
	}
	return counts, tx.Commit(ctx)
}

func copyTable(ctx context.Context, tx pgx.Tx, table string, open func(string) (TableSource, error)) (int64, error) {
	src, err := open(table)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	types := map[string]string{}
	rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return 0, err
		}
		types[name] = typ
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	columns := src.Columns()
	for _, c := range columns {
		if _, ok := types[c]; !ok {
			return 0, fmt.Errorf("column %s has no counterpart in PostgreSQL", c)
		}
	}
	return tx.CopyFrom(ctx, pgx.Identifier{table}, columns, &convertingSource{src: src, columns: columns, types: types})
}

// convertingSource turns SQLite's values into the PostgreSQL columns' types: 0/1 into booleans,
// text into bytea and back, as the two schemas differ.
type convertingSource struct {
	src     TableSource
	columns []string
	types   map[string]string
}

func (c *convertingSource) Next() bool { return c.src.Next() }
func (c *convertingSource) Err() error { return c.src.Err() }

func (c *convertingSource) Values() ([]any, error) {
	vals, err := c.src.Values()
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		switch typ := c.types[c.columns[i]]; {
		case typ == "boolean":
			n, ok := v.(int64)
			if !ok {
				return nil, fmt.Errorf("column %s: %T is not 0 or 1", c.columns[i], v)
			}
			vals[i] = n != 0
		case typ == "bytea":
			if s, ok := v.(string); ok {
				vals[i] = []byte(s)
			}
		case typ == "text":
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
	}
	return vals, nil
}
