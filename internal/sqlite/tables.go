package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// ShopTables are the tables that hold a shop, in an order that keeps references valid: what
// `custexport copy` moves to another store. Leases (held for seconds) and export jobs (whose
// files stay in the old data directory) are not part of it.
// The access log travels with its signed head and checkpoints and the master key's check value,
// so that it still verifies (with the same master key) in the new store.
var ShopTables = []string{"customer", "partner", "access_log", "access_checkpoint", "access_head", "master_key",
	"admin_user", "admin_session", "import_log"}

// TableRows reads one of ShopTables, whole, in id order: its column names, then its rows as
// Go values (int64, float64, string, []byte).
type TableRows struct {
	rows    *sql.Rows
	columns []string
	values  []any
	err     error
}

// ReadTable starts reading table, one of ShopTables.
func (db *DB) ReadTable(ctx context.Context, table string) (*TableRows, error) {
	if !slices.Contains(ShopTables, table) {
		return nil, fmt.Errorf("%q is not a shop table", table)
	}
	// The name is one of the fixed list above, never outside input.
	rows, err := db.sql.QueryContext(ctx, `SELECT * FROM `+table+` ORDER BY id`)
	if err != nil {
		return nil, err
	}
	columns, err := rows.Columns()
	if err != nil {
		rows.Close()
		return nil, err
	}
	return &TableRows{rows: rows, columns: columns}, nil
}

// Columns names the table's columns, in the order of Values.
func (t *TableRows) Columns() []string { return t.columns }

// Next moves to the next row; false at the end or on an error (see Err).
func (t *TableRows) Next() bool {
	if !t.rows.Next() {
		return false
	}
	t.values = make([]any, len(t.columns))
	ptrs := make([]any, len(t.columns))
	for i := range ptrs {
		ptrs[i] = &t.values[i]
	}
	if err := t.rows.Scan(ptrs...); err != nil {
		t.err = err
		return false
	}
	return true
}

// Values is the current row.
func (t *TableRows) Values() ([]any, error) { return t.values, nil }

// Err is the error that ended the reading, if any.
func (t *TableRows) Err() error {
	if t.err != nil {
		return t.err
	}
	return t.rows.Err()
}

// Close ends the reading.
func (t *TableRows) Close() error { return t.rows.Close() }
