// Package sqlparam turns the domain's query values into the parameters both stores' SQL takes,
// and writes the admin's search queries once, so that a search, a page or a date range means
// the same on SQLite and PostgreSQL.
package sqlparam

import (
	"math"
	"strings"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// likeEscaper escapes LIKE's own characters with a backslash (ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Contains is a LIKE pattern (with ESCAPE '\') matching text anywhere: LIKE's own characters in
// text match only themselves.
func Contains(text string) string {
	return "%" + likeEscaper.Replace(text) + "%"
}

// RegistrationBounds is a registration-date range as the stored unix seconds [from, until); an
// open end is the smallest or largest number, so one query serves every range.
func RegistrationBounds(r custexport.Range) (from, until int64) {
	from, until = math.MinInt64, math.MaxInt64
	if !r.From.IsZero() {
		from = r.From.Unix()
	}
	if !r.Until.IsZero() {
		until = r.Until.Unix()
	}
	return from, until
}

// Dialect is what differs between the stores' SQL in the queries built here.
type Dialect struct {
	// Param names the n-th parameter (from 1): "?1" in SQLite, "$1" in PostgreSQL.
	Param func(n int) string
	// Like matches column against the LIKE pattern (escaped by backslash) in param,
	// case-insensitively for ASCII letters only: SQLite's LIKE does so, and PostgreSQL is made to.
	Like func(column, param string) string
}

// CustomerSearch is the WHERE clause (empty or starting with a space) and parameters that select
// the customers whose name, e-mail, company or company id holds text; the e-mail is matched in
// its lower-cased form, so any letter case finds it.
func CustomerSearch(d Dialect, text string) (string, []any) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", nil
	}
	p := Contains(text)
	anyCase, lower := d.Param(1), d.Param(2)
	return ` WHERE ` + d.Like("billing_full_name", anyCase) + ` OR ` + d.Like("email_key", lower) +
		` OR ` + d.Like("billing_company", anyCase) + ` OR ` + d.Like("company_id", anyCase), []any{p, strings.ToLower(p)}
}

// AccessWhere is the WHERE clause (empty or starting with a space) and parameters that select
// the access-log entries q asks for, ignoring its offset and limit.
func AccessWhere(d Dialect, q custexport.AccessQuery) (string, []any) {
	var conds []string
	var args []any
	next := func(v any) string {
		args = append(args, v)
		return d.Param(len(args))
	}
	if p := strings.TrimSpace(q.Principal); p != "" {
		kind, pattern := next(p), next(Contains(p))
		conds = append(conds, `(principal_kind = `+kind+` OR `+d.Like("principal_name", pattern)+`)`)
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

// Page appends a page's LIMIT and OFFSET to a query's parameters args and returns the clause:
// a limit of 0 or less means every row, a negative offset none.
func Page(d Dialect, args []any, limit, offset int) (string, []any) {
	if limit <= 0 {
		limit = math.MaxInt32
	}
	n := len(args)
	return ` LIMIT ` + d.Param(n+1) + ` OFFSET ` + d.Param(n+2), append(args, limit, max(offset, 0))
}

// Query is an SQL statement and its parameters.
type Query struct {
	SQL  string
	Args []any
}

// CustomerPage is the customer search s as two queries, which the store runs in one snapshot:
// the count of all the customers it finds, and its page of them (storerow.SummaryColumns),
// newest registrations first and the guid ordering a day's registrations, so that pages
// neither overlap nor skip a customer.
func CustomerPage(d Dialect, s custexport.CustomerSearch) (count, page Query) {
	where, args := CustomerSearch(d, s.Text)
	limit, pageArgs := Page(d, args, s.Limit, s.Offset)
	return Query{`SELECT count(*) FROM customer` + where, args},
		Query{`SELECT ` + storerow.SummaryColumns + ` FROM customer` + where + `
		ORDER BY registration_date DESC, guid DESC` + limit, pageArgs}
}

// AccessCount is the count of the access-log entries q selects (ignoring its offset and limit).
func AccessCount(d Dialect, q custexport.AccessQuery) Query {
	where, args := AccessWhere(d, q)
	return Query{`SELECT count(*) FROM access_log` + where, args}
}

// AccessPage selects the access-log entries q asks for (storerow.AccessColumns), newest first.
func AccessPage(d Dialect, q custexport.AccessQuery) Query {
	where, args := AccessWhere(d, q)
	limit, args := Page(d, args, q.Limit, q.Offset)
	return Query{`SELECT ` + storerow.AccessColumns + ` FROM access_log` + where + `
		ORDER BY id DESC` + limit, args}
}
