package postgres

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlparam"
	"github.com/custexport/custexport/internal/storerow"
)

// dialect is how this store's SQL writes parameters and ASCII-case-insensitive matches. Like
// matches as SQLite's LIKE does: case-insensitively for ASCII letters only. ILIKE under the "C"
// collation folds exactly those; under the database's own collation it would also fold "Š" to
// "š", and the two stores would find different rows for one query.
var dialect = sqlparam.Dialect{
	Param: func(n int) string { return "$" + strconv.Itoa(n) },
	Like:  func(column, param string) string { return column + ` ILIKE ` + param + ` COLLATE "C"` },
}

// SearchCustomers returns one page of the customers matching s.Text in the name, e-mail,
// company or company id, newest registrations first, and how many match in all. The match is
// case-insensitive for ASCII letters, as in SQLite; the e-mail is matched in its lower-cased
// form, so any letter case finds it.
func (db *DB) SearchCustomers(ctx context.Context, s custexport.CustomerSearch) (custexport.CustomerPage, error) {
	var page custexport.CustomerPage
	count, list := sqlparam.CustomerPage(dialect, s)
	// The count and the page come from one snapshot.
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return page, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := tx.QueryRow(ctx, count.SQL, count.Args...).Scan(&page.Total); err != nil {
		return page, err
	}
	rows, err := tx.Query(ctx, list.SQL, list.Args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	page.Customers, err = storerow.Collect(rows, storerow.ScanSummary)
	return page, err
}

// CountAccess counts the entries q selects (ignoring its offset and limit).
func (db *DB) CountAccess(ctx context.Context, q custexport.AccessQuery) (int64, error) {
	count := sqlparam.AccessCount(dialect, q)
	var n int64
	err := db.pool.QueryRow(ctx, count.SQL, count.Args...).Scan(&n)
	return n, err
}

// QueryAccess calls fn for the entries q selects, newest first.
func (db *DB) QueryAccess(ctx context.Context, q custexport.AccessQuery, fn func(*custexport.AccessEntry) error) error {
	list := sqlparam.AccessPage(dialect, q)
	rows, err := db.pool.Query(ctx, list.SQL, list.Args...)
	if err != nil {
		return err
	}
	return eachAccess(rows, fn)
}
