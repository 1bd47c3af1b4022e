package storetest

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/custexport/custexport"
)

// boundTests check that a store bounds what a request can add to the access log: whatever the
// caller hands AppendAccess, the stored text is cut to the domain's bounds (AccessEntry.Bound).
var boundTests = []test{
	{"AccessEntryTextIsBounded", testAccessEntryTextIsBounded},
}

// A 60 KB user agent and a 10 KB reason (Why item 1 of issue 16: the user agent was stored
// whole) are stored cut on a UTF-8 boundary, marked, and the chain still verifies.
func testAccessEntryTextIsBounded(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	// "ř" is two bytes; the 512-byte bound falls inside one of them somewhere in the run.
	agent := "Mozilla/5.0 " + strings.Repeat("ř", 30_000)
	reason := "dateFrom: " + strings.Repeat("€", 4_000)
	name := strings.Repeat("n", 1000)
	e := custexport.AccessEntry{
		Principal: custexport.Principal{Kind: custexport.PrincipalPartner, ID: 1, Name: name},
		Channel:   custexport.ChannelURL, ClientIP: "192.0.2.7", UserAgent: agent,
		Outcome: custexport.OutcomeDenied, Reason: reason,
	}
	if err := db.AppendAccess(ctx, &e); err != nil {
		t.Fatal(err)
	}
	log := accessLog(t, db)
	if len(log) != 1 {
		t.Fatalf("%d entries, want 1", len(log))
	}
	got := log[0]
	for _, c := range []struct {
		field, text, whole string
		max                int
	}{
		{"user agent", got.UserAgent, agent, custexport.MaxUserAgentBytes},
		{"reason", got.Reason, reason, 1024},
		{"principal name", got.Principal.Name, name, 256},
	} {
		if len(c.text) > c.max || len(c.text) < c.max-3 {
			t.Errorf("%s stored as %d bytes, want at most %d (and not much less)", c.field, len(c.text), c.max)
		}
		if !utf8.ValidString(c.text) {
			t.Errorf("%s was cut inside a character: %q", c.field, c.text[len(c.text)-40:])
		}
		mark := " …[cut, " + strconv.Itoa(len(c.whole)) + " bytes]"
		if !strings.HasSuffix(c.text, mark) || !strings.HasPrefix(c.whole, strings.TrimSuffix(c.text, mark)) {
			t.Errorf("%s stored as …%q, want the start of the text marked %q", c.field, c.text[max(0, len(c.text)-60):], mark)
		}
	}
	if brk, n := VerifyChain(t, db); brk != nil || n != 1 {
		t.Fatalf("%d entries verify with break %+v", n, brk)
	}
}
