package sqlite

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/custexport/custexport"
)

// likePattern makes a LIKE pattern matching text anywhere, with LIKE's own wildcards escaped
// (ESCAPE '\').
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(text) + "%"
}

// SearchCustomers returns one page of the customers matching s.Text in the name, e-mail,
// company or company id, newest registrations first, and how many match in all. The match is
// case-insensitive for ASCII letters (SQLite's LIKE); the e-mail is matched in its lower-cased
// form, so any letter case finds it.
func (db *DB) SearchCustomers(ctx context.Context, s custexport.CustomerSearch) (custexport.CustomerPage, error) {
	var page custexport.CustomerPage
	text := strings.TrimSpace(s.Text)
	where, args := "", []any{}
	if text != "" {
		p := likePattern(text)
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
	rows, err := tx.QueryContext(ctx, `SELECT id, guid, email, billing_full_name, billing_company, company_id,
		billing_city, registration_date FROM customer`+where+`
		ORDER BY registration_date DESC, guid DESC LIMIT `+"?"+` OFFSET ?`, append(args, limit, max(s.Offset, 0))...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		var c custexport.CustomerSummary
		var registered int64
		if err := rows.Scan(&c.ID, &c.GUID, &c.Email, &c.FullName, &c.Company, &c.CompanyID, &c.City, &registered); err != nil {
			return page, err
		}
		c.Registered = time.Unix(registered, 0).UTC()
		page.Customers = append(page.Customers, c)
	}
	return page, rows.Err()
}

// accessWhere turns an AccessQuery into a WHERE clause of fixed text with parameters.
func accessWhere(q custexport.AccessQuery) (string, []any) {
	var conds []string
	var args []any
	if p := strings.TrimSpace(q.Principal); p != "" {
		conds = append(conds, `(principal_kind = ? OR principal_name LIKE ? ESCAPE '\')`)
		args = append(args, p, likePattern(p))
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
	rows, err := db.sql.QueryContext(ctx, `SELECT `+accessColumns+` FROM access_log`+where+`
		ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAccess(rows.Scan)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}
