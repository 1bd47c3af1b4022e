package clientip

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/custexport/custexport"
)

func TestClientAddr(t *testing.T) {
	const proxies = "10.0.0.0/8, 2001:db8:ffff::/48"
	tests := []struct {
		name    string
		trusted string
		remote  string
		xff     []string // one element per header line; nil = no header
		want    string
	}{
		{"NoTrustedProxiesPeerOnly", "", "203.0.113.7:1234", nil, "203.0.113.7"},
		{"NoTrustedProxiesSpoofIgnored", "", "203.0.113.7:1234", []string{"198.51.100.66"}, "203.0.113.7"},
		{"UntrustedPeerXFFIgnored", proxies, "203.0.113.7:1234", []string{"198.51.100.66, 10.0.0.2"}, "203.0.113.7"},
		{"TrustedPeerNoHeader", proxies, "10.0.0.1:1234", nil, "10.0.0.1"},
		{"TrustedPeerEmptyHeader", proxies, "10.0.0.1:1234", []string{""}, "10.0.0.1"},
		{"TrustedPeerBlankHeader", proxies, "10.0.0.1:1234", []string{"  "}, "10.0.0.1"},
		{"TrustedPeerSingleClient", proxies, "10.0.0.1:1234", []string{"203.0.113.7"}, "203.0.113.7"},
		{"TrustedChainSkipsProxies", proxies, "10.0.0.1:1234", []string{"203.0.113.7, 10.0.0.2"}, "203.0.113.7"},
		{"SpoofedLeftMostIgnored", proxies, "10.0.0.1:1234", []string{"198.51.100.66, 203.0.113.7"}, "203.0.113.7"},
		{"SpoofedTrustedLookingLeftMostIgnored", proxies, "10.0.0.1:1234", []string{"10.9.9.9, 203.0.113.7, 10.0.0.2"}, "203.0.113.7"},
		{"AllHopsTrustedLeftMost", proxies, "10.0.0.1:1234", []string{"10.0.0.5, 10.0.0.4,10.0.0.3"}, "10.0.0.5"},
		{"SeveralLinesJoinedInOrder", proxies, "10.0.0.1:1234", []string{"198.51.100.66, 203.0.113.7", "10.0.0.3"}, "203.0.113.7"},
		{"SeveralLinesLastLineIsRightMost", proxies, "10.0.0.1:1234", []string{"203.0.113.7", "198.51.100.66"}, "198.51.100.66"},
		{"SeveralLinesAllTrusted", proxies, "10.0.0.1:1234", []string{"10.0.0.9", "10.0.0.8, 10.0.0.7"}, "10.0.0.9"},
		{"BlankLineSkipped", proxies, "10.0.0.1:1234", []string{"203.0.113.7", ""}, "203.0.113.7"},
		{"GarbageStopsAtLastTrustedHop", proxies, "10.0.0.1:1234", []string{"203.0.113.7, garbage, 10.0.0.2"}, "10.0.0.2"},
		{"GarbageRightMostGivesPeer", proxies, "10.0.0.1:1234", []string{"203.0.113.7, unknown"}, "10.0.0.1"},
		{"EmptyEntryIsGarbage", proxies, "10.0.0.1:1234", []string{"203.0.113.7,,10.0.0.2"}, "10.0.0.2"},
		{"TrailingCommaIsGarbage", proxies, "10.0.0.1:1234", []string{"203.0.113.7,"}, "10.0.0.1"},
		{"GarbageLeftOfClientIrrelevant", proxies, "10.0.0.1:1234", []string{"garbage, 203.0.113.7"}, "203.0.113.7"},
		{"EntryWithPort", proxies, "10.0.0.1:1234", []string{"203.0.113.7:5555"}, "203.0.113.7"},
		{"EntryIPv6WithPort", proxies, "10.0.0.1:1234", []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"EntryIPv6Bracketed", proxies, "10.0.0.1:1234", []string{"[2001:db8::7]"}, "2001:db8::7"},
		{"EntryMappedCanonicalised", proxies, "10.0.0.1:1234", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"EntryMappedTrustedSkipped", proxies, "10.0.0.1:1234", []string{"203.0.113.7, ::ffff:10.0.0.2"}, "203.0.113.7"},
		{"EntryZoneDropped", proxies, "10.0.0.1:1234", []string{"fe80::7%eth0"}, "fe80::7"},
		{"IPv6Peer", "", "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"IPv6TrustedPeer", proxies, "[2001:db8:ffff::1]:443", []string{"2001:DB8::0007"}, "2001:db8::7"},
		{"MappedPeerCanonicalised", "", "[::ffff:10.0.0.1]:80", nil, "10.0.0.1"},
		{"MappedPeerIsTrusted", proxies, "[::ffff:10.0.0.1]:80", []string{"203.0.113.7"}, "203.0.113.7"},
		{"PeerZoneDropped", "", "[fe80::1%eth0]:80", nil, "fe80::1"},
		{"PeerWithoutPort", "", "192.0.2.1", nil, "192.0.2.1"},
		{"IPv6PeerWithoutPort", "", "::1", nil, "::1"},
		{"IPv6PeerBracketedWithoutPort", "", "[::1]", nil, "::1"},
		{"IPv6Loopback", "", "[::1]:8080", nil, "::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/export/customers.csv", nil)
			req.RemoteAddr = tt.remote
			for _, line := range tt.xff {
				req.Header.Add("X-Forwarded-For", line)
			}
			got, err := NewResolver(mustParseList(t, tt.trusted)).ClientAddr(req)
			if err != nil {
				t.Fatalf("ClientAddr: %v", err)
			}
			if want := netip.MustParseAddr(tt.want); got != want {
				t.Errorf("ClientAddr(RemoteAddr %q, X-Forwarded-For %q) = %v, want %v", tt.remote, tt.xff, got, want)
			}
		})
	}
}

func TestClientAddrIgnoresOtherHeaders(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.0.0.1:1234"
	req.Header.Set("X-Real-IP", "198.51.100.66")
	req.Header.Set("Forwarded", "for=198.51.100.67")
	got, err := NewResolver(mustParseList(t, "10.0.0.0/8")).ClientAddr(req)
	if err != nil {
		t.Fatal(err)
	}
	if want := netip.MustParseAddr("10.0.0.1"); got != want {
		t.Errorf("ClientAddr = %v, want the peer %v", got, want)
	}
}

func TestClientAddrHTTPTestDefault(t *testing.T) {
	// httptest.NewRequest sets RemoteAddr "192.0.2.1:1234"; handler tests elsewhere rely on it.
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, tt := range []struct {
		name string
		r    *Resolver
	}{
		{"NewResolverEmpty", NewResolver(List{})},
		{"ZeroResolver", &Resolver{}},
		{"NilResolver", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.r.ClientAddr(req)
			if err != nil {
				t.Fatal(err)
			}
			if want := netip.MustParseAddr("192.0.2.1"); got != want {
				t.Errorf("ClientAddr = %v, want %v", got, want)
			}
		})
	}
}

func TestClientAddrBadRemoteAddr(t *testing.T) {
	for _, remote := range []string{"", "pipe", "@", "example.com:80", "192.0.2.1:", "192.0.2.1:99999", "[192.0.2.1]:80", "[::1", "::1]:80"} {
		t.Run(remote, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = remote
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			got, err := NewResolver(mustParseList(t, "0.0.0.0/0, ::/0")).ClientAddr(req)
			if err == nil {
				t.Fatalf("ClientAddr(RemoteAddr %q) = %v, want error", remote, got)
			}
			if got.IsValid() {
				t.Errorf("ClientAddr returned %v with an error, want the zero Addr", got)
			}
			// A RemoteAddr we cannot read is the server's deployment problem, not bad client
			// input: it must not turn into a 400 that blames the user.
			var e *custexport.Error
			if errors.As(err, &e) || custexport.ErrorCode(err) != custexport.CodeInternal {
				t.Errorf("error %v has code %q, want a plain (internal) error", err, custexport.ErrorCode(err))
			}
		})
	}
}
