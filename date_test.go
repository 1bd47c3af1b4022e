package custexport

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	good := map[string]Date{
		"2024-03-07": {2024, 3, 7},
		"2024-3-7":   {2024, 3, 7},
		"2024-12-31": {2024, 12, 31},
		"2024-02-29": {2024, 2, 29},
		"0001-01-01": {1, 1, 1},
	}
	for in, want := range good {
		got, err := ParseDate(in)
		if err != nil || got != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":            "YYYY-MM-DD",
		"abc":         "YYYY-MM-DD",
		"2024-13-01":  "month 13 does not exist",
		"2024-00-10":  "month 0 does not exist",
		"2023-02-29":  "no day 29",
		"2024-04-31":  "no day 31",
		"2024-01-00":  "no day 0",
		"24-01-01":    "YYYY-MM-DD",
		"2024-001-01": "YYYY-MM-DD",
		"2024-01-01x": "YYYY-MM-DD",
		"2024/01/01":  "YYYY-MM-DD",
		"2024--01":    "YYYY-MM-DD",
		"-2024-01-01": "YYYY-MM-DD",
		"0000-01-01":  "out of range",
		"２０２４-01-01":  "YYYY-MM-DD",
	}
	for in, want := range bad {
		_, err := ParseDate(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDate(%q) error = %v; want it to mention %q", in, err, want)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-03-07", "2024-3-7", "2024-13-01", "abc", "", "9999-12-31", "2024-02-30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		// Whatever is accepted is a real day and prints back to a form that parses to it.
		back := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
		if back.Year() != d.Year || back.Month() != d.Month || back.Day() != d.Day {
			t.Fatalf("ParseDate(%q) accepted the impossible date %v", s, d)
		}
		again, err := ParseDate(d.String())
		if err != nil || again != d {
			t.Fatalf("ParseDate(%q) = %v, but its String %q parses to %v, %v", s, d, d.String(), again, err)
		}
	})
}

func TestParseFilterNamesTheParameter(t *testing.T) {
	_, err := ParseFilter("2024-13-01", "", "dateFrom", "dateUntil")
	var e *Error
	if !errors.As(err, &e) || e.Field != "dateFrom" || e.Code != CodeInvalid {
		t.Fatalf("bad from: got %v, want a CodeInvalid error on dateFrom", err)
	}
	_, err = ParseFilter("", "x", "--from", "--until")
	if !errors.As(err, &e) || e.Field != "--until" {
		t.Fatalf("bad until: got %v, want an error on --until", err)
	}
	_, err = ParseFilter("2024-05-02", "2024-05-01", "--from", "--until")
	if err == nil || !strings.Contains(err.Error(), "after --until") {
		t.Fatalf("from after until: got %v", err)
	}
	f, err := ParseFilter("2024-05-01", "2024-05-01", "--from", "--until")
	if err != nil || f.From != f.Until {
		t.Fatalf("one-day filter: %v, %v", f, err)
	}
}

func TestFilterRangeIsWholeShopDays(t *testing.T) {
	prague, _ := time.LoadLocation("Europe/Prague")
	f := Filter{From: Date{2024, 3, 31}, Until: Date{2024, 10, 27}} // both DST change days
	r := f.Range(prague)
	if got := r.From.UTC().Format(time.DateTime); got != "2024-03-30 23:00:00" {
		t.Errorf("From = %s UTC, want 2024-03-30 23:00:00 (midnight CET)", got)
	}
	if got := r.Until.UTC().Format(time.DateTime); got != "2024-10-27 23:00:00" {
		t.Errorf("Until = %s UTC, want 2024-10-27 23:00:00 (midnight CET after the 25-hour day)", got)
	}
	if !r.Contains(r.From) || r.Contains(r.Until) || !r.Contains(r.Until.Add(-time.Second)) {
		t.Error("the range must include its start and exclude its end")
	}
	if open := (Filter{}).Range(prague); !open.Contains(time.Unix(0, 0)) || !open.Contains(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("the zero filter must select everything")
	}
}

// The fast clock must agree with time.Time.In at every second around both DST changes and
// across a long stretch sampled hourly.
func TestShopClockAgreesWithTimeIn(t *testing.T) {
	for _, zone := range []string{"Europe/Prague", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kathmandu"} {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			t.Fatal(err)
		}
		clock := NewShopClock(loc)
		check := func(tm time.Time) {
			w := clock.Wall(tm)
			lt := tm.In(loc)
			_, off := lt.Zone()
			want := WallTime{lt.Year(), int(lt.Month()), lt.Day(), lt.Hour(), lt.Minute(), lt.Second(), off}
			if w != want {
				t.Fatalf("%s: Wall(%s) = %+v, want %+v", zone, tm.UTC(), w, want)
			}
		}
		for tm := time.Date(1965, 1, 1, 0, 0, 0, 0, time.UTC); tm.Year() < 2040; tm = tm.Add(time.Hour + 17*time.Second) {
			check(tm)
		}
		for _, edge := range []time.Time{time.Date(2024, 10, 27, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)} {
			for s := -3 * 3600; s < 3*3600; s++ {
				check(edge.Add(time.Duration(s) * time.Second))
			}
		}
	}
}

func TestWallTimeFormats(t *testing.T) {
	prague, _ := time.LoadLocation("Europe/Prague")
	c := NewShopClock(prague)
	first := c.Wall(time.Date(2024, 10, 27, 0, 30, 0, 0, time.UTC))
	second := c.Wall(time.Date(2024, 10, 27, 1, 30, 0, 0, time.UTC))
	if got := string(first.AppendDateTime(nil)); got != "2024-10-27 02:30:00" {
		t.Errorf("AppendDateTime = %q", got)
	}
	if got := string(first.AppendISO8601(nil)); got != "2024-10-27T02:30:00+02:00" {
		t.Errorf("first 02:30 = %q, want +02:00", got)
	}
	if got := string(second.AppendISO8601(nil)); got != "2024-10-27T02:30:00+01:00" {
		t.Errorf("second 02:30 = %q, want +01:00", got)
	}
	if got := DaySerial(1900, 3, 1); got != 61 {
		t.Errorf("DaySerial(1900-03-01) = %d, want 61 as in Excel", got)
	}
	if got := (WallTime{Year: 2024, Month: 1, Day: 1, Hour: 12}).Serial(); got != 45292.5 {
		t.Errorf("Serial(2024-01-01 12:00) = %v, want 45292.5", got)
	}
}
