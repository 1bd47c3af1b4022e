package clientip

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/custexport/custexport"
)

// lastAddr returns the highest address of p (all host bits set).
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	if a.Is4() {
		b := a.As4()
		for i := p.Bits(); i < 32; i++ {
			b[i/8] |= 0x80 >> (i % 8)
		}
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	for i := p.Bits(); i < 128; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return netip.AddrFrom16(b)
}

// mapped returns the IPv4-mapped IPv6 form of an IPv4 address, or a unchanged.
func mapped(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom16(a.As16())
	}
	return a
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{
		"", " ", "1.2.3.4", "1.2.3.4, 10.0.0.0/8, 2001:db8::/32, ::ffff:192.0.2.1",
		"10.0.0.1/8", "0.0.0.0/0", "::/0", "::ffff:0:0/96", "::ffff:0:0/95", "::ffff:1.2.3.4/120",
		"fe80::1%eth0", "fe80::1%eth0/64", "fe80::1%a/b/64", "2001:DB8::1", "1.2.3.4,,5.6.7.8", "1.2.3.4,",
		"1.2.3.4/", "/8", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/08", "abc", "::1.2.3.4", "::",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseList(s)
		if err != nil {
			var e *custexport.Error
			if !errors.As(err, &e) || e.Code != custexport.CodeInvalid || e.Field != "ip" {
				t.Fatalf("ParseList(%q) error %#v, want *custexport.Error invalid/ip", s, err)
			}
			if !strings.HasPrefix(e.Message, "entry ") {
				t.Fatalf("ParseList(%q) message %q does not name the entry", s, e.Message)
			}
			if l.Len() != 0 {
				t.Fatalf("ParseList(%q) returned entries with an error", s)
			}
			return
		}
		if l.Len() > maxEntries {
			t.Fatalf("ParseList(%q).Len() = %d > %d", s, l.Len(), maxEntries)
		}
		str := l.String()
		back, err := ParseList(str)
		if err != nil {
			t.Fatalf("ParseList(%q) ok, but ParseList(String() = %q): %v", s, str, err)
		}
		if !equalLists(l, back) {
			t.Fatalf("ParseList(%q) = %v, round trip via %q = %v", s, l.prefixes, str, back.prefixes)
		}
		if back.String() != str {
			t.Fatalf("String not stable: %q then %q", str, back.String())
		}
		// Mapped form is ruled out per entry below; "::ffff:0" is a legitimate non-mapped address.
		if strings.ContainsAny(str, " %") {
			t.Fatalf("String() = %q is not canonical (spaces or zones)", str)
		}

		// Every entry as typed, read by the standard library on its own, must be in the list:
		// this checks parseEntry against netip rather than against itself.
		for entry := range strings.SplitSeq(s, ",") {
			entry = strings.TrimSpace(entry)
			if a, err := netip.ParseAddr(entry); err == nil && !l.Contains(a) {
				t.Fatalf("ParseList(%q) does not contain its own entry %q", s, entry)
			}
			if p, err := netip.ParsePrefix(entry); err == nil {
				if !l.Contains(p.Addr()) || !l.Contains(lastAddr(p)) {
					t.Fatalf("ParseList(%q) does not contain the ends of its entry %q", s, entry)
				}
			}
		}

		// Derived addresses: the ends of each range and their neighbours. Both lists must agree,
		// and an address and its mapped form must always get the same answer.
		for _, p := range l.prefixes {
			if p != p.Masked() {
				t.Fatalf("entry %v of ParseList(%q) is not masked", p, s)
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				t.Fatalf("entry %v of ParseList(%q) should have been unmapped", p, s)
			}
			first, last := p.Addr(), lastAddr(p)
			if !l.Contains(first) || !l.Contains(last) {
				t.Fatalf("ParseList(%q) does not contain the ends %v, %v of its entry %v", s, first, last, p)
			}
			for _, a := range []netip.Addr{first, last, first.Prev(), last.Next(), first.WithZone("z")} {
				if !a.IsValid() {
					continue
				}
				got := l.Contains(a)
				if back.Contains(a) != got {
					t.Fatalf("Contains(%v) differs after round trip of %q", a, s)
				}
				if l.Contains(mapped(a)) != got || l.Contains(Canonical(a)) != got {
					t.Fatalf("Contains(%v) = %v but its mapped/canonical form disagrees (list %q)", a, got, s)
				}
			}
		}
	})
}

// candidates returns every address a token could be read as by any lenient reading (bare,
// with port, in brackets): a superset of what ClientAddr may accept, written independently of
// parseHost so the property below is not checked against the code under test.
func candidates(tok string) []netip.Addr {
	var out []netip.Addr
	if tok != strings.TrimSpace(tok) {
		// A zone may end in a space ("::% "), so the untrimmed token is a reading too.
		out = candidates(strings.TrimSpace(tok))
		if a, err := netip.ParseAddr(tok); err == nil {
			out = append(out, Canonical(a))
		}
		return out
	}
	if a, err := netip.ParseAddr(tok); err == nil {
		out = append(out, Canonical(a))
	}
	if ap, err := netip.ParseAddrPort(tok); err == nil {
		out = append(out, Canonical(ap.Addr()))
	}
	if a, err := netip.ParseAddr(strings.Trim(tok, "[]")); err == nil {
		out = append(out, Canonical(a))
	}
	return out
}

func FuzzClientAddr(f *testing.F) {
	for _, seed := range [][2]string{
		{"192.0.2.1:1234", ""},
		{"10.0.0.1:1234", "203.0.113.7, 10.0.0.2"},
		{"10.0.0.1:1234", "198.51.100.66, 203.0.113.7"},
		{"10.0.0.1:1234", "10.0.0.5, 10.0.0.4"},
		{"10.0.0.1:1234", "203.0.113.7, garbage, 10.0.0.2"},
		{"10.0.0.1:1234", "203.0.113.7,,10.0.0.2"},
		{"10.0.0.1:1234", "198.51.100.66\n203.0.113.7\n10.0.0.3"},
		{"10.0.0.1:1234", "[2001:db8::7]:443, 203.0.113.7:80"},
		{"[2001:db8::1]:443", "2001:db8::2"},
		{"[::ffff:10.0.0.1]:80", "::ffff:203.0.113.7"},
		{"[fe80::1%eth0]:80", "fe80::2%eth1"},
		{"[::1]", ""},
		{"192.0.2.1", "\n\n"},
		{"pipe", "203.0.113.7"},
	} {
		f.Add(seed[0], seed[1])
	}
	resolvers := map[string]*Resolver{
		"none":    NewResolver(List{}),
		"proxies": NewResolver(mustParseList(f, "10.0.0.0/8, 192.0.2.0/24, 127.0.0.1, ::1, 2001:db8::/32, fe80::/10")),
		"all":     NewResolver(mustParseList(f, "0.0.0.0/0, ::/0")),
	}
	f.Fuzz(func(t *testing.T, remoteAddr, xff string) {
		req := &http.Request{RemoteAddr: remoteAddr, Header: http.Header{}}
		// "\n" splits the fuzzed header into several header lines, to exercise the joining.
		lines := strings.Split(xff, "\n")
		if xff != "" {
			req.Header["X-Forwarded-For"] = lines
		}
		peers := candidates(remoteAddr)
		var hops []netip.Addr
		for _, line := range lines {
			for tok := range strings.SplitSeq(line, ",") {
				hops = append(hops, candidates(tok)...)
			}
		}
		in := func(a netip.Addr, set []netip.Addr) bool {
			for _, b := range set {
				if a == b {
					return true
				}
			}
			return false
		}
		for name, r := range resolvers {
			got, err := r.ClientAddr(req)
			if err != nil {
				if got.IsValid() {
					t.Fatalf("%s: ClientAddr returned %v with error %v", name, got, err)
				}
				continue
			}
			if !got.IsValid() || got != Canonical(got) {
				t.Fatalf("%s: ClientAddr(%q, %q) = %v, want a valid canonical address", name, remoteAddr, xff, got)
			}
			if !in(got, peers) && !in(got, hops) {
				t.Fatalf("%s: ClientAddr(%q, %q) = %v is neither the peer nor in X-Forwarded-For", name, remoteAddr, xff, got)
			}
			// Without trusted proxies the header must never matter.
			if name == "none" && !in(got, peers) {
				t.Fatalf("none: ClientAddr(%q, %q) = %v, want the peer", remoteAddr, xff, got)
			}
			// A peer outside the trusted list is the client whatever the header says.
			if peer, _ := parseHost(remoteAddr); !r.trusted.Contains(peer) && got != peer {
				t.Fatalf("%s: untrusted peer %q, yet ClientAddr = %v", name, remoteAddr, got)
			}
			// A second, deliberately plain implementation (join, split, walk an index) must
			// agree with the allocation-free walk in ClientAddr.
			if want := referenceClientAddr(r.trusted, remoteAddr, lines, xff != ""); got != want {
				t.Fatalf("%s: ClientAddr(%q, %q) = %v, reference says %v", name, remoteAddr, xff, got, want)
			}
		}
	})
}

// referenceClientAddr is the Resolver rule written as literally as the spec states it: join the
// non-blank header lines with ",", split, walk from the right, stop at garbage or at the first
// untrusted address, and fall back to the last address seen.
func referenceClientAddr(trusted List, remoteAddr string, lines []string, present bool) netip.Addr {
	peer, _ := parseHost(remoteAddr)
	if !trusted.Contains(peer) || !present {
		return peer
	}
	var nonBlank []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			nonBlank = append(nonBlank, l)
		}
	}
	if len(nonBlank) == 0 {
		return peer
	}
	entries := strings.Split(strings.Join(nonBlank, ","), ",")
	client := peer
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := parseHost(strings.TrimSpace(entries[i]))
		if !ok {
			break
		}
		client = a
		if !trusted.Contains(a) {
			break
		}
	}
	return client
}
