package sqlite

import (
	"context"
	"math"
	"strings"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlparam"
	"github.com/custexport/custexport/internal/storerow"
)

// SearchCustomers returns one page of the customers matching s.Text in the name, e-mail,
// company or company id, newest registrations first, and how many match in all. The match is
// case-insensitive for ASCII letters (SQLite's LIKE); the e-mail is matched in its lower-cased
// form, so any letter case finds it.
func (db *DB) SearchCustomers(ctx context.Context, s custexport.CustomerSearch) (custexport.CustomerPage, error) {
	var page custexport.CustomerPage
	text := strings.TrimSpace(s.Text)
	where, args := "", []any{}
	if text != "" {
		p := sqlparam.Contains(text)
		where = ` WHERE billing_full_name LIKE ?1 ESCAPE '\' OR email_key LIKE ?2 ESCAPE '\'
			OR billing_company LIKE ?1 ESCAPE '\' OR company_id LIKE ?1 ESCAPE '\'`
		args = append(args, p, strings.ToLower(p))
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return page, err
	}
	defer tx.Rollback() // read only: the count and the page come from one snapshot
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM customer`+where, args...).Scan(&page.Total); err != nil {
		return page, err
	}
	limit := s.Limit
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+storerow.SummaryColumns+` FROM customer`+where+`
		ORDER BY registration_date DESC, guid DESC LIMIT `+"?"+` OFFSET ?`, append(args, limit, max(s.Offset, 0))...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	page.Customers, err = storerow.Collect(rows, storerow.ScanSummary)
	return page, err
}

// accessWhere turns an AccessQuery into a WHERE clause of fixed text with parameters.
func accessWhere(q custexport.AccessQuery) (string, []any) {
	var conds []string
	var args []any
	if p := strings.TrimSpace(q.Principal); p != "" {
		conds = append(conds, `(principal_kind = ? OR principal_name LIKE ? ESCAPE '\')`)
		args = append(args, p, sqlparam.Contains(p))
	}
	if q.Outcome != "" {
		conds = append(conds, `outcome = ?`)
		args = append(args, string(q.Outcome))
	}
	if !q.From.IsZero() {
		conds = append(conds, `at >= ?`)
		args = append(args, q.From.UnixMilli())
	}
	if !q.Before.IsZero() {
		conds = append(conds, `at < ?`)
		args = append(args, q.Before.UnixMilli())
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// CountAccess counts the entries q selects (ignoring its offset and limit).
func (db *DB) CountAccess(ctx context.Context, q custexport.AccessQuery) (int64, error) {
	where, args := accessWhere(q)
	var n int64
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM access_log`+where, args...).Scan(&n)
	return n, err
}

// QueryAccess calls fn for the entries q selects, newest first.
func (db *DB) QueryAccess(ctx context.Context, q custexport.AccessQuery, fn func(*custexport.AccessEntry) error) error {
	where, args := accessWhere(q)
	limit := q.Limit
	if limit <= 0 {
		limit = math.MaxInt32
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+storerow.AccessColumns+` FROM access_log`+where+`
		ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return storerow.Each(rows, storerow.ScanAccess, fn)
}
