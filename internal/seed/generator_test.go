package seed

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/custexport/custexport"
)

// testNow has nanoseconds on purpose: the window must still start no earlier than now-10y.
var testNow = time.Date(2025, 6, 15, 10, 30, 45, 123456789, time.UTC)

// generate runs a generator to the end, checking that it yields exactly n customers.
func generate(t testing.TB, g *Generator, n int) []custexport.Customer {
	t.Helper()
	out := make([]custexport.Customer, 0, n)
	for {
		var c custexport.Customer
		if !g.Next(&c) {
			break
		}
		out = append(out, c)
	}
	if len(out) != n {
		t.Fatalf("generated %d customers, want %d", len(out), n)
	}
	var c custexport.Customer
	if g.Next(&c) {
		t.Fatal("Next returned true after the end")
	}
	return out
}

// hundredK is shared by the tests that look at a large sample.
var hundredK = sync.OnceValue(func() []custexport.Customer {
	g := New(42, 100_000, testNow)
	out := make([]custexport.Customer, 0, 100_000)
	for {
		var c custexport.Customer
		if !g.Next(&c) {
			return out
		}
		out = append(out, c)
	}
})

// dump writes every field of c in an unambiguous form.
func dump(w io.Writer, c *custexport.Customer) {
	addr := func(a custexport.Address) {
		fmt.Fprintf(w, " %q %q %q %q %q %q %q %q %q", a.FullName, a.Company, a.Street,
			a.HouseNumber, a.City, a.District, a.Additional, a.Zip, a.CountryCode)
	}
	fmt.Fprintf(w, "%q %q %q %d %s", c.GUID, c.AccountGUID, c.Email, c.RegistrationDate.UnixNano(), c.RegistrationDate.Location())
	addr(c.Billing)
	fmt.Fprintf(w, " %q %q %q %q [", c.CompanyID, c.VatID, c.TaxID, c.Phone)
	for _, d := range c.Delivery {
		addr(d)
	}
	fmt.Fprintf(w, "] %q %q %d %s %q %t %d %s\n", c.CustomerGroup, c.PriceList, c.PriceRatio,
		c.BirthDate, c.Remark, c.DisabledOrders, c.ChangeTime.UnixNano(), c.ChangeTime.Location())
}

func dumpAll(cs []custexport.Customer) string {
	var sb strings.Builder
	for i := range cs {
		dump(&sb, &cs[i])
	}
	return sb.String()
}

func TestDeterministic(t *testing.T) {
	a := dumpAll(generate(t, New(7, 10_000, testNow), 10_000))
	b := dumpAll(generate(t, New(7, 10_000, testNow), 10_000))
	if a != b {
		t.Fatal("two generators with the same arguments produced different customers")
	}
	// The caller's time zone must not matter. The instant is chosen so that "ten years earlier"
	// falls on the other side of a daylight-saving change in Prague than in UTC.
	if prague, err := time.LoadLocation("Europe/Prague"); err != nil {
		t.Logf("no time zone database, skipping the time zone check: %v", err)
	} else {
		at := time.Date(2025, 3, 29, 11, 0, 0, 0, time.UTC)
		utc := dumpAll(generate(t, New(7, 1000, at), 1000))
		if local := dumpAll(generate(t, New(7, 1000, at.In(prague)), 1000)); local != utc {
			t.Error("the same instant in another time zone produced different customers")
		}
	}
	other := generate(t, New(8, 10_000, testNow), 10_000)
	first := generate(t, New(7, 10_000, testNow), 10_000)
	sameGUID, sameEmail := 0, 0
	for i := range other {
		if other[i].GUID == first[i].GUID {
			sameGUID++
		}
		if other[i].Email == first[i].Email {
			sameEmail++ // possible by chance: same name, layout and domain
		}
	}
	if sameGUID > 0 || sameEmail > len(other)/100 {
		t.Errorf("seeds 7 and 8 share %d GUIDs and %d e-mails at the same position", sameGUID, sameEmail)
	}
}

// TestGolden pins the output of one run. It fails when the generator's output changes, on
// purpose (then update the hash) or not: a different result on another OS or architecture
// means the generator is no longer machine-independent.
func TestGolden(t *testing.T) {
	const want = "6eb47cbee3145a93953ff34860ba91c7869ab426db454ac7240256a8b07bb3e8"
	h := sha256.New()
	g := New(1, 1000, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	var c custexport.Customer // reused, as a store would
	for g.Next(&c) {
		dump(h, &c)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Errorf("output hash = %s, want %s", got, want)
	}
}

// TestNextReusesCustomer checks that reusing one Customer gives the same values as fresh
// ones: nothing of the previous customer (extra delivery addresses, optional fields) leaks.
func TestNextReusesCustomer(t *testing.T) {
	fresh := dumpAll(generate(t, New(3, 5000, testNow), 5000))
	var sb strings.Builder
	g := New(3, 5000, testNow)
	var c custexport.Customer
	for g.Next(&c) {
		dump(&sb, &c)
	}
	if sb.String() != fresh {
		t.Fatal("reusing the Customer changed the output")
	}
}

func TestEmptyAndNegativeCount(t *testing.T) {
	for _, n := range []int{0, -5} {
		var c custexport.Customer
		if New(1, n, testNow).Next(&c) {
			t.Errorf("count %d: Next returned true", n)
		}
	}
}

func TestRegistrationDates(t *testing.T) {
	const n = 10_000
	cs := generate(t, New(11, n, testNow), n)
	start := testNow.AddDate(-10, 0, 0)
	var perYear [10]int
	var perHour [24]int
	for i := range cs {
		r := cs[i].RegistrationDate
		if r.Before(start) || r.After(testNow) {
			t.Fatalf("customer %d registered %v, outside [%v, %v]", i, r, start, testNow)
		}
		if r.Nanosecond() != 0 {
			t.Fatalf("customer %d: registration %v has a fraction of a second; the store keeps seconds", i, r)
		}
		if i > 0 && !cs[i-1].RegistrationDate.Before(r) {
			t.Fatalf("customer %d registered %v, not after customer %d (%v)", i, r, i-1, cs[i-1].RegistrationDate)
		}
		ch := cs[i].ChangeTime
		if ch.Before(r) || ch.After(testNow) {
			t.Fatalf("customer %d changed %v, outside [%v, %v]", i, ch, r, testNow)
		}
		y := 0
		for y < 9 && !r.Before(start.AddDate(y+1, 0, 0)) {
			y++
		}
		perYear[y]++
		perHour[r.Add(time.Hour).Hour()]++ // Central European time
	}
	for y, k := range perYear {
		if k < n*8/100 || k > n*12/100 {
			t.Errorf("year %d of the window has %d customers, want about %d", y+1, k, n/10)
		}
	}
	// The daily rhythm: evenings are busy, the small hours quiet.
	if perHour[20] < 5*perHour[3] {
		t.Errorf("registrations at 20h: %d, at 3h: %d; want a daily rhythm", perHour[20], perHour[3])
	}
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUniqueEmailsAndGUIDs(t *testing.T) {
	cs := hundredK()
	emails := make(map[string]int, len(cs))
	guids := make(map[string]int, len(cs))
	accounts := make(map[string]int, len(cs))
	for i := range cs {
		c := &cs[i]
		if !uuidRE.MatchString(c.GUID) {
			t.Fatalf("customer %d: GUID %q is not a lowercase canonical version-4 UUID", i, c.GUID)
		}
		if j, dup := guids[c.GUID]; dup {
			t.Fatalf("customers %d and %d share GUID %s", j, i, c.GUID)
		}
		guids[c.GUID] = i
		if !uuidRE.MatchString(c.AccountGUID) {
			t.Fatalf("customer %d: account guid %q is not a lowercase canonical version-4 UUID", i, c.AccountGUID)
		}
		if j, dup := accounts[c.AccountGUID]; dup {
			t.Fatalf("customers %d and %d share account guid %s", j, i, c.AccountGUID)
		}
		accounts[c.AccountGUID] = i
		key := strings.ToLower(c.Email)
		if j, dup := emails[key]; dup {
			t.Fatalf("customers %d and %d share e-mail %s / %s", j, i, cs[j].Email, c.Email)
		}
		emails[key] = i
	}
}

// TestMoreCustomersThanSeconds covers the fallback when registration seconds must repeat:
// (registrationDate, guid) must still ascend.
func TestMoreCustomersThanSeconds(t *testing.T) {
	const start, secs, n = 1_700_000_000, 1000, 5000
	cs := generate(t, newGenerator(5, n, start, start+secs-1), n)
	seen := make(map[string]bool, n)
	for i := range cs {
		c := &cs[i]
		sec := c.RegistrationDate.Unix()
		if sec < start || sec >= start+secs {
			t.Fatalf("customer %d registered at %d, outside the window", i, sec)
		}
		if !uuidRE.MatchString(c.GUID) || seen[c.GUID] {
			t.Fatalf("customer %d: GUID %q malformed or repeated", i, c.GUID)
		}
		seen[c.GUID] = true
		if i == 0 {
			continue
		}
		p := &cs[i-1]
		if ps := p.RegistrationDate.Unix(); ps > sec || ps == sec && p.GUID >= c.GUID {
			t.Fatalf("customer %d (%d, %s) does not sort after customer %d (%d, %s)", i, sec, c.GUID, i-1, ps, p.GUID)
		}
	}
}

func TestUUIDAfter(t *testing.T) {
	cases := [][2]uint64{
		{0x0123456789ab4def, 0x8000000000000000},
		{0x0123456789ab4def, 0xbfffffffffffffff}, // lo's random bits full: carry into hi
		{0x0123456789ab4fff, 0xbfffffffffffffff}, // and carry across the version nibble
	}
	for _, tc := range cases {
		hi, lo := uuidAfter(tc[0], tc[1])
		prev := string(appendUUID(nil, tc[0], tc[1]))
		next := string(appendUUID(nil, hi, lo))
		if !uuidRE.MatchString(next) || next <= prev {
			t.Errorf("uuidAfter(%s) = %s; want a larger version-4 UUID", prev, next)
		}
	}
}

// share reports whether k of n lies within [lo, hi] percent.
func share(t *testing.T, what string, k, n int, lo, hi float64) {
	t.Helper()
	p := 100 * float64(k) / float64(n)
	t.Logf("%s: %.2f%%", what, p)
	if p < lo || p > hi {
		t.Errorf("%s: %.2f%% (%d of %d), want %.1f%%–%.1f%%", what, p, k, n, lo, hi)
	}
}

func TestDistributions(t *testing.T) {
	cs := hundredK()
	n := len(cs)
	var (
		noDelivery, twoDelivery, threeDelivery, sameAsBilling int
		companies, icoLeadingZero, czVAT, skVAT, taxID        int
		remarks, lf, crlf, semicolon, quote, emoji, cjk       int
		guardStart                                            = map[byte]int{}
		zipLeadingZero, sk, birth, disabled, discount         int
		noPhone, phone420, phone421, phoneDigitsOnly          int
		guardCompany, guardStreet, female, diacritics, title  int
		groups                                                = map[string]int{}
		lists                                                 = map[string]int{}
		ratios                                                = map[custexport.PriceRatio]int{}
	)
	for i := range cs {
		c := &cs[i]
		switch len(c.Delivery) {
		case 0:
			noDelivery++
		case 1:
		case 2:
			twoDelivery++
		case 3:
			threeDelivery++
		default:
			t.Fatalf("customer %d has %d delivery addresses", i, len(c.Delivery))
		}
		if len(c.Delivery) > 0 && c.Delivery[0] == c.Billing {
			sameAsBilling++
		}
		if c.Billing.Company != "" {
			companies++
			if custexport.NeedsFormulaGuard(c.Billing.Company) {
				guardCompany++
			}
		}
		if custexport.NeedsFormulaGuard(c.Billing.Street) {
			guardStreet++
		}
		if strings.HasPrefix(c.CompanyID, "00") {
			icoLeadingZero++
		}
		if strings.HasPrefix(c.VatID, "CZ") {
			czVAT++
		}
		if strings.HasPrefix(c.VatID, "SK") {
			skVAT++
		}
		if c.TaxID != "" {
			taxID++
		}
		if r := c.Remark; r != "" {
			remarks++
			if strings.Contains(strings.ReplaceAll(r, "\r\n", ""), "\n") {
				lf++
			}
			if strings.Contains(r, "\r\n") {
				crlf++
			}
			if strings.Contains(r, ";") {
				semicolon++
			}
			if strings.Contains(r, `"`) {
				quote++
			}
			guardStart[r[0]]++
			for _, ch := range r {
				if ch >= 0x1F300 && ch <= 0x1FAFF {
					emoji++
					break
				}
			}
			for _, ch := range r {
				if unicode.Is(unicode.Han, ch) {
					cjk++
					break
				}
			}
		}
		if c.Billing.Zip[0] == '0' {
			zipLeadingZero++
		}
		if c.Billing.CountryCode == "SK" {
			sk++
		}
		if !c.BirthDate.IsZero() {
			birth++
			adult := c.RegistrationDate.AddDate(-18, 0, 0)
			if c.BirthDate.Start(time.UTC).After(adult) {
				t.Errorf("customer %d born %s was not adult at registration %v", i, c.BirthDate, c.RegistrationDate)
			}
		}
		if c.DisabledOrders {
			disabled++
		}
		if c.PriceRatio != custexport.NoDiscount {
			discount++
		}
		switch {
		case c.Phone == "":
			noPhone++
		case strings.HasPrefix(c.Phone, "+420 "):
			phone420++
		case strings.HasPrefix(c.Phone, "+421 "):
			phone421++
		case strings.Trim(c.Phone, "0123456789") == "":
			phoneDigitsOnly++
		}
		if strings.HasSuffix(strings.Fields(c.Billing.FullName)[len(strings.Fields(c.Billing.FullName))-1], "ová") {
			female++
		}
		if strings.ContainsAny(c.Billing.FullName, "áčďéěíňóřšťúůýžľĺôä") {
			diacritics++
		}
		if strings.Contains(c.Billing.FullName, ".") {
			title++
		}
		groups[c.CustomerGroup]++
		lists[c.PriceList]++
		ratios[c.PriceRatio]++
	}

	share(t, "without delivery address", noDelivery, n, 22, 28)
	share(t, "two delivery addresses", twoDelivery, n, 6, 12)
	share(t, "three delivery addresses", threeDelivery, n, 2, 6)
	share(t, "default delivery = billing", sameAsBilling, n, 35, 60)
	share(t, "companies", companies, n, 27, 33)
	share(t, "IČO with leading zeros", icoLeadingZero, n, 2, 8)
	share(t, "Czech DIČ", czVAT, n, 10, 22)
	share(t, "Slovak DIČ", skVAT, n, 3, 8)
	share(t, "IČ DPH", taxID, n, 1, 6)
	share(t, "billing company starting with a formula character", guardCompany, n, 0.05, 0.5)
	share(t, "billing street starting with a formula character", guardStreet, n, 0.05, 0.5)
	share(t, "remarks", remarks, n, 17, 23)
	share(t, "remarks with emoji", emoji, n, 0.1, 0.7)
	share(t, "remarks with CJK", cjk, n, 0.05, 0.5)
	share(t, "billing ZIP with leading zero", zipLeadingZero, n, 5, 15)
	share(t, "Slovak billing addresses", sk, n, 22, 28)
	share(t, "birth date", birth, n, 57, 63)
	share(t, "disabled orders", disabled, n, 1.5, 2.5)
	share(t, "discounted", discount, n, 8, 25)
	share(t, "no phone", noPhone, n, 5, 11)
	share(t, "phone +420 …", phone420, n, 25, 40)
	share(t, "phone +421 …", phone421, n, 7, 15)
	share(t, "phone digits only", phoneDigitsOnly, n, 10, 25)
	share(t, "female surnames in -ová", female, n, 30, 50)
	share(t, "names with diacritics", diacritics, n, 50, 98)
	share(t, "names with an academic title", title, n, 3, 7)
	for what, k := range map[string]int{"LF": lf, "CRLF": crlf, "';'": semicolon, `'"'`: quote} {
		if k < 100 {
			t.Errorf("remarks with %s: %d, want some", what, k)
		}
	}
	for _, ch := range []byte("=+-@\t\n") {
		if guardStart[ch] < 50 {
			t.Errorf("remarks starting with %q: %d, want some", ch, guardStart[ch])
		}
	}
	for _, g := range []string{"", "Maloobchod", "Velkoobchod", "VIP"} {
		if groups[g] < 1000 {
			t.Errorf("customer group %q: %d customers, want some", g, groups[g])
		}
	}
	if len(groups) != 4 {
		t.Errorf("customer groups %v, want exactly '', Maloobchod, Velkoobchod, VIP", groups)
	}
	for _, l := range []string{"Hlavní ceník", "Velkoobchodní ceník"} {
		if lists[l] < 1000 {
			t.Errorf("price list %q: %d customers, want some", l, lists[l])
		}
	}
	share(t, "price ratio 1.0000", ratios[custexport.NoDiscount], n, 75, 92)
	for _, r := range []custexport.PriceRatio{9500, 9000, 7800} {
		if ratios[r] < 100 {
			t.Errorf("price ratio %s: %d customers, want some", r, ratios[r])
		}
	}
}

var (
	zipRE      = regexp.MustCompile(`^[0-9]{5}$`)
	icoRE      = regexp.MustCompile(`^[0-9]{8}$`)
	vatRE      = regexp.MustCompile(`^(CZ[0-9]{8}|SK[12]0[0-9]{8})$`)
	emailRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z._]*[0-9]+@[a-z0-9-]+(\.[a-z0-9-]+)+$`)
	houseNumRE = regexp.MustCompile(`^[1-9][0-9]*(/[1-9][0-9]*)?[a-d]?$`)
)

func TestFieldsValid(t *testing.T) {
	cs := hundredK()
	for i := range cs {
		c := &cs[i]
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("customer %d (%s): %s", i, c.GUID, fmt.Sprintf(format, args...))
		}
		for col := range custexport.Column(custexport.NumColumns) {
			if col.Kind() != custexport.KindText {
				continue
			}
			v := c.Text(col)
			if n := utf8.RuneCountInString(v); n > col.MaxLen() {
				fail("%s has %d characters, limit %d", col.Tag(), n, col.MaxLen())
			}
			if !utf8.ValidString(v) {
				fail("%s is not valid UTF-8", col.Tag())
			}
			for _, r := range v {
				if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
					fail("%s contains %U, which XML 1.0 forbids", col.Tag(), r)
				}
			}
		}
		if c.Email == "" || c.Billing.FullName == "" {
			fail("required e-mail or billing name is empty")
		}
		if !emailRE.MatchString(c.Email) {
			fail("e-mail %q is not a plain ASCII address", c.Email)
		}
		addrs := append([]custexport.Address{c.Billing}, c.Delivery...)
		for k, a := range addrs {
			for _, v := range []string{a.FullName, a.Company, a.Street, a.HouseNumber, a.City, a.District, a.Additional, a.Zip} {
				if utf8.RuneCountInString(v) > 255 {
					fail("address %d field %q longer than 255", k, v)
				}
			}
			if a.FullName == "" || a.City == "" {
				fail("address %d without name or city", k)
			}
			if a.CountryCode != "CZ" && a.CountryCode != "SK" {
				fail("address %d country %q", k, a.CountryCode)
			}
			if !zipRE.MatchString(a.Zip) {
				fail("address %d ZIP %q is not five digits", k, a.Zip)
			}
			if !houseNumRE.MatchString(a.HouseNumber) {
				fail("address %d house number %q", k, a.HouseNumber)
			}
		}
		if c.CompanyID != "" {
			if !icoRE.MatchString(c.CompanyID) || !validICO(c.CompanyID) {
				fail("IČO %q is not 8 digits with a valid check digit", c.CompanyID)
			}
			if c.Billing.Company == "" {
				fail("IČO without a company name")
			}
		}
		if c.VatID != "" {
			if !vatRE.MatchString(c.VatID) {
				fail("DIČ %q", c.VatID)
			}
			if c.VatID[:2] != c.Billing.CountryCode {
				fail("DIČ %q for a billing address in %s", c.VatID, c.Billing.CountryCode)
			}
			if c.VatID[:2] == "CZ" && c.VatID[2:] != c.CompanyID {
				fail("Czech DIČ %q is not CZ + IČO %q", c.VatID, c.CompanyID)
			}
		}
		if c.TaxID != "" && (c.TaxID[:2] != "SK" || c.TaxID != c.VatID) {
			fail("IČ DPH %q", c.TaxID)
		}
		if c.PriceRatio <= 0 || c.PriceRatio > custexport.NoDiscount {
			fail("price ratio %s", c.PriceRatio)
		}
		if b := c.BirthDate; !b.IsZero() {
			if _, err := custexport.ParseDate(b.String()); err != nil {
				fail("birth date %v: %v", b, err)
			}
		}
	}
}

// validICO checks the IČO mod-11 check digit.
func validICO(s string) bool {
	sum := 0
	for i := range 7 {
		sum += int(s[i]-'0') * (8 - i)
	}
	return int(s[7]-'0') == (11-sum%11)%10
}

func BenchmarkNext(b *testing.B) {
	// A count as large as a seeding run's, so that the timeline works as in real use.
	const count = 10_000_000
	g := New(1, count, testNow)
	var c custexport.Customer
	b.ReportAllocs()
	for b.Loop() {
		if !g.Next(&c) {
			g = New(1, count, testNow)
		}
	}
}
