// Package sqlparam turns the domain's query values into the parameters both stores' SQL takes,
// so that a search or a date range means the same on SQLite and PostgreSQL.
package sqlparam

import (
	"math"
	"strings"

	"github.com/custexport/custexport"
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
