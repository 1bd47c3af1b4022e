package web

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/exporter"
)

// A window of the refusal log: Singles refusals one by one, one count per rate-limited network
// up to Networks, the rest counted together; a refusal after the window's length ends it and
// starts the next with a fresh budget.
func TestRefusalLogWindows(t *testing.T) {
	l := &RefusalLog{Window: time.Minute, Singles: 2, Networks: 1}
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	n1, n2 := netip.MustParsePrefix("198.51.100.1/32"), netip.MustParsePrefix("2001:db8:0:1::/64")
	req := exporter.Request{ClientIP: "198.51.100.1", UserAgent: "first"}
	for i, c := range []struct {
		outcome custexport.Outcome
		network netip.Prefix
		single  bool
	}{
		{custexport.OutcomeDenied, n1, true},
		{custexport.OutcomeBadRequest, n2, true},
		{custexport.OutcomeDenied, n2, false}, // past Singles
		{custexport.OutcomeRateLimited, n1, false},
		{custexport.OutcomeRateLimited, n1, false},
		{custexport.OutcomeRateLimited, n2, false}, // past Networks
	} {
		single, ended := l.note(req, c.outcome, c.network, at(i))
		if single != c.single || ended != nil {
			t.Fatalf("refusal %d (%s): single %v, %d summaries; want %v and none", i, c.outcome, single, len(ended), c.single)
		}
	}
	single, ended := l.note(req, custexport.OutcomeDenied, n1, at(59))
	if single || ended != nil {
		t.Fatal("the window ended before its minute")
	}
	single, ended = l.note(req, custexport.OutcomeDenied, n1, at(60))
	if !single || len(ended) != 2 {
		t.Fatalf("a minute on: single %v, %d summaries; want a new window's single and 2 summaries", single, len(ended))
	}
	if r := ended[0].reason; !strings.HasPrefix(r, "2 attempts refused by the rate limiter from 198.51.100.1/32 between 2026-12-07 12:00:03 and 12:00:04 UTC") || ended[0].req.UserAgent != "first" {
		t.Errorf("the network's count: %q", r)
	}
	if r := ended[1].reason; !strings.HasPrefix(r, "3 further refused attempts between 2026-12-07 12:00:00 and 12:01:00 UTC") || !strings.HasSuffix(r, "(denied 2, rate_limited 1)") {
		t.Errorf("the rest: %q", r)
	}
	if l.singles != 1 || len(l.limited) != 0 || l.overflow != nil || !l.start.Equal(at(60)) {
		t.Fatal("the next window did not start afresh")
	}
}
