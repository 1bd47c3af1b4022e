package postgres

import (
	"context"
	"math"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlparam"
	"github.com/custexport/custexport/internal/storerow"
)

// ilike matches column against the pattern in parameter param as SQLite's LIKE does:
// case-insensitively for ASCII letters only. ILIKE under the "C" collation folds exactly those;
// under the database's own collation it would also fold "Š" to "š", and the two stores would
// find different rows for one query.
func ilike(column, param string) string {
	return column + ` ILIKE ` + param + ` COLLATE "C"`
}

// SearchCustomers returns one page of the customers matching s.Text in the name, e-mail,
// company or company id, newest registrations first, and how many match in all. The match is
// case-insensitive for ASCII letters, as in SQLite; the e-mail is matched in its lower-cased
// form, so any letter case finds it.
func (db *DB) SearchCustomers(ctx context.Context, s custexport.CustomerSearch) (custexport.CustomerPage, error) {
	var page custexport.CustomerPage
	text := strings.TrimSpace(s.Text)
	where, args := "", []any{}
	if text != "" {
		p := sqlparam.Contains(text)
		where = ` WHERE ` + ilike("billing_full_name", "$1") + ` OR ` + ilike("email_key", "$2") +
			` OR ` + ilike("billing_company", "$1") + ` OR ` + ilike("company_id", "$1")
		args = append(args, p, strings.ToLower(p))
	}
	// The count and the page come from one snapshot.
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return page, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM customer`+where, args...).Scan(&page.Total); err != nil {
		return page, err
	}
	limit := s.Limit
	if limit <= 0 {
		limit = math.MaxInt32
	}
	n := len(args)
	rows, err := tx.Query(ctx, `SELECT `+storerow.SummaryColumns+` FROM customer`+where+`
		ORDER BY registration_date DESC, guid DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2),
		append(args, limit, max(s.Offset, 0))...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	page.Customers, err = storerow.Collect(rows, storerow.ScanSummary)
	return page, err
}

// accessWhere turns an AccessQuery into a WHERE clause of fixed text with parameters $1…$n.
func accessWhere(q custexport.AccessQuery) (string, []any) {
	var conds []string
	var args []any
	next := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if p := strings.TrimSpace(q.Principal); p != "" {
		kind, pattern := next(p), next(sqlparam.Contains(p))
		conds = append(conds, `(principal_kind = `+kind+` OR `+ilike("principal_name", pattern)+`)`)
	}
	if q.Outcome != "" {
		conds = append(conds, `outcome = `+next(string(q.Outcome)))
	}
	if !q.From.IsZero() {
		conds = append(conds, `at >= `+next(q.From.UnixMilli()))
	}
	if !q.Before.IsZero() {
		conds = append(conds, `at < `+next(q.Before.UnixMilli()))
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
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM access_log`+where, args...).Scan(&n)
	return n, err
}

// QueryAccess calls fn for the entries q selects, newest first.
func (db *DB) QueryAccess(ctx context.Context, q custexport.AccessQuery, fn func(*custexport.AccessEntry) error) error {
	where, args := accessWhere(q)
	limit := q.Limit
	if limit <= 0 {
		limit = math.MaxInt32
	}
	n := len(args)
	rows, err := db.pool.Query(ctx, `SELECT `+storerow.AccessColumns+` FROM access_log`+where+`
		ORDER BY id DESC LIMIT $`+strconv.Itoa(n+1)+` OFFSET $`+strconv.Itoa(n+2), append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return err
	}
	return eachAccess(rows, fn)
}
