package custexport

import (
	"regexp"
	"strings"
	"time"
	"unicode"
)

// The plausibility rules of a customer's values (SPEC section 10, issue 17): each rule is written
// once here, so that every write path (the import today) judges a value alike. A rule judges
// only a value being written: what is stored stays acceptable (a round trip never fails on it).
// Each returns nil or an *Error whose Reason names the rule for a user interface and whose Value
// is the offending value.

// The reasons of the plausibility errors.
const (
	ReasonPriceRatioRange = "price_ratio_range"
	ReasonZip             = "zip"
	ReasonCompanyID       = "company_id"
	ReasonCountryCode     = "country"
	ReasonControlChars    = "control_chars"
	ReasonFutureDate      = "future"
	ReasonTimeMissing     = "time_missing" // a local time skipped when clocks go forward
	ReasonTimeTwice       = "time_twice"   // a local time that occurs twice when clocks go back
)

func plausibility(reason, value, format string, args ...any) *Error {
	e := Errorf(CodeInvalid, format, args...)
	e.Reason, e.Value = reason, value
	return e
}

// MaxPriceRatio is the largest price ratio a customer may have: 10.0000.
const MaxPriceRatio PriceRatio = 10 * NoDiscount

// CheckPriceRatio accepts a ratio within (0, 10]: 0 would give everything away, and more than ten
// times the price is a typing slip.
func CheckPriceRatio(r PriceRatio) error {
	if r <= 0 || r > MaxPriceRatio {
		return plausibility(ReasonPriceRatioRange, r.String(), "price ratio %s is outside (0, 10]", r)
	}
	return nil
}

// CheckZip accepts any ZIP outside the Czech Republic and Slovakia, and there five digits with
// spaces allowed ("11000", "110 00"). An empty ZIP is accepted.
func CheckZip(country, zip string) error {
	if zip == "" || (country != "CZ" && country != "SK") {
		return nil
	}
	if d := strings.ReplaceAll(zip, " ", ""); len(d) != 5 || !isDigits(d) {
		return plausibility(ReasonZip, zip, "%q is not a ZIP of %s (five digits, e.g. 110 00)", zip, country)
	}
	return nil
}

// CheckCompanyID judges a Czech or Slovak IČO: eight digits (spaces allowed). A wrong check
// digit (weighted sum modulo 11) is reported by wrongCheck rather than as an error: a registry
// typo is worth a warning, not the loss of the row. Other countries' ids are not judged.
func CheckCompanyID(country, id string) (wrongCheck bool, err error) {
	if id == "" || (country != "" && country != "CZ" && country != "SK") {
		return false, nil
	}
	d := strings.ReplaceAll(id, " ", "")
	if len(d) != 8 || !isDigits(d) {
		return false, plausibility(ReasonCompanyID, id, "%q is not an IČO (eight digits)", id)
	}
	return !CompanyIDCheckDigitOK(d), nil
}

// CompanyIDCheckDigitOK reports whether the eight digits of an IČO end in their check digit:
// the first seven weighted 8…2, summed; the check digit is (11 − sum mod 11) mod 10.
func CompanyIDCheckDigitOK(d string) bool {
	sum := 0
	for i := range 7 {
		sum += int(d[i]-'0') * (8 - i)
	}
	return int(d[7]-'0') == (11-sum%11)%10
}

// countryCodes are the ISO 3166-1 alpha-2 codes, each followed by a space.
const countryCodes = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
	"KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
	"MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
	"SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
	"UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "

// CheckCountryCode accepts an ISO 3166-1 alpha-2 code in capitals (CZ, SK, …), or "".
func CheckCountryCode(code string) error {
	if code == "" {
		return nil
	}
	if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || !strings.Contains(countryCodes, code+" ") {
		return plausibility(ReasonCountryCode, code, "%q is not a two-letter country code of ISO 3166-1 (CZ, SK, …)", code)
	}
	return nil
}

// CheckName refuses control characters (a tab, a new line, U+0001 …) in a name or company: they
// break labels, invoices and every export reader.
func CheckName(s string) error {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return plausibility(ReasonControlChars, s, "%q contains control characters", s)
	}
	return nil
}

// CheckNotFutureDay refuses a day after today (in the shop's time zone): a birth date in 2090.
func CheckNotFutureDay(d, today Date) error {
	if today.Before(d) {
		return plausibility(ReasonFutureDate, d.String(), "%s is in the future", d)
	}
	return nil
}

// CheckNotFuture refuses an instant after now: a registration date in the future.
func CheckNotFuture(t, now time.Time, loc *time.Location) error {
	if t.After(now) {
		s := t.In(loc).Format(time.DateTime)
		return plausibility(ReasonFutureDate, s, "%s is in the future", s)
	}
	return nil
}

// ParseLocalDateTime reads a wall-clock date and time of the shop's zone in the layout and
// refuses what the zone makes of it silently: a time that does not exist (02:30 on the day
// clocks go forward, which time.ParseInLocation moves to 03:30) or one that exists twice (02:30
// on the day they go back, of which it takes the first).
func ParseLocalDateTime(layout, s string, loc *time.Location) (time.Time, error) {
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return t, err
	}
	wall, _ := time.Parse(layout, s)
	if y, mo, d := t.Date(); y != wall.Year() || mo != wall.Month() || d != wall.Day() ||
		t.Hour() != wall.Hour() || t.Minute() != wall.Minute() || t.Second() != wall.Second() {
		return t, plausibility(ReasonTimeMissing, s, "%s does not exist in %s (the clocks skip it)", s, loc)
	}
	for _, shift := range []time.Duration{-time.Hour, time.Hour} {
		if o := t.Add(shift); o.Format(layout) == s {
			return t, plausibility(ReasonTimeTwice, s, "%s occurs twice in %s (the clocks go back); it cannot be told which is meant", s, loc)
		}
	}
	return t, nil
}

// The kinds of import warnings (ImportWarning.Key).
const (
	WarnZerosLost      = "zeros_lost"       // 03401 → 3401: a spreadsheet read the text as a number
	WarnNumberFormat   = "number_format"    // 0906 922 589 → 906922589, +420 … → 420…: the same
	WarnDate           = "as_date"          // 28. října → 10/28/26: a text turned into a date
	WarnScientific     = "scientific"       // 4,2E+08: a number in scientific notation
	WarnCRLF           = "crlf_lost"        // the CRLF line breaks of a remark turned into LF
	WarnCompanyIDCheck = "company_id_check" // an IČO whose check digit is wrong
)

var (
	dateShaped = regexp.MustCompile(`^([0-9]{1,2}[./-] ?[0-9]{1,2}[./-] ?[0-9]{2,4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}[-. ]\pL{3,}[-. ][0-9]{2,4})( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?)?$`)
)

// SpreadsheetDamage reports whether incoming, the new value of a text field whose stored value
// is stored ("" for a new customer), looks like what a spreadsheet does to a CSV opened without
// care, and which kind (a Warn constant); "" when it does not. Such a value is not applied
// unless the user accepts it: the import cannot tell a damaged value from a wanted one, and the
// damage is far more common (issue 17: 7,478 of 20,000 customers of one edited file).
func SpreadsheetDamage(stored, incoming string) string {
	if incoming == stored {
		return ""
	}
	if isScientific(incoming) && !isScientific(stored) {
		return WarnScientific
	}
	if stored == "" {
		return "" // nothing to compare with: a new value may look like anything
	}
	if strings.Contains(stored, "\r\n") && incoming == strings.ReplaceAll(stored, "\r\n", "\n") {
		return WarnCRLF
	}
	if isDigits(incoming) && incoming[0] != '0' {
		// A number as a spreadsheet writes it: no leading zero, no '+', no group spaces.
		if d, plus := numberText(stored); d != "" && strings.TrimLeft(d, "0") == incoming {
			if !plus && strings.HasPrefix(d, "0") && len(d) == len(strings.TrimSpace(stored)) {
				return WarnZerosLost
			}
			return WarnNumberFormat
		}
	}
	if dateShaped.MatchString(incoming) && !dateShaped.MatchString(stored) {
		return WarnDate
	}
	return ""
}

// isScientific matches ^[+-]?[0-9]+([.,][0-9]+)?[eE][+-]?[0-9]+$ by hand: it runs on every text
// field of every new customer an import creates, where a regular expression cost seconds per
// million rows.
func isScientific(s string) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if !digits() {
		return false
	}
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		i++
		if !digits() {
			return false
		}
	}
	if i == len(s) || s[i] != 'e' && s[i] != 'E' {
		return false
	}
	i++
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	return digits() && i == len(s)
}

// numberText returns the digits of s when s is a number written as text (digits, group spaces,
// a leading '+'), and whether it had the '+'; "" when s is anything else.
func numberText(s string) (string, bool) {
	s = strings.TrimSpace(s)
	plus := strings.HasPrefix(s, "+")
	s = strings.TrimPrefix(s, "+")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '\u00a0' || r == '\u202f':
		default:
			return "", false
		}
	}
	return b.String(), plus
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
