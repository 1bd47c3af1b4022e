package sqlite

import (
	"context"
	"strconv"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlparam"
	"github.com/custexport/custexport/internal/storerow"
)

// dialect is how this store's SQL writes parameters and ASCII-case-insensitive matches.
var dialect = sqlparam.Dialect{
	Param: func(n int) string { return "?" + strconv.Itoa(n) },
	Like:  func(column, param string) string { return column + ` LIKE ` + param + ` ESCAPE '\'` },
}

// SearchCustomers returns one page of the customers matching s.Text in the name, e-mail,
// company or company id, newest registrations first, and how many match in all. The match is
// case-insensitive for ASCII letters (SQLite's LIKE); the e-mail is matched in its lower-cased
// form, so any letter case finds it.
func (db *DB) SearchCustomers(ctx context.Context, s custexport.CustomerSearch) (custexport.CustomerPage, error) {
	var page custexport.CustomerPage
	where, args := sqlparam.CustomerSearch(dialect, s.Text)
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return page, err
	}
	defer tx.Rollback() // read only: the count and the page come from one snapshot
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customer`+where, args...).Scan(&page.Total); err != nil {
		return page, err
	}
	limit, args := sqlparam.Page(dialect, args, s.Limit, s.Offset)
	rows, err := tx.QueryContext(ctx, `SELECT `+storerow.SummaryColumns+` FROM customer`+where+`
		ORDER BY registration_date DESC, guid DESC`+limit, args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	page.Customers, err = storerow.Collect(rows, storerow.ScanSummary)
	return page, err
}

// CountAccess counts the entries q selects (ignoring its offset and limit).
func (db *DB) CountAccess(ctx context.Context, q custexport.AccessQuery) (int64, error) {
	where, args := sqlparam.AccessWhere(dialect, q)
	var n int64
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM access_log`+where, args...).Scan(&n)
	return n, err
}

// QueryAccess calls fn for the entries q selects, newest first.
func (db *DB) QueryAccess(ctx context.Context, q custexport.AccessQuery, fn func(*custexport.AccessEntry) error) error {
	where, args := sqlparam.AccessWhere(dialect, q)
	limit, args := sqlparam.Page(dialect, args, q.Limit, q.Offset)
	rows, err := db.sql.QueryContext(ctx, `SELECT `+storerow.AccessColumns+` FROM access_log`+where+`
		ORDER BY id DESC`+limit, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return storerow.Each(rows, storerow.ScanAccess, fn)
}
