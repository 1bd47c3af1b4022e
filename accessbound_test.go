package custexport

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// BoundText keeps short text, cuts long text on a character boundary with a mark saying how
// long it was, never exceeds the bound, and changes nothing the second time.
func TestBoundText(t *testing.T) {
	for _, c := range []struct {
		in   string
		max  int
		want string
	}{
		{"", 512, ""},
		{"curl/8.5", 512, "curl/8.5"},
		{strings.Repeat("a", 512), 512, strings.Repeat("a", 512)},
		{strings.Repeat("a", 513), 512, strings.Repeat("a", 492) + " …[cut, 513 bytes]"},
		// "ř" is two bytes and "😀" four: the cut backs off to the start of a character.
		{"a" + strings.Repeat("ř", 300), 512, "a" + strings.Repeat("ř", 245) + " …[cut, 601 bytes]"},
		{strings.Repeat("😀", 200), 512, strings.Repeat("😀", 123) + " …[cut, 800 bytes]"},
		// Not UTF-8: cut at most three bytes before the bound.
		{strings.Repeat("\x80", 600), 512, strings.Repeat("\x80", 489) + " …[cut, 600 bytes]"},
		// A bound too small for the mark.
		{"abcdef", 4, "abcd"},
	} {
		got := BoundText(c.in, c.max)
		if got != c.want {
			t.Errorf("BoundText(%d bytes, %d) = %q, want %q", len(c.in), c.max, got, c.want)
		}
		if len(got) > c.max {
			t.Errorf("BoundText(%d bytes, %d) has %d bytes", len(c.in), c.max, len(got))
		}
		if utf8.ValidString(c.in) && !utf8.ValidString(got) {
			t.Errorf("BoundText cut inside a character: %q", got)
		}
		if again := BoundText(got, c.max); again != got {
			t.Errorf("BoundText twice: %q, then %q", got, again)
		}
	}
}

// Bound cuts every text of an entry, the user agent to 512 bytes.
func TestAccessEntryBound(t *testing.T) {
	long := strings.Repeat("x", 64<<10)
	e := AccessEntry{UserAgent: long, Reason: long, ClientIP: long, Filter: long, Principal: Principal{Name: long},
		Format: Format(long), Encoding: Encoding(long), Channel: Channel(long), Outcome: Outcome(long)}
	e.Bound()
	if len(e.UserAgent) != MaxUserAgentBytes || !strings.HasSuffix(e.UserAgent, " …[cut, 65536 bytes]") {
		t.Errorf("user agent bounded to %d bytes: …%q", len(e.UserAgent), e.UserAgent[len(e.UserAgent)-30:])
	}
	for name, n := range map[string]int{"reason": len(e.Reason), "client": len(e.ClientIP), "filter": len(e.Filter),
		"name": len(e.Principal.Name), "format": len(e.Format), "encoding": len(e.Encoding), "channel": len(e.Channel), "outcome": len(e.Outcome)} {
		if n > 1024 {
			t.Errorf("%s left at %d bytes", name, n)
		}
	}
}
