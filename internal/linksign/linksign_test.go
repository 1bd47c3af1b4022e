package linksign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/custexport/custexport"
)

// testMaster is 0x00, 0x01, …, 0x1f; testSalt is 0xa0, 0xa1, …, 0xaf.
func testMaster() []byte {
	k := make([]byte, MasterKeySize)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}

func testSalt() []byte {
	s := make([]byte, SaltSize)
	for i := range s {
		s[i] = 0xa0 + byte(i)
	}
	return s
}

func testSigner(t testing.TB) *Signer {
	t.Helper()
	s, err := New(testMaster())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// goldenVectors were computed once with this package and cross-checked outside Go with
// openssl dgst -hmac over the documented derivation and canonical strings. They must never
// change: a change means every link partners already hold stops working.
var goldenVectors = []struct {
	name      string
	partnerID int64
	path      string
	params    url.Values
	canonical string
	hash      string
}{
	{
		name:      "CSVWithDateAndEncoding",
		partnerID: 7,
		path:      "/export/customers.csv",
		params:    url.Values{"partnerId": {"7"}, "dateFrom": {"2024-01-01"}, "encoding": {"windows-1250"}},
		canonical: "custexport-link-v1\n%2Fexport%2Fcustomers.csv\ndateFrom=2024-01-01&encoding=windows-1250&partnerId=7",
		hash:      "f960cdc85ed522a218c4306c3e60ef6b07cd27d68e2990a96af309f16d59895d",
	},
	{
		name:      "XMLWithIPListAndGuardOff",
		partnerID: 7,
		path:      "/export/customers.xml",
		params:    url.Values{"partnerId": {"7"}, "dateUntil": {"2024-12-31"}, "guard": {"0"}, "ip": {"10.0.0.0/8,2001:db8::1"}},
		canonical: "custexport-link-v1\n%2Fexport%2Fcustomers.xml\ndateUntil=2024-12-31&guard=0&ip=10.0.0.0%2F8%2C2001%3Adb8%3A%3A1&partnerId=7",
		hash:      "b1a7097261ef2a31a79a82060e84824310be23febf8887b4a877ff419eede667",
	},
	{
		name:      "XLSXNoOptionalParamsLargeID",
		partnerID: 1234567890123,
		path:      "/export/customers.xlsx",
		params:    url.Values{"partnerId": {"1234567890123"}},
		canonical: "custexport-link-v1\n%2Fexport%2Fcustomers.xlsx\npartnerId=1234567890123",
		hash:      "37fcaddbb7547ada0a82acdf21f9216c75f4ea6fb4dcfc7115df794ea58aaa16",
	},
}

func TestGoldenVectors(t *testing.T) {
	s := testSigner(t)
	for _, v := range goldenVectors {
		t.Run(v.name, func(t *testing.T) {
			if got := Canonical(v.path, v.params); got != v.canonical {
				t.Errorf("Canonical = %q, want %q", got, v.canonical)
			}
			if got := s.Sign(v.partnerID, testSalt(), v.path, v.params); got != v.hash {
				t.Errorf("Sign = %s, want %s", got, v.hash)
			}
			if !s.Verify(v.partnerID, testSalt(), v.path, v.params, v.hash) {
				t.Error("Verify(golden hash) = false")
			}
		})
	}
}

// TestGoldenIndependent recomputes the first vector from the documented formulas with nothing
// from this package, so the golden values are not merely self-consistent.
func TestGoldenIndependent(t *testing.T) {
	master := testMaster()
	salt := testSalt()
	// "custexport partner link key v1" || 0x00 || int64 7 big-endian || salt, written out by hand.
	derivation := append([]byte("custexport partner link key v1\x00"+"\x00\x00\x00\x00\x00\x00\x00\x07"), salt...)
	km := hmac.New(sha256.New, master)
	km.Write(derivation)
	partnerKey := km.Sum(nil)

	mm := hmac.New(sha256.New, partnerKey)
	mm.Write([]byte("custexport-link-v1\n%2Fexport%2Fcustomers.csv\ndateFrom=2024-01-01&encoding=windows-1250&partnerId=7"))
	got := hex.EncodeToString(mm.Sum(nil))
	if want := goldenVectors[0].hash; got != want {
		t.Fatalf("independent HMAC = %s, golden = %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	s := testSigner(t)
	otherMaster := testMaster()
	otherMaster[0] ^= 1
	other, err := New(otherMaster)
	if err != nil {
		t.Fatal(err)
	}
	regenerated := testSalt()
	regenerated[SaltSize-1] ^= 1

	const path = "/export/customers.csv"
	params := func() url.Values {
		return url.Values{"partnerId": {"7"}, "dateFrom": {"2024-01-01"}, "encoding": {"windows-1250"}}
	}
	hash := s.Sign(7, testSalt(), path, params())

	tests := []struct {
		name      string
		signer    *Signer
		partnerID int64
		salt      []byte
		path      string
		params    func(url.Values)
		hash      func(string) string // rewrites the valid hash
		want      bool
	}{
		{name: "Valid", want: true},
		{name: "ValidWithHashParam", params: func(p url.Values) { p.Set("hash", hash) }, want: true},
		{name: "ChangedValue", params: func(p url.Values) { p.Set("dateFrom", "2024-01-02") }},
		{name: "AddedParam", params: func(p url.Values) { p.Set("dateUntil", "2024-12-31") }},
		{name: "AddedEmptyParam", params: func(p url.Values) { p.Set("guard", "") }},
		{name: "RemovedParam", params: func(p url.Values) { p.Del("encoding") }},
		{name: "RemovedPartnerID", params: func(p url.Values) { p.Del("partnerId") }},
		{name: "RepeatedParamSameValue", params: func(p url.Values) { p.Add("dateFrom", "2024-01-01") }},
		{name: "RepeatedPartnerID", params: func(p url.Values) { p.Add("partnerId", "7") }},
		{name: "PartnerIDWithLeadingZero", params: func(p url.Values) { p.Set("partnerId", "07") }},
		{name: "RenamedParamCase", params: func(p url.Values) { p["datefrom"] = p["dateFrom"]; p.Del("dateFrom") }},
		{name: "ChangedPath", path: "/export/customers.xml"},
		{name: "OtherPartnerID", partnerID: 8},
		{name: "OtherPartnerIDMatchingParam", partnerID: 8, params: func(p url.Values) { p.Set("partnerId", "8") }},
		{name: "RegeneratedSalt", salt: regenerated},
		{name: "EmptySalt", salt: []byte{}},
		{name: "OtherMasterKey", signer: other},
		{name: "UpperCaseHash", hash: strings.ToUpper},
		{name: "Hash63", hash: func(h string) string { return h[:63] }},
		{name: "Hash65", hash: func(h string) string { return h + "0" }},
		{name: "HashEmpty", hash: func(string) string { return "" }},
		{name: "HashNonHexFirst", hash: func(h string) string { return "g" + h[1:] }},
		{name: "HashNonHexLast", hash: func(h string) string { return h[:63] + "z" }},
		{name: "HashSpacePadded", hash: func(h string) string { return " " + h[1:] }},
		{name: "HashLastDigitChanged", hash: flipLastHexDigit},
		// A bad character decodes to nibble 0 in the branch-free decoder, so replacing a '0'
		// keeps the decoded bytes right: only the well-formedness flag can refuse this.
		{name: "HashNonHexInPlaceOfZero", hash: func(h string) string { return strings.Replace(h, "0", "g", 1) }},
		{name: "HashUpperCaseSameBytes", hash: func(h string) string { return strings.Replace(h, "f", "F", 1) }},
		{name: "HashUnicode", hash: func(h string) string { return "é" + h[2:] }}, // 2 bytes: length stays 64
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer, id, salt, p, h, pth := s, int64(7), testSalt(), params(), hash, path
			if tt.signer != nil {
				signer = tt.signer
			}
			if tt.partnerID != 0 {
				id = tt.partnerID
			}
			if tt.salt != nil {
				salt = tt.salt
			}
			if tt.params != nil {
				tt.params(p)
			}
			if tt.hash != nil {
				h = tt.hash(h)
			}
			if tt.path != "" {
				pth = tt.path
			}
			if got := signer.Verify(id, salt, pth, p, h); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestVerifyRefusesMatchingMAC covers the checks beyond the MAC: the hash is signed over exactly
// these inputs, so only the partnerId and salt rules can refuse it.
func TestVerifyRefusesMatchingMAC(t *testing.T) {
	s := testSigner(t)
	const path = "/export/customers.csv"
	tests := []struct {
		name   string
		salt   []byte
		params url.Values
	}{
		{"NoPartnerIDParam", testSalt(), url.Values{"dateFrom": {"2024-01-01"}}},
		{"OtherPartnerIDParam", testSalt(), url.Values{"partnerId": {"8"}}},
		{"PartnerIDLeadingZero", testSalt(), url.Values{"partnerId": {"07"}}},
		{"PartnerIDPlusSign", testSalt(), url.Values{"partnerId": {"+7"}}},
		{"PartnerIDTwice", testSalt(), url.Values{"partnerId": {"7", "7"}}},
		{"EmptySalt", []byte{}, url.Values{"partnerId": {"7"}}},
		{"NilSalt", nil, url.Values{"partnerId": {"7"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash := s.Sign(7, tt.salt, path, tt.params)
			if s.Verify(7, tt.salt, path, tt.params, hash) {
				t.Error("Verify = true")
			}
		})
	}
}

func flipLastHexDigit(h string) string {
	last := h[len(h)-1]
	if last == '0' {
		last = '1'
	} else {
		last = '0'
	}
	return h[:len(h)-1] + string(last)
}

func TestParamOrderIrrelevant(t *testing.T) {
	s := testSigner(t)
	const path = "/export/customers.csv"
	ab, err := url.ParseQuery("partnerId=7&a=1&b=2")
	if err != nil {
		t.Fatal(err)
	}
	ba, err := url.ParseQuery("b=2&a=1&partnerId=7")
	if err != nil {
		t.Fatal(err)
	}
	hash := s.Sign(7, testSalt(), path, ab)
	for name, p := range map[string]url.Values{"AB": ab, "BA": ba} {
		t.Run(name, func(t *testing.T) {
			if !s.Verify(7, testSalt(), path, p, hash) {
				t.Error("Verify = false")
			}
		})
	}
}

// TestCanonicalInjective lists pairs of inputs that a careless canonical form (joining raw
// names and values) would confuse; each pair must give different canonical strings and hashes.
func TestCanonicalInjective(t *testing.T) {
	type input struct {
		path   string
		params url.Values
	}
	const p = "/export/customers.csv"
	tests := []struct {
		name string
		a, b input
	}{
		{"AmpersandInValue", input{p, url.Values{"a": {"b&c=d"}}}, input{p, url.Values{"a": {"b"}, "c": {"d"}}}},
		{"EqualsInName", input{p, url.Values{"a=b": {"c"}}}, input{p, url.Values{"a": {"b=c"}}}},
		{"PercentEncodedLookalike", input{p, url.Values{"a": {"%26"}}}, input{p, url.Values{"a": {"&"}}}},
		{"PlusVersusSpace", input{p, url.Values{"a": {"+"}}}, input{p, url.Values{"a": {" "}}}},
		{"EmptyValueVersusNoParam", input{p, url.Values{"a": {""}}}, input{p, url.Values{}}},
		{"EmptyValueVersusEmptyName", input{p, url.Values{"a": {""}}}, input{p, url.Values{"": {"a"}}}},
		{"TwoEmptyValuesVersusOne", input{p, url.Values{"a": {"", ""}}}, input{p, url.Values{"a": {""}}}},
		{"RepeatedOrder", input{p, url.Values{"a": {"1", "2"}}}, input{p, url.Values{"a": {"2", "1"}}}},
		{"RepeatedVersusComma", input{p, url.Values{"a": {"1", "2"}}}, input{p, url.Values{"a": {"1,2"}}}},
		{"UnicodeNFCVersusNFD", input{p, url.Values{"jméno": {"é"}}}, input{p, url.Values{"jméno": {"e\u0301"}}}},
		{"NewlineInPathVersusParam", input{"/x\na=b", url.Values{}}, input{"/x", url.Values{"a": {"b"}}}},
		{"PathSuffix", input{"/export/customers.csv", url.Values{}}, input{"/export/customers.csvx", url.Values{}}},
		{"PrefixLookalikeInPath", input{"custexport-link-v1\n", url.Values{}}, input{"", url.Values{}}},
		{"InvalidUTF8", input{p, url.Values{"a": {"\xff"}}}, input{p, url.Values{"a": {"\xfe"}}}},
	}
	s := testSigner(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca, cb := Canonical(tt.a.path, tt.a.params), Canonical(tt.b.path, tt.b.params)
			if ca == cb {
				t.Fatalf("both canonical forms are %q", ca)
			}
			if s.Sign(7, testSalt(), tt.a.path, tt.a.params) == s.Sign(7, testSalt(), tt.b.path, tt.b.params) {
				t.Fatal("same hash")
			}
		})
	}
}

func TestCanonicalReadsBack(t *testing.T) {
	// Parsing the canonical form back must give exactly the input: the injectivity argument.
	tests := []struct {
		name   string
		path   string
		params url.Values
	}{
		{"Simple", "/export/customers.csv", url.Values{"partnerId": {"7"}}},
		{"Specials", "/a b/ä", url.Values{"a=&%": {"=&%", "", "ü ř"}, "": {"x"}, "z": {""}}},
		{"NoParams", "", url.Values{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Canonical(tt.path, tt.params)
			rest, ok := strings.CutPrefix(c, canonicalPrefix)
			if !ok {
				t.Fatalf("no version prefix: %q", c)
			}
			escPath, query, ok := strings.Cut(rest, "\n")
			if !ok {
				t.Fatalf("no path line: %q", c)
			}
			gotPath, err := url.QueryUnescape(escPath)
			if err != nil || gotPath != tt.path {
				t.Errorf("path read back = %q, %v; want %q", gotPath, err, tt.path)
			}
			got, err := url.ParseQuery(query)
			if err != nil {
				t.Fatal(err)
			}
			if got.Encode() != tt.params.Encode() {
				t.Errorf("params read back = %v, want %v", got, tt.params)
			}
		})
	}
}

func TestCanonicalExcludesHash(t *testing.T) {
	with := url.Values{"partnerId": {"7"}, "hash": {"abc"}}
	without := url.Values{"partnerId": {"7"}}
	if a, b := Canonical("/p", with), Canonical("/p", without); a != b {
		t.Errorf("hash changes canonical form: %q vs %q", a, b)
	}
}

func TestSignedURL(t *testing.T) {
	s := testSigner(t)
	tests := []struct {
		name      string
		base      string
		partnerID int64
		path      string
		params    url.Values
		want      string // "" when only the round trip is checked
	}{
		{
			name: "KnownOrder", base: "https://shop.example/", partnerID: 7, path: "/export/customers.xml",
			params: url.Values{"ip": {"10.0.0.0/8,2001:db8::1"}, "guard": {"0"}, "dateUntil": {"2024-12-31"}, "partnerId": {"7"}},
			want: "https://shop.example/export/customers.xml?partnerId=7&dateUntil=2024-12-31&guard=0" +
				"&ip=10.0.0.0%2F8%2C2001%3Adb8%3A%3A1&hash=" + goldenVectors[1].hash,
		},
		{
			name: "AllKnownThenExtraSorted", base: "http://h", partnerID: 3, path: "/export/customers.csv",
			params: url.Values{"zeta": {"1"}, "alpha": {"2"}, "ip": {"1.2.3.4"}, "guard": {"0"}, "encoding": {"utf-8"},
				"dateUntil": {"2024-02-01"}, "dateFrom": {"2024-01-01"}},
			want: "http://h/export/customers.csv?partnerId=3&dateFrom=2024-01-01&dateUntil=2024-02-01&encoding=utf-8" +
				"&guard=0&ip=1.2.3.4&alpha=2&zeta=1&hash=",
		},
		{name: "PartnerIDAddedWhenMissing", base: "https://shop.example", partnerID: 1234567890123, path: "/export/customers.xlsx",
			params: url.Values{}, want: "https://shop.example/export/customers.xlsx?partnerId=1234567890123&hash=" + goldenVectors[2].hash},
		{name: "NilParams", base: "https://shop.example", partnerID: 9, path: "/export/customers.csv"},
		{name: "WrongPartnerIDReplaced", base: "https://shop.example", partnerID: 9, path: "/export/customers.csv",
			params: url.Values{"partnerId": {"8"}}},
		{name: "StaleHashIgnored", base: "https://shop.example", partnerID: 9, path: "/export/customers.csv",
			params: url.Values{"hash": {"deadbeef"}}},
		{name: "Specials", base: "https://shop.example", partnerID: 9, path: "/export/customers.csv",
			params: url.Values{"x": {"a&b=c", "", "ü +%"}, "y=": {"1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.params.Encode()
			got := s.SignedURL(tt.base, tt.partnerID, testSalt(), tt.path, tt.params)
			if tt.params.Encode() != before {
				t.Errorf("params modified: %s, was %s", tt.params.Encode(), before)
			}
			if tt.want != "" && !strings.HasPrefix(got, tt.want) {
				t.Errorf("SignedURL =\n%s\nwant (prefix)\n%s", got, tt.want)
			}
			if strings.Count(got, "hash=") != 1 || !strings.Contains(got, "&hash=") {
				t.Errorf("hash not exactly once and last: %s", got)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			q, err := url.ParseQuery(u.RawQuery)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Verify(tt.partnerID, testSalt(), u.Path, q, q.Get("hash")) {
				t.Errorf("Verify(parsed %s) = false", got)
			}
			last := q["hash"][len(q["hash"])-1]
			if !strings.HasSuffix(got, "&hash="+last) || len(last) != 64 {
				t.Errorf("hash not last: %s", got)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		ok   bool
	}{
		{"Size32", make([]byte, 32), true},
		{"Nil", nil, false},
		{"Size31", make([]byte, 31), false},
		{"Size33", make([]byte, 33), false},
		{"Size64HexLength", make([]byte, 64), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.key)
			if (err == nil) != tt.ok || (s != nil) != tt.ok {
				t.Errorf("New = %v, %v; want ok=%v", s, err, tt.ok)
			}
		})
	}
}

func TestNewCopiesKey(t *testing.T) {
	key := testMaster()
	s, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	p := url.Values{"partnerId": {"7"}}
	before := s.Sign(7, testSalt(), "/p", p)
	clear(key)
	if after := s.Sign(7, testSalt(), "/p", p); after != before {
		t.Error("wiping the caller's key slice changed the Signer")
	}
}

func TestNewSalt(t *testing.T) {
	a, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 16 || len(b) != 16 {
		t.Fatalf("salt lengths %d, %d; want 16", len(a), len(b))
	}
	if bytes.Equal(a, b) {
		t.Error("two salts are equal")
	}
}

func TestDecodeLowerHexMatchesReference(t *testing.T) {
	// Every byte value in every position class (high and low nibble) against encoding/hex
	// restricted to lower case.
	for c := 0; c < 256; c++ {
		for _, s := range []string{string([]byte{byte(c), '0'}), string([]byte{'0', byte(c)})} {
			got, ok := decodeLowerHex(s)
			want, err := hex.DecodeString(s)
			wantOK := err == nil && s == strings.ToLower(s)
			if ok != wantOK || (ok && !bytes.Equal(got, want)) {
				t.Errorf("decodeLowerHex(%q) = %x, %v; want %x, %v", s, got, ok, want, wantOK)
			}
		}
	}
}

func TestSignerConcurrent(t *testing.T) {
	s := testSigner(t)
	v := goldenVectors[0]
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 100 {
				if s.Sign(v.partnerID, testSalt(), v.path, v.params) != v.hash ||
					!s.Verify(v.partnerID, testSalt(), v.path, v.params, v.hash) {
					t.Error("concurrent Sign/Verify gave a wrong answer")
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzVerify(f *testing.F) {
	s := testSigner(f)
	salt := testSalt()
	const path = "/export/customers.csv"
	valid := goldenVectors[0]
	f.Add("partnerId=7&dateFrom=2024-01-01&encoding=windows-1250", valid.hash)
	f.Add("partnerId=7&dateFrom=2024-01-01&encoding=windows-1250&hash="+valid.hash, valid.hash)
	f.Add("encoding=windows-1250&dateFrom=2024-01-01&partnerId=7", strings.ToUpper(valid.hash))
	f.Add("partnerId=7&partnerId=7", valid.hash[:63])
	f.Add("a=b%26c%3Dd&c=%zz;x=1", "")
	f.Add("", strings.Repeat("0", 64))
	f.Add("partnerId=7&ip=10.0.0.0%2F8%2C2001%3Adb8%3A%3A1&guard=0", strings.Repeat("g", 64))
	f.Fuzz(func(t *testing.T, rawQuery string, hash string) {
		params, _ := url.ParseQuery(rawQuery) // a partial parse is still a valid input to Verify

		got := s.Verify(7, salt, path, params, hash)
		ids := params["partnerId"]
		want := hash == s.Sign(7, salt, path, params) && len(ids) == 1 && ids[0] == "7"
		if got != want {
			t.Fatalf("Verify(%q, %q) = %v, want %v", rawQuery, hash, got, want)
		}

		// Whatever else is in the query, a freshly signed one verifies, and it verifies again
		// after a trip through a URL.
		signed := url.Values{}
		for k, v := range params {
			signed[k] = v
		}
		signed.Set("partnerId", "7")
		h := s.Sign(7, salt, path, signed)
		if !s.Verify(7, salt, path, signed, h) {
			t.Fatalf("Verify(Sign(%q)) = false", rawQuery)
		}
		u, err := url.Parse(s.SignedURL("https://shop.example", 7, salt, path, params))
		if err != nil {
			t.Fatal(err)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			t.Fatalf("SignedURL produced an unparsable query %q: %v", u.RawQuery, err)
		}
		if !s.Verify(7, salt, u.Path, q, q.Get("hash")) {
			t.Fatalf("SignedURL round trip of %q failed: %s", rawQuery, u)
		}
	})
}

// BenchmarkFindByHash is the work the hash alone adds per request with 1,000 partners (make
// bench measures the whole answer on a server).
func BenchmarkFindByHash(b *testing.B) {
	s := testSigner(b)
	partners := make([]custexport.Partner, 1000)
	for i := range partners {
		partners[i] = custexport.Partner{ID: int64(i + 1), LinkSalt: testSalt()}
	}
	hash := s.Sign(500, testSalt(), "/export/customers.csv", url.Values{"partnerId": {"500"}})
	for b.Loop() {
		if s.FindByHash(partners, "/export/customers.csv", hash) != 499 {
			b.Fatal("not found")
		}
	}
}

// FindByHash computes plain-link MACs its own way, for speed; they must be Sign's.
func TestFindByHashMatchesSign(t *testing.T) {
	s := testSigner(t)
	partners := []custexport.Partner{{ID: 3, LinkSalt: testSalt()}, {ID: 1234567890123, LinkSalt: []byte("another salt 16b")}, {ID: 9}}
	for _, path := range []string{"/export/customers.csv", "/export/customers.xlsx", "/a path/with?odd&chars"} {
		for i, p := range partners[:2] {
			hash := s.Sign(p.ID, p.LinkSalt, path, url.Values{"partnerId": {strconv.FormatInt(p.ID, 10)}})
			if got := s.FindByHash(partners, path, hash); got != i {
				t.Errorf("%s: partner %d's plain link found at %d, want %d", path, p.ID, got, i)
			}
		}
		// The partner without a salt (deleted) never matches, even its empty-salt MAC.
		hash := s.Sign(9, nil, path, url.Values{"partnerId": {"9"}})
		if got := s.FindByHash(partners, path, hash); got != -1 {
			t.Errorf("%s: a partner without a salt found at %d", path, got)
		}
	}
	if got := s.FindByHash(partners, "/export/customers.csv", strings.Repeat("A", 64)); got != -1 {
		t.Errorf("a malformed hash found at %d", got)
	}
}
