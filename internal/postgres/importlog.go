package postgres

import (
	"context"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// RecordImport writes an import to the log and sets its ID.
func (db *DB) RecordImport(ctx context.Context, r *custexport.ImportRecord) error {
	unknown, skipped := storerow.ImportLists(r, db.clock.Now())
	return db.pool.QueryRow(ctx, `INSERT INTO import_log (at, principal_kind, principal_id, principal_name,
		file, encoding, delimiter, dry_run, rows, created, updated, unchanged, skipped, unknown, skipped_rows, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		r.At.UnixMilli(), string(r.Principal.Kind), r.Principal.ID, r.Principal.Name, r.File, string(r.Encoding),
		r.Delimiter, r.DryRun, r.Rows, r.Created, r.Updated, r.Unchanged, r.Skipped, unknown, skipped, r.Error).Scan(&r.ID)
}

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
