package custexport

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Date is a calendar date without time or zone. The zero Date means "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

// String formats the date as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return string(d.AppendISO(nil))
}

// AppendISO appends YYYY-MM-DD.
func (d Date) AppendISO(dst []byte) []byte {
	return appendYMD(dst, d.Year, int(d.Month), d.Day)
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

// Start returns the first instant of the day in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// ErrDateSyntax is returned by ParseDate for text that is not a date of the accepted forms.
var ErrDateSyntax = errors.New("expected a date as YYYY-MM-DD")

// ParseDate parses YYYY-MM-DD, also accepting one-digit months and days (YYYY-M-D). An
// impossible date such as 2024-02-30 or 2024-13-01 is an error that says why.
func ParseDate(s string) (Date, error) {
	var parts [3]int
	var digits [3]int
	p := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= '0' && ch <= '9':
			if digits[p] == 4 {
				return Date{}, ErrDateSyntax
			}
			parts[p] = parts[p]*10 + int(ch-'0')
			digits[p]++
		case ch == '-' && p < 2 && digits[p] > 0:
			p++
		default:
			return Date{}, ErrDateSyntax
		}
	}
	if p != 2 || digits[0] != 4 || digits[1] == 0 || digits[1] > 2 || digits[2] == 0 || digits[2] > 2 {
		return Date{}, ErrDateSyntax
	}
	d := Date{Year: parts[0], Month: time.Month(parts[1]), Day: parts[2]}
	if d.Month < 1 || d.Month > 12 {
		return Date{}, fmt.Errorf("month %d does not exist (expected YYYY-MM-DD)", parts[1])
	}
	if d.Year < 1 {
		return Date{}, fmt.Errorf("year %04d is out of range (expected YYYY-MM-DD)", parts[0])
	}
	if d.Day < 1 || d.Day > daysIn(d.Year, d.Month) {
		return Date{}, fmt.Errorf("%s has no day %d (expected YYYY-MM-DD)", d.Month, d.Day)
	}
	return d, nil
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Filter selects customers by registration day in shop time. Both ends are inclusive and
// optional; the zero Filter selects every customer.
type Filter struct {
	From  Date
	Until Date
}

// ParseFilter parses the two ends of a filter. fromName and untilName are the parameter names
// of the caller's channel (e.g. "--from" on the CLI, "dateFrom" in URLs), so that the error
// names exactly what the user typed. The error is Problems: each end that is wrong, or the
// reversed range.
func ParseFilter(from, until, fromName, untilName string) (Filter, error) {
	f, problems := parseFilter(from, until, fromName, untilName)
	if problems != nil {
		return Filter{}, problems
	}
	return f, nil
}

func parseFilter(from, until, fromName, untilName string) (Filter, Problems) {
	var f Filter
	var problems Problems
	var err error
	from, until = strings.TrimSpace(from), strings.TrimSpace(until)
	if from != "" {
		if f.From, err = ParseDate(from); err != nil {
			problems = append(problems, &Error{Code: CodeInvalid, Field: fromName, Reason: ReasonDate, Value: from,
				Message: fmt.Sprintf("%q is not a valid date: %v", from, err)})
		}
	}
	if until != "" {
		if f.Until, err = ParseDate(until); err != nil {
			problems = append(problems, &Error{Code: CodeInvalid, Field: untilName, Reason: ReasonDate, Value: until,
				Message: fmt.Sprintf("%q is not a valid date: %v", until, err)})
		}
	}
	if problems != nil {
		return Filter{}, problems
	}
	if !f.From.IsZero() && !f.Until.IsZero() && f.Until.Before(f.From) {
		return Filter{}, Problems{{Code: CodeInvalid, Field: fromName, Reason: ReasonRangeReversed, Value: from,
			Message: fmt.Sprintf("%s is after %s %s", f.From, untilName, f.Until)}}
	}
	return f, nil
}

// Range is a half-open interval of instants [From, Until); a zero end is open.
type Range struct {
	From  time.Time
	Until time.Time
}

// Range converts the filter's calendar days into instants using the shop's time zone: from the
// first instant of From to the first instant of the day after Until.
func (f Filter) Range(loc *time.Location) Range {
	var r Range
	if !f.From.IsZero() {
		r.From = f.From.Start(loc)
	}
	if !f.Until.IsZero() {
		r.Until = time.Date(f.Until.Year, f.Until.Month, f.Until.Day+1, 0, 0, 0, 0, loc)
	}
	return r
}

// Contains reports whether t lies in the range.
func (r Range) Contains(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.Until.IsZero() || t.Before(r.Until))
}

func appendYMD(dst []byte, y, m, d int) []byte {
	if y < 0 || y > 9999 {
		y = 0
	}
	return append(dst,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+d/10), byte('0'+d%10))
}
