package postgres

import (
	"context"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// Imports lists the import log, newest first, and the number of imports. As in SQLite, a
// negative limit means no limit and a negative offset none; PostgreSQL refuses both, so they
// are passed as NULL (no limit) and 0.
func (db *DB) Imports(ctx context.Context, offset, limit int) ([]custexport.ImportRecord, int64, error) {
	var total int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM import_log`).Scan(&total); err != nil {
		return nil, 0, err
	}
	var lim *int
	if limit >= 0 {
		lim = &limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+storerow.ImportColumns+`
		FROM import_log ORDER BY id DESC LIMIT $1 OFFSET $2`, lim, max(offset, 0))
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out, err := storerow.Collect(rows, storerow.ScanImport)
	return out, total, err
}
