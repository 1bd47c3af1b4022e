package clientip

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/custexport/custexport"
)

// mustParseList parses s or fails the test.
func mustParseList(t testing.TB, s string) List {
	t.Helper()
	l, err := ParseList(s)
	if err != nil {
		t.Fatalf("ParseList(%q): %v", s, err)
	}
	return l
}

// equalLists compares two Lists entry by entry; List has no exported Equal, and comparing the
// canonical prefixes is exactly what "equal" means for it.
func equalLists(a, b List) bool { return slices.Equal(a.prefixes, b.prefixes) }

func TestContains(t *testing.T) {
	tests := []struct {
		name string
		list string
		addr string
		want bool
	}{
		{"IPv4SingleMatches", "192.0.2.1", "192.0.2.1", true},
		{"IPv4SingleOtherAddress", "192.0.2.1", "192.0.2.2", false},
		{"IPv4CIDRFirst", "10.0.0.0/8", "10.0.0.0", true},
		{"IPv4CIDRLast", "10.0.0.0/8", "10.255.255.255", true},
		{"IPv4CIDRJustAbove", "10.0.0.0/8", "11.0.0.0", false},
		{"IPv4CIDRJustBelow", "10.0.0.0/8", "9.255.255.255", false},
		{"IPv4Slash0MatchesAnyIPv4", "0.0.0.0/0", "203.0.113.9", true},
		{"IPv4Slash0MatchesNoIPv6", "0.0.0.0/0", "2001:db8::1", false},
		{"IPv4Slash32Exact", "192.0.2.7/32", "192.0.2.7", true},
		{"IPv4Slash32Neighbour", "192.0.2.7/32", "192.0.2.8", false},
		{"IPv6SingleCompressed", "2001:db8::1", "2001:db8::1", true},
		{"IPv6SingleExpandedEntry", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", true},
		{"IPv6SingleUpperCaseEntry", "2001:DB8::1", "2001:db8::1", true},
		{"IPv6SingleUpperCaseClient", "2001:db8::1", "2001:DB8:0::1", true},
		{"IPv6SingleOther", "2001:db8::1", "2001:db8::2", false},
		{"IPv6CIDRFirst", "2001:db8::/32", "2001:db8::", true},
		{"IPv6CIDRLast", "2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", true},
		{"IPv6CIDRJustAbove", "2001:db8::/32", "2001:db9::", false},
		{"IPv6CIDRJustBelow", "2001:db8::/32", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false},
		{"IPv6Slash128", "2001:db8::5/128", "2001:db8::5", true},
		{"IPv6Slash0MatchesIPv6", "::/0", "2001:db8::1", true},
		{"IPv6Slash0MatchesIPv4AsMapped", "::/0", "192.0.2.1", true},
		{"IPv6Slash0MatchesMappedClient", "::/0", "::ffff:192.0.2.1", true},
		{"IPv6NotMatchingIPv4", "2001:db8::/32", "192.0.2.1", false},
		{"MappedEntryMatchesIPv4Client", "::ffff:192.0.2.1", "192.0.2.1", true},
		{"MappedEntryMatchesMappedClient", "::ffff:192.0.2.1", "::ffff:192.0.2.1", true},
		{"MappedEntryOtherClient", "::ffff:192.0.2.1", "192.0.2.2", false},
		{"MappedClientMatchesIPv4CIDR", "192.0.2.0/24", "::ffff:192.0.2.1", true},
		{"MappedClientOutsideIPv4CIDR", "192.0.2.0/24", "::ffff:192.0.3.1", false},
		{"MappedPrefixMatchesIPv4", "::ffff:192.0.2.0/120", "192.0.2.255", true},
		{"MappedPrefixOutside", "::ffff:192.0.2.0/120", "192.0.3.0", false},
		{"ZoneDroppedInEntry", "fe80::1%eth0", "fe80::1", true},
		{"ZoneDroppedInPrefixEntry", "fe80::1%eth0/64", "fe80::abcd", true},
		{"ZoneDroppedInClient", "fe80::1", "fe80::1%wlan0", true},
		{"HostBitsMasked", "10.0.0.1/8", "10.200.0.1", true},
		{"HostBitsMaskedIPv6", "2001:db8::1/32", "2001:db8:ffff::1", true},
		{"SecondEntryMatches", "192.0.2.1, 198.51.100.0/24", "198.51.100.200", true},
		{"NoEntryMatches", "192.0.2.1, 198.51.100.0/24", "203.0.113.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustParseList(t, tt.list)
			addr := netip.MustParseAddr(tt.addr)
			if got := l.Contains(addr); got != tt.want {
				t.Errorf("ParseList(%q).Contains(%s) = %v, want %v", tt.list, addr, got, tt.want)
			}
		})
	}
}

func TestContainsEdgeCases(t *testing.T) {
	t.Run("ZeroListMatchesNothing", func(t *testing.T) {
		var l List
		for _, a := range []string{"0.0.0.0", "192.0.2.1", "::", "2001:db8::1"} {
			if l.Contains(netip.MustParseAddr(a)) {
				t.Errorf("zero List contains %s", a)
			}
		}
	})
	t.Run("InvalidAddrNeverMatches", func(t *testing.T) {
		l := mustParseList(t, "0.0.0.0/0, ::/0")
		if l.Contains(netip.Addr{}) {
			t.Error("Contains(zero Addr) = true, want false")
		}
	})
}

func TestParseListCanonical(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		want     string
		wantLen  int
		sameAsIn []string // other spellings that must give an equal List
	}{
		{"Empty", "", "", 0, []string{"   ", "\t"}},
		{"IPv4Single", "192.0.2.1", "192.0.2.1", 1, []string{"192.0.2.1/32", " 192.0.2.1 "}},
		{"IPv4CIDR", "10.0.0.0/8", "10.0.0.0/8", 1, nil},
		{"IPv4Slash0", "0.0.0.0/0", "0.0.0.0/0", 1, []string{"1.2.3.4/0"}},
		{"IPv6Single", "2001:db8::1", "2001:db8::1", 1, []string{
			"2001:0db8:0000:0000:0000:0000:0000:0001",
			"2001:DB8::1",
			"2001:0DB8:0:0:0:0:0:1",
			"2001:db8::1/128",
		}},
		{"IPv6CIDR", "2001:db8::/32", "2001:db8::/32", 1, []string{"2001:DB8:0000::/32"}},
		{"MappedAddressUnmapped", "::ffff:192.0.2.1", "192.0.2.1", 1, []string{"::FFFF:c000:0201", "::ffff:192.0.2.1/128"}},
		{"MappedPrefixUnmapped", "::ffff:192.0.2.0/120", "192.0.2.0/24", 1, nil},
		{"MappedSlash96IsAllIPv4", "::ffff:0:0/96", "0.0.0.0/0", 1, nil},
		{"ShortMappedPrefixStaysIPv6", "::ffff:0:0/95", "::fffe:0:0/95", 1, nil},
		{"ZoneDropped", "fe80::1%eth0", "fe80::1", 1, []string{"fe80::1%25eth0"}},
		{"ZoneDroppedInPrefix", "fe80::1%eth0/64", "fe80::/64", 1, nil},
		{"HostBitsMasked", "192.168.1.10/24", "192.168.1.0/24", 1, []string{"192.168.1.0/24", "192.168.1.255/24"}},
		{"HostBitsMaskedIPv6", "2001:db8::1/32", "2001:db8::/32", 1, nil},
		{"DuplicatesRemoved", "192.0.2.1, 192.0.2.1, ::ffff:192.0.2.1, 192.0.2.1/32", "192.0.2.1", 1, nil},
		{"DuplicatesAfterMasking", "10.0.0.0/8,10.1.2.3/8", "10.0.0.0/8", 1, nil},
		{"OverlapsKept", "10.0.0.0/8, 10.1.0.0/16", "10.0.0.0/8,10.1.0.0/16", 2, nil},
		{"OrderKept", "2001:db8::/32, 192.0.2.1, 10.0.0.0/8", "2001:db8::/32,192.0.2.1,10.0.0.0/8", 3, []string{
			" 2001:db8::/32 ,\t192.0.2.1,10.0.0.0/8 ",
		}},
		{"Whitespace", " 1.2.3.4 ,\t10.0.0.0/8\n, 2001:db8::/32 ", "1.2.3.4,10.0.0.0/8,2001:db8::/32", 3, nil},
		{"ExampleFromDoc", "1.2.3.4, 10.0.0.0/8, 2001:db8::/32, ::ffff:192.0.2.1", "1.2.3.4,10.0.0.0/8,2001:db8::/32,192.0.2.1", 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustParseList(t, tt.in)
			if got := l.String(); got != tt.want {
				t.Errorf("ParseList(%q).String() = %q, want %q", tt.in, got, tt.want)
			}
			if got := l.Len(); got != tt.wantLen {
				t.Errorf("ParseList(%q).Len() = %d, want %d", tt.in, got, tt.wantLen)
			}
			back := mustParseList(t, l.String())
			if !equalLists(l, back) {
				t.Errorf("round trip: ParseList(%q) = %v, want %v", l.String(), back.prefixes, l.prefixes)
			}
			for _, other := range tt.sameAsIn {
				if o := mustParseList(t, other); !equalLists(l, o) {
					t.Errorf("ParseList(%q) = %q, want equal to ParseList(%q) = %q", other, o, tt.in, l)
				}
			}
		})
	}
}

func TestParseListMaxEntries(t *testing.T) {
	entries := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf("10.0.%d.%d", i/256, i%256)
		}
		return strings.Join(parts, ", ")
	}
	t.Run("HundredAccepted", func(t *testing.T) {
		if l := mustParseList(t, entries(100)); l.Len() != 100 {
			t.Errorf("Len() = %d, want 100", l.Len())
		}
	})
	t.Run("HundredWithDuplicatesStillCounted", func(t *testing.T) {
		// The cap is on what was typed, not on what remains after dedup, so the message can
		// point at the entry the user sees as the 101st.
		s := strings.Repeat("10.0.0.1,", 100) + "10.0.0.1"
		if _, err := ParseList(s); err == nil {
			t.Errorf("ParseList(101 × same address) succeeded, want error")
		}
	})
}

func TestParseListErrors(t *testing.T) {
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("192.0.2.%d", i)
	}
	tests := []struct {
		name  string
		in    string
		pos   int
		entry string // as the message must quote it
	}{
		{"NotAnAddress", "abc", 1, "abc"},
		{"OctetTooLarge", "192.0.2.1, 10.0.0.300", 2, "10.0.0.300"},
		{"IPv4PrefixTooLong", "10.0.0.0/33", 1, "10.0.0.0/33"},
		{"IPv6PrefixTooLong", "2001:db8::/129", 1, "2001:db8::/129"},
		{"MappedPrefixTooLong", "::ffff:192.0.2.1/129", 1, "::ffff:192.0.2.1/129"},
		{"EmptyBetweenCommas", "1.2.3.4,,5.6.7.8", 2, ""},
		{"SpacesBetweenCommas", "1.2.3.4, ,5.6.7.8", 2, ""},
		{"TrailingComma", "1.2.3.4,", 2, ""},
		{"LeadingComma", ",1.2.3.4", 1, ""},
		{"OnlyComma", ",", 1, ""},
		{"SlashWithoutLength", "1.2.3.4/", 1, "1.2.3.4/"},
		{"LengthWithoutAddress", "/8", 1, "/8"},
		{"LengthNotNumber", "10.0.0.0/x", 1, "10.0.0.0/x"},
		{"LengthLeadingZero", "10.0.0.0/08", 1, "10.0.0.0/08"},
		{"LengthSigned", "10.0.0.0/+8", 1, "10.0.0.0/+8"},
		{"LengthNegative", "10.0.0.0/-1", 1, "10.0.0.0/-1"},
		{"SpaceInsideEntry", "10.0.0.0 /8", 1, "10.0.0.0 /8"},
		{"SpaceSeparatedNotComma", "1.2.3.4 5.6.7.8", 1, "1.2.3.4 5.6.7.8"},
		{"LeadingZeroOctet", "010.0.0.1", 1, "010.0.0.1"},
		{"IPv4WithZone", "192.0.2.1%eth0", 1, "192.0.2.1%eth0"},
		{"EmptyZone", "fe80::1%", 1, "fe80::1%"},
		{"WithPort", "192.0.2.1:80", 1, "192.0.2.1:80"},
		{"Brackets", "[2001:db8::1]", 1, "[2001:db8::1]"},
		{"Hostname", "example.com", 1, "example.com"},
		{"ThirdOfThree", "1.2.3.4, 2001:db8::/32, 300.1.1.1", 3, "300.1.1.1"},
		{"ControlCharacterQuotedSafely", "1.2.3.4\x00evil", 1, "1.2.3.4\x00evil"},
		{"TooManyEntries", strings.Join(many, ","), 101, "192.0.2.100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseList(tt.in)
			if err == nil {
				t.Fatalf("ParseList(%q) = %q, want error", tt.in, l)
			}
			if l.Len() != 0 {
				t.Errorf("ParseList(%q) returned %d entries with the error, want none", tt.in, l.Len())
			}
			var e *custexport.Error
			if !errors.As(err, &e) {
				t.Fatalf("ParseList(%q) error %T %v, want *custexport.Error", tt.in, err, err)
			}
			if e.Code != custexport.CodeInvalid {
				t.Errorf("Code = %q, want %q", e.Code, custexport.CodeInvalid)
			}
			if e.Field != "ip" {
				t.Errorf("Field = %q, want \"ip\"", e.Field)
			}
			want := fmt.Sprintf("entry %d %q ", tt.pos, tt.entry)
			if !strings.HasPrefix(e.Message, want) {
				t.Errorf("Message = %q, want it to start with %q", e.Message, want)
			}
			if strings.ContainsAny(e.Message, "\x00\n\r") {
				t.Errorf("Message %q contains raw control characters", e.Message)
			}
		})
	}
}

func TestParseListErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"BadAddress", "1.2.3.4, 10.0.0.300", `ip: entry 2 "10.0.0.300" is not an IP address or CIDR range`},
		{"PrefixOutOfRange", "10.0.0.0/33", `ip: entry 1 "10.0.0.0/33" has prefix length 33, more than 32 allowed for IPv4`},
		{"PrefixOutOfRangeIPv6", "2001:db8::/129", `ip: entry 1 "2001:db8::/129" has prefix length 129, more than 128 allowed for IPv6`},
		{"Empty", "1.2.3.4,,5.6.7.8", `ip: entry 2 "" is empty (two commas in a row or a comma at the end?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseList(tt.in)
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseList(%q) error = %v, want %s", tt.in, err, tt.want)
			}
		})
	}
	t.Run("LongEntryShortened", func(t *testing.T) {
		long := strings.Repeat("é", 1000)
		_, err := ParseList(long)
		if err == nil {
			t.Fatal("want error")
		}
		if len(err.Error()) > 200 {
			t.Errorf("message is %d bytes, want the entry shortened: %q", len(err.Error()), err)
		}
		if !strings.Contains(err.Error(), `entry 1 "éé`) || !strings.Contains(err.Error(), `…`) {
			t.Errorf("message %q does not quote a shortened entry", err)
		}
	})
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   netip.Addr
		want netip.Addr
	}{
		{"IPv4Unchanged", netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.1")},
		{"MappedUnmapped", netip.MustParseAddr("::ffff:192.0.2.1"), netip.MustParseAddr("192.0.2.1")},
		{"ZoneDropped", netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("fe80::1")},
		{"IPv6Unchanged", netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::1")},
		{"InvalidStaysInvalid", netip.Addr{}, netip.Addr{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Canonical(tt.in); got != tt.want {
				t.Errorf("Canonical(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// Limits count an IPv4 client by its address and an IPv6 client by its /64: every address of
// one /64 is one client; a mapped IPv4 address is the IPv4 address.
func TestNetwork(t *testing.T) {
	for _, c := range []struct{ addr, want string }{
		{"192.0.2.7", "192.0.2.7/32"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	} {
		if got := Network(netip.MustParseAddr(c.addr)).String(); got != c.want {
			t.Errorf("Network(%s) = %s, want %s", c.addr, got, c.want)
		}
	}
	if Network(netip.Addr{}).IsValid() {
		t.Error("the zero address has a network")
	}
}
