package xlsxread

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// cellFormat is what a number format makes of a number cell's text.
type cellFormat struct {
	kind  formatKind
	zeros []formatPart // kind zeros: the pattern, e.g. "00000" or "000 00"
}

type formatKind uint8

const (
	general  formatKind = iota
	date                // a date without a time of day
	dateTime            // a date and a time (or a time alone)
	zeros               // an integer padded with zeros: ZIP codes, company ids
)

// formatPart is a digit placeholder ("0") or literal text of a zeros format.
type formatPart struct {
	digit   bool
	literal string
}

// builtinFormat is the format of a built-in number format id (ECMA-376 part 1, 18.8.30), as
// far as dates matter: 14–17 and 27–36, 50–58 (East Asian) are dates, 18–21 and 45–47 times,
// 22 a date and time.
func builtinFormat(id int) cellFormat {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 36, id >= 50 && id <= 58:
		return cellFormat{kind: date}
	case id >= 18 && id <= 22, id >= 45 && id <= 47:
		return cellFormat{kind: dateTime}
	}
	return cellFormat{}
}

// parseFormat reads a format code's first section (the one for positive numbers): whether
// it shows a date, a time, or zero-padded digits.
func parseFormat(code string) cellFormat {
	var letters strings.Builder
	var parts []formatPart
	digitsOnly, digits := true, 0
	literal := func(s string) {
		parts = append(parts, formatPart{literal: s})
	}
	quoted := false
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case quoted:
			if c == '"' {
				quoted = false
			} else {
				literal(string(c))
			}
			continue
		case c == '"':
			quoted = true
			continue
		case c == ';':
			i = len(code) // only the first section
			continue
		case c == '\\' && i+1 < len(code):
			i++
			literal(string(code[i]))
			continue
		case c == '_' || c == '*': // a space as wide as the next character; a fill
			i++
			continue
		case c == '[':
			end := strings.IndexByte(code[i:], ']')
			if end < 0 {
				i = len(code)
				continue
			}
			inner := strings.ToLower(code[i+1 : i+end])
			if inner != "" && strings.Trim(inner, "hms") == "" {
				letters.WriteString(inner) // elapsed time: [h], [mm], [ss]
			}
			i += end
			continue
		case c == '0':
			digits++
			parts = append(parts, formatPart{digit: true})
			continue
		case c == ' ' || c == '-':
			literal(string(c))
			continue
		}
		digitsOnly = false
		letters.WriteByte(c | 0x20) // lower case for letters
	}
	l := letters.String()
	if digitsOnly && digits > 1 {
		return cellFormat{kind: zeros, zeros: parts}
	}
	if strings.Contains(l, "general") || strings.Contains(l, "@") {
		return cellFormat{}
	}
	l = strings.NewReplacer("am/pm", "", "a/p", "").Replace(l)
	hasDate := strings.ContainsAny(l, "yd")
	hasTime := strings.ContainsAny(l, "hs")
	switch {
	case hasTime:
		return cellFormat{kind: dateTime}
	case hasDate || strings.ContainsRune(l, 'm') && !strings.ContainsAny(l, "e#?,%"):
		return cellFormat{kind: date}
	}
	return cellFormat{}
}

// lastSerial is 9999-12-31, the last day a spreadsheet has.
const lastSerial = 2958465

// numberText is the text of a number cell (raw, as stored) in its format.
func (w *Workbook) numberText(raw string, f cellFormat) string {
	v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return raw // not a number after all: as it is
	}
	switch f.kind {
	case date, dateTime:
		if v >= 0 && v < lastSerial+1 {
			return w.dateText(v, f.kind)
		}
	case zeros:
		if v >= 0 && v < 1e15 && v == math.Trunc(v) {
			return zeroPadded(int64(v), f.zeros)
		}
	}
	// A spreadsheet shows at most 15 significant digits; beyond them a float64 holds noise
	// (0.1+0.2 is 0.30000000000000004), which no typed value had.
	v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if v == 0 {
		return "0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// dateText is a serial date as the export writes it: "2024-10-27" for a date format without
// a time of day at midnight, else "2024-10-27 02:30:00". The serial is the wall time the cell
// shows, already in the shop's time zone, so no zone is applied.
func (w *Workbook) dateText(v float64, kind formatKind) string {
	secs := int64(math.Round(v * 86400))
	days, sec := secs/86400, secs%86400
	base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	switch {
	case w.date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days < 61:
		base = base.AddDate(0, 0, 1) // before Excel's non-existent 1900-02-29
	}
	t := base.AddDate(0, 0, int(days)).Add(time.Duration(sec) * time.Second)
	if kind == date && sec == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05")
}

// zeroPadded writes n into the digit placeholders of a zeros format, from the right; digits
// beyond the placeholders go before the first one, as spreadsheets show them.
func zeroPadded(n int64, parts []formatPart) string {
	digits := strconv.FormatInt(n, 10)
	places := 0
	for _, p := range parts {
		if p.digit {
			places++
		}
	}
	if len(digits) < places {
		digits = strings.Repeat("0", places-len(digits)) + digits
	}
	var b strings.Builder
	extra := len(digits) - places
	next := 0
	for _, p := range parts {
		if !p.digit {
			b.WriteString(p.literal)
			continue
		}
		if next == 0 {
			b.WriteString(digits[:extra])
			next = extra
		}
		b.WriteByte(digits[next])
		next++
	}
	return b.String()
}

// isoDateText is the text of a cell of type "d" (an ISO 8601 date-time, rare): as the export
// writes dates.
func isoDateText(raw string) string {
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, raw); err == nil {
			if layout == "2006-01-02" {
				return t.Format("2006-01-02")
			}
			return t.Format("2006-01-02 15:04:05")
		}
	}
	return raw
}
