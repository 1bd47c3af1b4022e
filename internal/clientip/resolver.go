package clientip

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds the client address of a request.
//
// The client is the TCP peer (RemoteAddr), unless the peer is in the trusted-proxy list; then
// X-Forwarded-For is read from right to left (all X-Forwarded-For header lines joined in order,
// comma-separated), skipping addresses that are themselves trusted proxies, and the first
// untrusted address is the client. Right to left, because each proxy appends the peer it saw:
// the right-most entries are written by proxies we trust, everything further left came from the
// client and may be forged. So a client that sends "X-Forwarded-For: 1.2.3.4" through our proxy
// gets "1.2.3.4, <its real address>" and is still seen at its real address.
//
// If an entry does not parse (garbage, or an empty entry between commas), the walk stops there
// and the client is the last trusted hop seen — the proxy that handed us the garbage, or the peer
// if it was the right-most entry. That is the left-most address we can still vouch for; skipping
// the garbage and reading further left would believe entries that no trusted proxy wrote, and
// for an allow-list the proxy's own address is normally not allowed, so a broken chain fails
// closed. If every hop is trusted or the header is missing or empty, the client is likewise the
// left-most valid address seen, else the peer. Header lines that are entirely blank are skipped
// rather than read as an empty entry, since they carry no hop at all.
//
// An entry may be a bare address or an address with a port ("192.0.2.1:4711",
// "[2001:db8::1]:443"), as some load balancers write it; zones are dropped and mapped addresses
// unmapped like everywhere in this package.
//
// X-Real-IP and Forwarded (RFC 7239) are ignored: our reverse proxy is configured to append to
// X-Forwarded-For, and believing a second header that it does not overwrite would let a client
// choose its own address by sending that header. One header, written by our own proxy, is the
// only one that can be trusted.
//
// A trusted-proxy list should hold proxies only: a client whose own address falls inside a
// trusted range is skipped like a proxy, so whatever it puts in X-Forwarded-For is believed.
//
// A Resolver is safe for concurrent use; a nil or zero Resolver trusts no proxy.
type Resolver struct {
	trusted List
}

// NewResolver returns a Resolver that believes X-Forwarded-For only from peers in trusted.
func NewResolver(trusted List) *Resolver {
	return &Resolver{trusted: trusted}
}

// ClientAddr returns the canonical client address of req (see Resolver). It fails only when
// req.RemoteAddr is not an IP address with or without a port ("192.0.2.1:1234", "[::1]:8080",
// "192.0.2.1"), for example a Unix-socket listener; that is a deployment error, not the client's,
// so the error is not a custexport.Error and maps to CodeInternal.
func (r *Resolver) ClientAddr(req *http.Request) (netip.Addr, error) {
	peer, ok := parseHost(req.RemoteAddr)
	if !ok {
		return netip.Addr{}, fmt.Errorf("clientip: remote address %q is not an IP address", req.RemoteAddr)
	}
	if r == nil || r.trusted.Len() == 0 || !r.trusted.Contains(peer) {
		// An untrusted peer's X-Forwarded-For is whatever the client wanted it to be.
		return peer, nil
	}
	client := peer // the last trusted hop seen so far
	lines := req.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		line := lines[i]
		if strings.TrimSpace(line) == "" {
			continue
		}
		for {
			// Walk entries from the right without splitting, so a long header costs no
			// allocations and the walk stops as soon as the client is found.
			j := strings.LastIndexByte(line, ',')
			addr, ok := parseHost(strings.TrimSpace(line[j+1:]))
			if !ok {
				return client, nil
			}
			client = addr
			if !r.trusted.Contains(addr) {
				return client, nil
			}
			if j < 0 {
				break
			}
			line = line[:j]
		}
	}
	return client, nil
}

// parseHost parses an address as it appears in RemoteAddr or an X-Forwarded-For entry: a bare
// address (IPv6 optionally in brackets) or an address with a port, and canonicalises it.
func parseHost(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return Canonical(a), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return Canonical(ap.Addr()), true
	}
	// "[::1]" without a port: brackets are only ever used around IPv6, as in ParseAddrPort.
	if len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil && a.Is6() {
			return Canonical(a), true
		}
	}
	return netip.Addr{}, false
}
