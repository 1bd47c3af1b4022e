package custexport

import (
	"errors"
	"testing"
	"time"
)

func reasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	if err != nil {
		return "?" + err.Error()
	}
	return ""
}

func TestPlausibilityRules(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	today := Date{Year: 2026, Month: 3, Day: 1}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"ratio -0.5", CheckPriceRatio(-5000), ReasonPriceRatioRange},
		{"ratio 0", CheckPriceRatio(0), ReasonPriceRatioRange},
		{"ratio 100000", CheckPriceRatio(100000 * NoDiscount), ReasonPriceRatioRange},
		{"ratio 10.0001", CheckPriceRatio(MaxPriceRatio + 1), ReasonPriceRatioRange},
		{"ratio 10", CheckPriceRatio(MaxPriceRatio), ""},
		{"ratio 0.0001", CheckPriceRatio(1), ""},
		{"zip ABC", CheckZip("CZ", "ABC"), ReasonZip},
		{"zip 4 digits SK", CheckZip("SK", "1008"), ReasonZip},
		{"zip 110 00", CheckZip("CZ", "110 00"), ""},
		{"zip 01008", CheckZip("SK", "01008"), ""},
		{"zip JP", CheckZip("JP", "100-0001"), ""},
		{"zip empty", CheckZip("CZ", ""), ""},
		{"country XX", CheckCountryCode("XX"), ReasonCountryCode},
		{"country cz", CheckCountryCode("cz"), ReasonCountryCode},
		{"country CZE", CheckCountryCode("CZE"), ReasonCountryCode},
		{"country CZ", CheckCountryCode("CZ"), ""},
		{"country AX", CheckCountryCode("AX"), ""},
		{"country ZW", CheckCountryCode("ZW"), ""},
		{"name control", CheckName("Jan\x01Novák"), ReasonControlChars},
		{"name tab", CheckName("Jan\tNovák"), ReasonControlChars},
		{"name newline", CheckName("Jan\nNovák"), ReasonControlChars},
		{"name", CheckName("Zoë 😀 Šťastná"), ""},
		{"birth 2090", CheckNotFutureDay(Date{Year: 2090, Month: 1, Day: 1}, today), ReasonFutureDate},
		{"birth tomorrow", CheckNotFutureDay(Date{Year: 2026, Month: 3, Day: 2}, today), ReasonFutureDate},
		{"birth today", CheckNotFutureDay(today, today), ""},
		{"birth none", CheckNotFutureDay(Date{}, today), ""},
		{"registered later", CheckNotFuture(now.Add(time.Second), now, prague), ReasonFutureDate},
		{"registered now", CheckNotFuture(now, now, prague), ""},
	} {
		if got := reasonOf(tc.err); got != tc.want {
			t.Errorf("%s: reason %q (%v), want %q", tc.name, got, tc.err, tc.want)
		}
	}
}

func TestCompanyID(t *testing.T) {
	for _, tc := range []struct {
		country, id string
		wrongCheck  bool
		reason      string
	}{
		{"CZ", "00235679", false, ""}, // a real form: the leading zeros count
		{"CZ", "25596641", false, ""},
		{"CZ", "25596642", true, ""},
		{"SK", "00 235 679", false, ""},
		{"", "00235678", true, ""},
		{"CZ", "235679", false, ReasonCompanyID},
		{"CZ", "CZ00235679", false, ReasonCompanyID},
		{"AT", "FN 123456a", false, ""}, // another country's id is not judged
		{"CZ", "", false, ""},
	} {
		wrong, err := CheckCompanyID(tc.country, tc.id)
		if wrong != tc.wrongCheck || reasonOf(err) != tc.reason {
			t.Errorf("CheckCompanyID(%q, %q) = %v, %v; want %v, reason %q", tc.country, tc.id, wrong, err, tc.wrongCheck, tc.reason)
		}
	}
}

// 02:30 on the spring-forward day does not exist in Prague, and on the autumn day it exists
// twice: both are refused instead of moved; a time beside them is read as it is.
func TestParseLocalDateTime(t *testing.T) {
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ s, reason, utc string }{
		{"2026-03-29 02:30:00", ReasonTimeMissing, ""},
		{"2024-10-27 02:30:00", ReasonTimeTwice, ""},
		{"2024-10-27 02:00:00", ReasonTimeTwice, ""},
		{"2024-10-27 03:00:00", "", "2024-10-27 02:00:00"},
		{"2024-10-27 01:59:59", "", "2024-10-26 23:59:59"},
		{"2026-03-29 03:00:00", "", "2026-03-29 01:00:00"},
		{"2026-01-15 10:00:00", "", "2026-01-15 09:00:00"},
	} {
		got, err := ParseLocalDateTime(time.DateTime, tc.s, prague)
		if reasonOf(err) != tc.reason {
			t.Errorf("%s: %v, want reason %q", tc.s, err, tc.reason)
			continue
		}
		if tc.utc != "" && got.UTC().Format(time.DateTime) != tc.utc {
			t.Errorf("%s read as %s UTC, want %s", tc.s, got.UTC().Format(time.DateTime), tc.utc)
		}
	}
}

func TestSpreadsheetDamage(t *testing.T) {
	for _, tc := range []struct{ stored, incoming, want string }{
		{"03401", "3401", WarnZerosLost},
		{"00465101", "465101", WarnZerosLost},
		{"0906922589", "906922589", WarnZerosLost},
		{"0906 922 589", "906922589", WarnNumberFormat},
		{"+420 777 888 999", "420777888999", WarnNumberFormat},
		{"602 822 640", "602822640", WarnNumberFormat},
		{"110 00", "11000", WarnNumberFormat},
		{"28. října", "10/28/26", WarnDate},
		{"28. října", "28.10.2026", WarnDate},
		{"1/5", "01.05.2026", WarnDate},
		{"400012345678901234", "4,00012345678901E+017", WarnScientific},
		{"420777888999", "4.20778E+11", WarnScientific},
		{"", "4.2E+08", WarnScientific},
		{"a\r\nb", "a\nb", WarnCRLF},
		// Edits, not damage.
		{"03401", "03402", ""},
		{"03401", "3402", ""},
		{"0906 922 589", "0906 922 590", ""},
		{"0906 922 589", "+420 906 922 589", ""},
		{"Dlouhá", "Krátká", ""},
		{"28. října", "17. listopadu", ""},
		{"2024-01-01", "2024-01-02", ""},
		{"a\r\nb", "a\nc", ""},
		{"", "3401", ""},
		{"", "28.10.2026", ""},
		{"12", "13", ""},
		{"same", "same", ""},
	} {
		if got := SpreadsheetDamage(tc.stored, tc.incoming); got != tc.want {
			t.Errorf("SpreadsheetDamage(%q, %q) = %q, want %q", tc.stored, tc.incoming, got, tc.want)
		}
	}
}

func TestIsScientific(t *testing.T) {
	for s, want := range map[string]bool{
		"4.2E+08": true, "4,20E+08": true, "1E5": true, "-1e-11": true, "+3E1": true, "4,00012345678901E+017": true,
		"": false, "E5": false, "4.E5": false, "4.2E": false, "4.2E+": false, "4.2E+08x": false, "12": false,
		"1E": false, "2E3a": false, "Dlouhá": false, "4.2.1E5": false,
	} {
		if got := isScientific(s); got != want {
			t.Errorf("isScientific(%q) = %v, want %v", s, got, want)
		}
	}
}
