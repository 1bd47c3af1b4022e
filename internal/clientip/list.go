// Package clientip decides which address a request comes from and whether that address is in
// a list of addresses and CIDR ranges.
//
// It serves two uses that must agree on what an address is: the `ip` parameter of a partner's
// download link (SPEC §5, "allowed only from these addresses") and the operator's list of
// trusted reverse proxies, whose X-Forwarded-For header is believed. Every address is
// canonicalised the same way on both sides — an IPv4-mapped IPv6 address (::ffff:192.0.2.1) is
// the IPv4 address it carries and an IPv6 zone (%eth0) is dropped — because a dual-stack
// listener reports IPv4 clients in mapped form and a shop owner types the plain IPv4 form; if the
// two were compared as typed, a correct list would silently deny its own partner.
package clientip

import (
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/custexport/custexport"
)

// maxEntries is the most entries ParseList accepts. An allow-list of a partner's addresses or
// the operator's proxies is a handful of lines; the cap bounds the work Contains does per
// request and the size of a signed link, and a longer list is almost certainly pasted by mistake.
const maxEntries = 100

// errField is the parameter name errors carry, so the web layer can answer 400 "ip: …" and the
// admin form can mark the right input.
const errField = "ip"

// The Reason keys of ParseList's errors, so that a user interface says them in its language:
// an entry that is no address or range (Value: the entry), and one entry too many (Value: the
// most allowed).
const (
	ReasonEntry   = "ip_entry"
	ReasonTooMany = "ip_too_many"
)

// List is a set of addresses and CIDR ranges, IPv4 and IPv6, canonicalised.
//
// Each entry is kept as a masked netip.Prefix (a single address is a /32 or /128) in the order
// it was first given, without duplicates. IPv4 ranges are stored in IPv4 form even when typed in
// mapped IPv6 form. The zero List is empty and matches nothing; whether an absent or empty `ip`
// parameter means "no restriction" is for the caller to decide, not for an empty List.
type List struct {
	// prefixes is in parse order so String is deterministic and shows the admin the entries in
	// the order they typed them; a List holds at most maxEntries, so a linear scan in Contains
	// is cheaper than building a trie.
	prefixes []netip.Prefix
}

// ParseList parses a comma-separated list of IP addresses and CIDR ranges, for example
// "1.2.3.4, 10.0.0.0/8, 2001:db8::/32, ::ffff:192.0.2.1".
//
// Spaces around entries are allowed; a string that is empty or only spaces is the empty List.
// Single addresses become /32 or /128 prefixes. IPv4-mapped IPv6 addresses and prefixes
// (::ffff:a.b.c.d, ::ffff:0:0/96+n) become IPv4 (prefix length minus 96); zones (fe80::1%eth0)
// are dropped. A prefix with host bits set (192.168.1.10/24) is accepted and masked to its
// network (192.168.1.0/24): a shop owner who types that almost always means the network, and
// String shows the masked form, so a UI that echoes String back makes the widening visible
// instead of rejecting an input whose intent is clear. Duplicates (after canonicalisation) are
// kept once.
//
// Any entry that does not parse — including an empty entry between commas or after a trailing
// comma — and any entry beyond the 100th fails the whole list with a *custexport.Error of code
// CodeInvalid and field "ip" naming the entry and its 1-based position. Nothing is ever dropped
// silently: an allow-list that quietly lost an entry would lock a partner out, and a trusted-proxy
// list that quietly lost one would attribute every request to the proxy.
func ParseList(s string) (List, error) {
	if strings.TrimSpace(s) == "" {
		return List{}, nil
	}
	var prefixes []netip.Prefix
	rest := s
	for pos := 1; ; pos++ {
		entry, tail, more := strings.Cut(rest, ",")
		entry = strings.TrimSpace(entry)
		if pos > maxEntries {
			e := custexport.FieldError(errField, "entry %d %s is one too many: at most %d entries are allowed",
				pos, quote(entry), maxEntries)
			e.Reason, e.Value = ReasonTooMany, strconv.Itoa(maxEntries)
			return List{}, e
		}
		p, reason := parseEntry(entry)
		if reason != "" {
			e := custexport.FieldError(errField, "entry %d %s %s", pos, quote(entry), reason)
			e.Reason, e.Value = ReasonEntry, entry
			return List{}, e
		}
		if !containsPrefix(prefixes, p) {
			prefixes = append(prefixes, p)
		}
		if !more {
			break
		}
		rest = tail
	}
	return List{prefixes: prefixes}, nil
}

// containsPrefix reports whether p is already in ps; ps is short (≤ maxEntries), so a linear
// search beats allocating a map for every parse.
func containsPrefix(ps []netip.Prefix, p netip.Prefix) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

// parseEntry parses one trimmed entry into a canonical, masked prefix. On failure it returns a
// reason phrase that completes "entry N "x" …" for the user.
func parseEntry(entry string) (netip.Prefix, string) {
	const notIP = "is not an IP address or CIDR range"
	if entry == "" {
		return netip.Prefix{}, "is empty (two commas in a row or a comma at the end?)"
	}
	// Split on the last "/" ourselves instead of calling netip.ParsePrefix, because ParsePrefix
	// refuses zones and we promise to drop them (fe80::1%eth0/64 is what `ip addr` prints).
	addrPart, bitsPart, hasBits := entry, "", false
	if i := strings.LastIndexByte(entry, '/'); i >= 0 {
		addrPart, bitsPart, hasBits = entry[:i], entry[i+1:], true
	}
	addr, err := netip.ParseAddr(addrPart)
	if err != nil {
		return netip.Prefix{}, notIP
	}
	// A zone names an interface of the machine that printed the address, not a host; it means
	// nothing to a list (Prefix would drop it too, but the intent belongs in the code).
	addr = addr.WithZone("")
	bits := addr.BitLen()
	if hasBits {
		n, ok := parseBits(bitsPart)
		if !ok {
			return netip.Prefix{}, notIP + ": the part after \"/\" must be a prefix length"
		}
		if n > addr.BitLen() {
			family := "IPv4"
			if addr.Is6() {
				family = "IPv6"
			}
			return netip.Prefix{}, "has prefix length " + strconv.Itoa(n) + ", more than " +
				strconv.Itoa(addr.BitLen()) + " allowed for " + family
		}
		bits = n
	}
	// A mapped prefix of length ≥ 96 fixes the ::ffff: part, so it is exactly an IPv4 range;
	// a shorter one (::/0, ::ffff:0:0/95) spans more than IPv4 and stays IPv6 (see Contains).
	if addr.Is4In6() && bits >= 96 {
		addr, bits = addr.Unmap(), bits-96
	}
	p, err := addr.Prefix(bits) // masks host bits
	if err != nil {
		return netip.Prefix{}, notIP // unreachable: bits is within range for addr's family
	}
	return p, ""
}

// parseBits parses a prefix length written the way netip.ParsePrefix accepts it: decimal digits,
// no sign, no leading zero, so "/08" or "/+8" is refused rather than guessed at.
func parseBits(s string) (int, bool) {
	if s == "" || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// quote quotes an entry for an error message, Go-escaped so that control characters cannot
// forge lines in a log, and shortened so that a pasted megabyte is not echoed back.
func quote(entry string) string {
	const maxLen = 64
	if len(entry) <= maxLen {
		return strconv.Quote(entry)
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(entry[cut]) {
		cut--
	}
	return strconv.Quote(entry[:cut]) + "…"
}

// Contains reports whether addr is in the list. addr is canonicalised first (unmapped, zone
// dropped), so a client seen as ::ffff:192.0.2.1 matches 192.0.2.0/24; an invalid addr is in no
// list.
//
// An IPv4 address also matches an IPv6 range shorter than /96 that covers its mapped form
// (::/0 contains every IPv4 address), so that "mapped and unmapped are the same address" holds
// for every entry and not only for those ParseList could unmap.
func (l List) Contains(addr netip.Addr) bool {
	addr = Canonical(addr)
	if !addr.IsValid() {
		return false
	}
	var mapped netip.Addr
	if addr.Is4() {
		mapped = netip.AddrFrom16(addr.As16())
	}
	for _, p := range l.prefixes {
		if p.Contains(addr) || (mapped.IsValid() && p.Contains(mapped)) {
			return true
		}
	}
	return false
}

// String returns the canonical form: entries in the order parsed, duplicates removed, joined by
// "," without spaces, single addresses without /32 or /128, IPv6 in RFC 5952 form. It is what a
// signed link's `ip` parameter should carry and what a form should show back, and
// ParseList(l.String()) returns an equal List.
func (l List) String() string {
	var b strings.Builder
	for i, p := range l.prefixes {
		if i > 0 {
			b.WriteByte(',')
		}
		if p.IsSingleIP() {
			b.WriteString(p.Addr().String())
		} else {
			b.WriteString(p.String())
		}
	}
	return b.String()
}

// Len returns the number of distinct entries.
func (l List) Len() int { return len(l.prefixes) }

// Canonical returns addr in the form every comparison in this package uses: an IPv4-mapped IPv6
// address becomes IPv4 and an IPv6 zone is dropped, because neither changes which host it is for
// an allow-list. The zero Addr stays the zero Addr.
func Canonical(addr netip.Addr) netip.Addr {
	return addr.Unmap().WithZone("")
}

// Network is the network a client is counted by in limits (failed attempts, connections):
// an IPv4 address alone (/32), an IPv6 address's /64. One IPv6 subscriber is routinely given a
// whole /64; counting per /128 would let it take as many keys as it likes.
func Network(addr netip.Addr) netip.Prefix {
	addr = Canonical(addr)
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, err := addr.Prefix(bits)
	if err != nil { // the zero Addr: not a client anyone can count
		return netip.Prefix{}
	}
	return p
}
