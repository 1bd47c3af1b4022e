// Package i18n is the one place where text a user reads is put into a language: the admin
// pages, the partner URL's refusals, field errors, import skip reasons and refusals, and the
// sentence that says what a permanent link gives. Czech is the default (the shop's language);
// English is the other. Texts are looked up by key; a domain error is said through its stable
// Reason key, never by reading its English message.
package i18n

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
)

// Lang is a language of the user interface.
type Lang string

// The languages.
const (
	CS Lang = "cs"
	EN Lang = "en"
)

// Parse returns the language a code names, and whether it names one.
func Parse(code string) (Lang, bool) {
	switch l := Lang(code); l {
	case CS, EN:
		return l, true
	}
	return CS, false
}

// FromAcceptLanguage reads an Accept-Language header: English when an English tag comes before
// any Czech or Slovak one; Czech otherwise.
func FromAcceptLanguage(header string) Lang {
	for _, part := range strings.Split(header, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(tag)
		switch {
		case strings.HasPrefix(tag, "en"):
			return EN
		case strings.HasPrefix(tag, "cs"), strings.HasPrefix(tag, "sk"):
			return CS
		}
	}
	return CS
}

// text is one text in both languages.
type text struct{ cs, en string }

// Has reports whether key is a known text.
func Has(key string) bool {
	_, ok := texts[key]
	return ok
}

// T translates a key, formatting args into it. A missing key shows itself, so that a
// forgotten translation is visible rather than blank.
func (l Lang) T(key string, args ...any) string {
	m, ok := texts[key]
	if !ok {
		return key
	}
	s := m.cs
	if l == EN {
		s = m.en
	}
	if strings.Contains(s, "{{") {
		s = l.plurals(s, args)
	}
	// A text may leave out what it is given (a field error need not quote the value).
	if len(args) > 0 && strings.Contains(s, "%") {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// pluralMark is a word that follows a number in a text: {{N|one|few|many}} in Czech, where N is
// the argument (from 1) that counts, and {{N|one|other}} in English.
var pluralMark = regexp.MustCompile(`\{\{(\d+)\|([^}]*)\}\}`)

// plurals replaces each plural mark of s by the form its argument asks for.
func (l Lang) plurals(s string, args []any) string {
	return pluralMark.ReplaceAllStringFunc(s, func(m string) string {
		sub := pluralMark.FindStringSubmatch(m)
		i, _ := strconv.Atoi(sub[1])
		var n int64
		if i >= 1 && i <= len(args) {
			n = countOf(args[i-1])
		}
		return l.Plural(n, strings.Split(sub[2], "|")...)
	})
}

// countOf reads a count from a text argument: an int, or digits in a string (perhaps grouped
// by thin spaces, as the pages write them).
func countOf(a any) int64 {
	switch v := a.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r == '-' {
				return r
			}
			return -1
		}, v), 10, 64)
		return n
	}
	return 0
}

// Plural picks the form of a word after the number n. Czech has three: one (1 pole), few
// (2–4 pole) and many (0, 5 and more: 5 polí); English two: one (1 field) and other (2 fields).
// Given fewer forms than the language has, the last one stands for the rest.
func (l Lang) Plural(n int64, forms ...string) string {
	if len(forms) == 0 {
		return ""
	}
	i := 0
	if n < 0 {
		n = -n
	}
	switch {
	case n == 1:
		i = 0
	case l == CS && n >= 2 && n <= 4:
		i = 1
	case l == CS:
		i = 2
	default:
		i = 1
	}
	return forms[min(i, len(forms)-1)]
}

var monthsEN = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// Date writes a day as the language writes it: 7. 12. 2026 in Czech, 7 Dec 2026 in English;
// "" for the zero Date.
func (l Lang) Date(d custexport.Date) string {
	if d.IsZero() {
		return ""
	}
	if l == EN {
		return fmt.Sprintf("%d %s %d", d.Day, monthsEN[d.Month-1], d.Year)
	}
	return fmt.Sprintf("%d. %d. %d", d.Day, int(d.Month), d.Year)
}

// Time writes an instant in loc as the language writes it, to the minute: 7. 12. 2026 14:05,
// 7 Dec 2026 14:05; "" for the zero time.
func (l Lang) Time(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	return l.Date(custexport.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}) + " " + t.Format("15:04")
}

// Problem says a domain error about the user's input: its Reason translated with its Value,
// or, for a reason without a text, its own message.
func (l Lang) Problem(e *custexport.Error) string {
	if key := "reason." + e.Reason; e.Reason != "" && Has(key) {
		return l.T(key, e.Value)
	}
	return e.Message
}

// Skip says why an import left a row out. Rows recorded before skip reasons had keys carry
// only the English text, which is shown as it is.
func (l Lang) Skip(s custexport.SkippedRow) string {
	key := "skip." + s.Key
	if s.Key == "" || !Has(key) {
		return s.Reason
	}
	args := make([]any, len(s.Args))
	for i, a := range s.Args {
		args[i] = a
	}
	return l.T(key, args...)
}

// Warning says why an import warned about a field (custexport.ImportWarning), in English for a
// kind without a text.
func (l Lang) Warning(w custexport.ImportWarning) string {
	if key := "warn." + w.Key; w.Key != "" && Has(key) {
		return l.T(key)
	}
	return w.Reason
}

// LinkSentence says what anyone holding a permanent link can download: which customers, in
// which format (and whether without the formula guard), as which partner, from where and until
// when. The admin UI shows it under a new link and the CLI prints it (in English) after signing
// one. ip is the link's address list as text (clientip.List.String), "" for any address.
func LinkSentence(l Lang, p *custexport.Partner, opts custexport.ExportOptions, ip string) string {
	which := l.T("link.s.all")
	switch from, until := opts.Filter.From, opts.Filter.Until; {
	case !from.IsZero() && !until.IsZero():
		which = l.T("link.s.fromuntil", l.Date(from), l.Date(until))
	case !from.IsZero():
		which = l.T("link.s.from", l.Date(from))
	case !until.IsZero():
		which = l.T("link.s.until", l.Date(until))
	}
	format := strings.ToUpper(string(opts.Format))
	if opts.Format == custexport.FormatCSV {
		format += " (" + string(opts.Encoding) + ")"
	}
	if !opts.FormulaGuard {
		format += l.T("link.s.noguard")
	}
	var b strings.Builder
	b.WriteString(l.T("link.s.main", which, format, p.Name))
	if ip != "" {
		b.WriteString(l.T("link.s.ip", strings.ReplaceAll(ip, ",", ", ")))
	}
	if !p.ValidUntil.IsZero() {
		b.WriteString(l.T("link.s.validuntil", l.Date(p.ValidUntil)))
	}
	b.WriteString(l.T("link.s.end"))
	return b.String()
}

// LinkAdvice is what the maker of a link for a program should know (SPEC section 15): that
// programs usually want the formula guard off, that a link without a date range lets the
// program choose its own window, and, for a link with no parameter but partnerId (plain), that
// a program keeping only the hash can call it by the hash alone.
func LinkAdvice(l Lang, opts custexport.ExportOptions, plain bool) []string {
	var advice []string
	if opts.FormulaGuard {
		advice = append(advice, l.T("link.a.guard"))
	}
	if opts.Filter.From.IsZero() && opts.Filter.Until.IsZero() {
		advice = append(advice, l.T("link.a.window"))
	}
	if plain {
		advice = append(advice, l.T("link.a.hashalone", opts.Format))
	}
	return advice
}

// verbOrMark is what a text fills in: a format verb or a plural mark.
var verbOrMark = regexp.MustCompile(`%(\[\d+\])?[sdqv%]|\{\{[^}]*\}\}`)

// EnglishFragments are the fixed parts of every English text that Czech says otherwise, long
// enough (a phrase, not a word such as "Export") to mean English when a Czech page shows one: a
// test of the Czech pages looks for them.
func EnglishFragments() []string {
	var out []string
	for _, m := range texts {
		if m.en == m.cs {
			continue
		}
		for _, part := range verbOrMark.Split(m.en, -1) {
			part = strings.TrimSpace(part)
			if len(part) >= 12 && strings.Contains(part, " ") && !strings.Contains(m.cs, part) {
				out = append(out, part)
			}
		}
	}
	return out
}
