package custexport

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCleanUserName(t *testing.T) {
	accepted := map[string]string{
		"novak":                          "novak",
		"  Šárka Nováková \t":            "Šárka Nováková",
		"a":                              "a",
		strings.Repeat("ž", 64):          strings.Repeat("ž", 64), // 64 characters, 128 bytes
		"o'brien@shop.example":           "o'brien@shop.example",
		"\u00a0padded by no-break space": "padded by no-break space",
	}
	for in, want := range accepted {
		got, err := CleanUserName(in)
		if err != nil || got != want {
			t.Errorf("CleanUserName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	refused := []struct {
		name, in, want string
	}{
		{"Empty", "", "needs a name"},
		{"Blank", " \t ", "needs a name"},
		{"TooLong", strings.Repeat("ž", 65), "65 characters long; at most 64"},
		{"InvalidUTF8", "nov\xffak", "not valid UTF-8"},
		{"Escape", "evil\x1b[2J", "U+001B"},
		{"Newline", "two\nlines", "U+000A"},
		{"RightToLeftOverride", "admin\u202etxt", "U+202E"},
		{"ZeroWidthSpace", "ad\u200bmin", "U+200B"},
		{"LineSeparator", "a\u2028b", "U+2028"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CleanUserName(tc.in)
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeInvalid || e.Field != "name" {
				t.Fatalf("CleanUserName(%q) = %v, want a CodeInvalid error about the name", tc.in, err)
			}
			if !strings.Contains(e.Error(), tc.want) {
				t.Errorf("error %q does not say %q", e.Error(), tc.want)
			}
		})
	}
}

func TestUserNameKeyFoldsUnicodeCase(t *testing.T) {
	if UserNameKey(" ŠÁRKA ") != UserNameKey("šárka") || UserNameKey("Novak") == UserNameKey("Novák") {
		t.Error("user names must differ only by their letters, not by letter case or surrounding spaces")
	}
}

func TestSessionToken(t *testing.T) {
	token, hash := NewSessionToken()
	other, _ := NewSessionToken()
	if len(token) < 26 || token == other {
		t.Fatalf("tokens %q and %q: want two different random tokens of at least 128 bits", token, other)
	}
	want := sha256.Sum256([]byte(token))
	if !bytes.Equal(hash, want[:]) || !bytes.Equal(HashSessionToken(token), hash) || len(hash) != SessionTokenHashSize {
		t.Error("a token's hash is not its SHA-256")
	}
}

func TestSessionLifetime(t *testing.T) {
	login := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	s := &Session{CreatedAt: login, LastSeenAt: login.Add(3 * time.Hour)}
	l := SessionLifetime{Idle: time.Hour, MaxAge: 12 * time.Hour}
	cases := []struct {
		name    string
		l       SessionLifetime
		at      time.Time
		expired bool
	}{
		{"Active", l, login.Add(3*time.Hour + 59*time.Minute), false},
		{"IdleTooLong", l, login.Add(4 * time.Hour), true},
		{"TooOld", SessionLifetime{MaxAge: 12 * time.Hour}, login.Add(12 * time.Hour), true},
		{"JustBeforeMaxAge", SessionLifetime{MaxAge: 12 * time.Hour}, login.Add(12*time.Hour - time.Second), false},
		{"Unlimited", SessionLifetime{}, login.Add(1000 * time.Hour), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.l.Expired(s, tc.at); got != tc.expired {
				t.Errorf("Expired at %s = %v, want %v", tc.at, got, tc.expired)
			}
		})
	}
}
