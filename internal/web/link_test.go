package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/custexport/custexport"
)

// The handler answers linksign's denials: a malformed parameter of a genuine link is named once
// in the body (the ip list's message no longer repeats "ip: "), and the log gets the precise
// reason, which now tells a missing hash from a repeated one.
func TestLinkDenialAnswers(t *testing.T) {
	f := newFixture(t, 5)
	resp, body := f.get(f.link(f.partner, "customers.csv", url.Values{"ip": {"10.0.0.300"}}), "Accept-Language", "en")
	if resp.StatusCode != 400 || !strings.HasPrefix(body, "Invalid parameter ip: entry 1 ") || strings.Contains(body, "ip: ip:") {
		t.Errorf("bad ip list: %d %q", resp.StatusCode, body)
	}
	if e := f.lastLog(); e.Outcome != custexport.OutcomeBadRequest || !strings.HasPrefix(e.Reason, "ip: entry 1 ") {
		t.Errorf("bad ip list logged %s %q", e.Outcome, e.Reason)
	}

	good := f.link(f.partner, "customers.csv", nil)
	resp, body = f.get(good+"&hash="+good[len(good)-64:], "X-Forwarded-For", "203.0.113.200")
	if resp.StatusCode != 403 || body != "Přístup odepřen.\n" {
		t.Errorf("repeated hash: %d %q", resp.StatusCode, body)
	}
	if e := f.lastLog(); e.Outcome != custexport.OutcomeDenied || e.Reason != "hash given 2 times" || e.Principal.Name != f.partner.Name {
		t.Errorf("repeated hash logged %s %q for %+v", e.Outcome, e.Reason, e.Principal)
	}
}
