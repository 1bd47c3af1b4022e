package sqlparam

import (
	"math"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

// A search text's LIKE characters are escaped, and the pattern matches anywhere.
func TestContains(t *testing.T) {
	for text, want := range map[string]string{
		"":            "%%",
		"Nov":         "%Nov%",
		"50%_off":     `%50\%\_off%`,
		`C:\temp`:     `%C:\\temp%`,
		`\%_`:         `%\\\%\_%`,
		"Šárka Nová ": "%Šárka Nová %",
	} {
		if got := Contains(text); got != want {
			t.Errorf("Contains(%q) = %q, want %q", text, got, want)
		}
	}
}

// An open end of a range is the extreme number; a closed one the stored unix seconds.
func TestRegistrationBounds(t *testing.T) {
	from := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	until := time.Date(2024, 4, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		r          custexport.Range
		from, till int64
	}{
		{custexport.Range{}, math.MinInt64, math.MaxInt64},
		{custexport.Range{From: from}, from.Unix(), math.MaxInt64},
		{custexport.Range{Until: until}, math.MinInt64, until.Unix()},
		{custexport.Range{From: from, Until: until}, from.Unix(), until.Unix()},
	} {
		if f, u := RegistrationBounds(tc.r); f != tc.from || u != tc.till {
			t.Errorf("RegistrationBounds(%+v) = %d, %d; want %d, %d", tc.r, f, u, tc.from, tc.till)
		}
	}
}
