// Package seed generates realistic, deterministic Czech and Slovak customers for demos, load
// tests and benchmarks of the export.
//
// The customers look like a real shop's: names with diacritics (female surnames in -ová),
// e-mails derived from them, CZ and SK addresses with ZIP codes that start with zero, companies
// with IČO, DIČ and IČ DPH, phones typed in every way people type them, several delivery
// addresses, discounts, and remarks containing what breaks exporters (new lines, ';', quotes,
// leading '=', '+', '-', '@', emoji, CJK).
//
// The output depends only on the arguments of New: the generator draws from its own PCG source,
// uses integer arithmetic only (no float rounding or fused multiply-add differences between
// CPUs), never iterates a map and never reads the clock, so one (seed, count, now) yields
// byte-identical customers on every run and every machine.
package seed

import (
	"math/bits"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/custexport/custexport"
)

// Generator yields customers in registration order (ascending RegistrationDate, ties broken
// by GUID ascending) so that a store can insert them in export order. It is not safe for
// concurrent use.
type Generator struct {
	t      *tables
	rng    rand.PCG
	count  int
	n      int   // customers produced so far
	nowSec int64 // the last second a date may fall on
	tl     timeline
	buf    []byte // scratch for the strings built per customer

	// The previous customer's registration second and GUID, to keep GUIDs ascending within
	// one second when there are more customers than seconds (see guid).
	prevSec        int64
	prevHi, prevLo uint64
}

// New returns a generator of count customers registered during the ten years before now.
func New(seed uint64, count int, now time.Time) *Generator {
	now = now.UTC() // the window must not depend on the caller's time zone
	start := now.AddDate(-10, 0, 0)
	startSec := start.Unix()
	if start.Nanosecond() != 0 {
		startSec++ // the first date must not fall before now-10y
	}
	return newGenerator(seed, count, startSec, now.Unix())
}

// newGenerator spreads the registrations over [startSec, endSec]; tests use it with a short
// window to reach the case of more customers than seconds.
func newGenerator(seed uint64, count int, startSec, endSec int64) *Generator {
	g := &Generator{
		t:      getTables(),
		count:  max(count, 0),
		nowSec: endSec,
		buf:    make([]byte, 0, 256),
	}
	// The second PCG word is fixed: the seed alone selects the stream.
	g.rng.Seed(seed, 0x637573746578706f)
	if endSec < startSec {
		endSec = startSec
		g.nowSec = startSec
	}
	// Prefer the daily rhythm; fall back to a flat timeline when it cannot give every
	// customer its own second.
	for _, w := range []*[24]int64{&hourWeights, &flatWeights} {
		g.tl.init(w)
		g.tl.base = g.tl.units(startSec)
		g.tl.span = uint64(g.tl.units(endSec+1) - g.tl.base)
		if g.tl.span >= uint64(g.count) {
			break
		}
	}
	return g
}

// Next fills *c with the next customer, reusing the capacity of c.Delivery, and reports
// whether there was one; it returns false once count customers have been produced.
func (g *Generator) Next(c *custexport.Customer) bool {
	if g.n >= g.count {
		return false
	}
	seq := g.n
	g.n++
	t := g.t

	sec := g.registration(seq)
	hi, lo := g.guid(sec)

	ct := &t.country[0]
	other := &t.country[1]
	if g.chance(250) {
		ct, other = other, ct
	}
	gender := 0
	if g.chance(520) {
		gender = 1
	}
	first := g.intn(len(ct.first[gender]))
	last := g.intn(ct.surnameN)
	name := ct.fullName[gender][first*ct.surnameN+last]
	title := ""
	if g.chance(50) {
		title = titles[g.intn(len(titles))]
	}

	// The strings that cannot come from a table (GUID, titled name, IDs, e-mail, phone) are
	// appended to one scratch buffer and turned into one string below, which the fields then
	// slice: one allocation per customer instead of one per field.
	b := g.buf[:0]
	b = appendUUID(b, hi, lo)
	ah, al := accountUUID(hi, lo)
	b = appendUUID(b, ah, al)
	nameStart := len(b)
	if title != "" {
		b = append(b, title...)
		b = append(b, ' ')
		b = append(b, name...)
	}
	nameEnd := len(b)

	// About 30 % are companies: a firm with a legal form, a self-employed person trading under
	// their own name, or now and then a name starting with a formula character.
	isCompany := g.chance(300)
	soleTrader := false
	company, companyDomain := "", ""
	var icoStart, icoEnd, vatStart, vatEnd int
	hasTaxID := false
	if isCompany {
		switch {
		case g.chance(5):
			company = guardCompanies[g.intn(len(guardCompanies))]
		case g.chance(200):
			soleTrader = true // a self-employed person trades under their own name
		default:
			base := g.intn(len(ct.companyDomain))
			form := int(t.legalPick[g.intn(len(t.legalPick))])
			company = ct.companies[(base*len(legalForms)+form)*2+g.intn(2)]
			if g.chance(400) {
				companyDomain = ct.companyDomain[base]
			}
		}
		hasICO := g.chance(970)
		hasVAT := hasICO && g.chance(780)
		if ct.code == "CZ" {
			// Czech DIČ is "CZ" + IČO, so the IČO is a substring of it.
			vatStart = len(b)
			b = append(b, 'C', 'Z')
			icoStart = len(b)
			b = g.appendICO(b)
			icoEnd = len(b)
			if hasVAT {
				vatEnd = len(b)
			} else {
				vatStart = 0
			}
			if !hasICO {
				icoStart, icoEnd = 0, 0
			}
		} else {
			icoStart = len(b)
			b = g.appendICO(b)
			icoEnd = len(b)
			if !hasICO {
				icoStart, icoEnd = 0, 0
			}
			// Slovak DIČ: ten digits, "20…" for companies and "10…" for the self-employed;
			// VAT payers also have IČ DPH, the same number the shop stores with the prefix.
			vatStart = len(b)
			b = append(b, 'S', 'K')
			b = g.appendSKTaxNumber(b, soleTrader)
			vatEnd = len(b)
			if !hasVAT {
				vatStart, vatEnd = 0, 0
			}
			hasTaxID = hasVAT && g.chance(600)
		}
	}

	emailStart := len(b)
	b = g.appendEmail(b, ct, gender, first, last, seq+1, companyDomain)
	emailEnd := len(b)

	phoneStart := len(b)
	if !g.chance(80) {
		b = g.appendPhone(b, ct)
	}
	phoneEnd := len(b)

	g.buf = b
	s := string(b)

	*c = custexport.Customer{Delivery: c.Delivery[:0]}
	c.GUID = s[:36]
	c.AccountGUID = s[36:72]
	c.Email = s[emailStart:emailEnd]
	c.RegistrationDate = time.Unix(sec, 0).UTC()
	if nameEnd > nameStart {
		name = s[nameStart:nameEnd]
	}
	if soleTrader {
		company = name
	}
	c.CompanyID = s[icoStart:icoEnd]
	c.VatID = s[vatStart:vatEnd]
	if hasTaxID {
		c.TaxID = c.VatID
	}
	c.Phone = s[phoneStart:phoneEnd]

	c.Billing = g.address(ct, name, company)
	if g.chance(3) {
		c.Billing.Street = guardStreets[g.intn(len(guardStreets))]
	}
	g.deliveries(c, ct, other, gender, first, last, isCompany)
	g.pricing(c, isCompany)
	if g.chance(600) {
		c.BirthDate = g.birthDate(c.RegistrationDate.Year())
	}
	c.Remark = g.remark()
	c.DisabledOrders = g.chance(20)
	change := sec
	if !g.chance(350) && g.nowSec > sec {
		change += int64(g.uint64n(uint64(g.nowSec - sec + 1)))
	}
	c.ChangeTime = time.Unix(change, 0).UTC()
	return true
}

// deliveries fills c.Delivery: about a quarter of customers have none, most have one (often
// the billing address itself), some two or three; the first is the default.
func (g *Generator) deliveries(c *custexport.Customer, ct, other *countryTable, gender, first, last int, isCompany bool) {
	n := 0
	switch r := g.intn(100); {
	case r < 25:
	case r < 87:
		n = 1
	case r < 96:
		n = 2
	default:
		n = 3
	}
	for k := range n {
		if k == 0 && g.chance(700) {
			c.Delivery = append(c.Delivery, c.Billing)
			continue
		}
		dct := ct
		if g.chance(30) {
			dct = other // a parcel for family or a branch across the border
		}
		name := c.Billing.FullName
		switch r := g.intn(10); {
		case r < 5:
		case r < 8:
			// a relative: same surname, either gender
			gg := g.intn(2)
			f := first
			if gg != gender || g.chance(500) {
				f = g.intn(len(ct.first[gg]))
			}
			name = ct.fullName[gg][f*ct.surnameN+last]
		default:
			gg := g.intn(2)
			name = ct.fullName[gg][g.intn(len(ct.fullName[gg]))]
		}
		company := ""
		if isCompany && g.chance(500) {
			company = c.Billing.Company
		}
		c.Delivery = append(c.Delivery, g.address(dct, name, company))
	}
}

// address draws a postal address in the country of ct.
func (g *Generator) address(ct *countryTable, name, company string) custexport.Address {
	cy := &ct.cities[ct.cityPick[g.intn(len(ct.cityPick))]]
	a := custexport.Address{
		FullName:    name,
		Company:     company,
		Street:      ct.streets[g.intn(len(ct.streets))],
		HouseNumber: g.t.houseNumbers[g.intn(len(g.t.houseNumbers))],
		City:        cy.name,
		District:    cy.district,
		Zip:         cy.zip,
		CountryCode: ct.code,
	}
	if g.chance(15) {
		a.Street = "" // a village without street names: the house number alone
	}
	if g.chance(80) {
		a.Additional = ct.additional[g.intn(len(ct.additional))]
	}
	return a
}

// Customer groups and price lists as a shop names them.
const (
	groupRetail    = "Maloobchod"
	groupWholesale = "Velkoobchod"
	groupVIP       = "VIP"
	listMain       = "Hlavní ceník"
	listWholesale  = "Velkoobchodní ceník"
)

var (
	wholesaleRatios = []custexport.PriceRatio{9000, 8500, 7800, 9500}
	vipRatios       = []custexport.PriceRatio{9500, 9000}
	otherRatios     = []custexport.PriceRatio{9500, 9000, 9700, 7800}
)

// customerGroups are the groups a customer may be in (none is the most common); the cutoffs
// are cumulative percentages: a company is in wholesale with 35 %, retail 15 %, VIP 5 %.
var (
	customerGroups      = [3]string{groupWholesale, groupRetail, groupVIP}
	companyGroupCutoffs = [3]int{35, 50, 55}
	personGroupCutoffs  = [3]int{2, 22, 27}
)

// pricing sets the customer group, price list and price ratio; wholesale goes mostly to
// companies and always comes with a discount.
func (g *Generator) pricing(c *custexport.Customer, isCompany bool) {
	cutoffs := &personGroupCutoffs
	if isCompany {
		cutoffs = &companyGroupCutoffs
	}
	r := g.intn(100)
	for i, cutoff := range cutoffs {
		if r < cutoff {
			c.CustomerGroup = customerGroups[i]
			break
		}
	}
	c.PriceRatio = custexport.NoDiscount
	switch c.CustomerGroup {
	case groupWholesale:
		c.PriceList = listWholesale
		if g.chance(100) {
			c.PriceList = listMain
		}
		c.PriceRatio = wholesaleRatios[g.intn(len(wholesaleRatios))]
	case groupVIP:
		c.PriceList = listMain
		c.PriceRatio = vipRatios[g.intn(len(vipRatios))]
	default:
		if !g.chance(150) {
			c.PriceList = listMain
		}
		if g.chance(60) {
			c.PriceRatio = otherRatios[g.intn(len(otherRatios))]
		}
	}
}

// birthDate draws the birth date of an adult: at least 18 at registration, mostly 25–50.
func (g *Generator) birthDate(regYear int) custexport.Date {
	age := 18 + g.intn(20) + g.intn(30)
	if g.chance(80) {
		age = 18 + g.intn(70)
	}
	y := regYear - age - 1 // a full year earlier: 18 even if the birthday is late in the year
	m := 1 + g.intn(12)
	return custexport.Date{Year: y, Month: time.Month(m), Day: 1 + g.intn(daysIn(y, m))}
}

// remark gives about one customer in five a remark; a quarter of those carry special
// characters, and about one customer in two hundred gets emoji or CJK.
func (g *Generator) remark() string {
	switch r := g.intn(1000); {
	case r < 5:
		return remarksExotic[g.intn(len(remarksExotic))]
	case r < 55:
		return remarksSpecial[g.intn(len(remarksSpecial))]
	case r < 198:
		return remarksPlain[g.intn(len(remarksPlain))]
	case r < 200:
		return g.t.longRemark
	}
	return ""
}

// appendEmail appends an e-mail address built from the customer's ASCII-folded name. The
// local part always ends with the sequence number, right after a letter or a dot, so the
// addresses of a run are unique even case-insensitively without remembering any of them.
func (g *Generator) appendEmail(b []byte, ct *countryTable, gender, first, last, seq int, domain string) []byte {
	f := ct.firstKey[gender][first]
	s := ct.lastKey[gender][last]
	layout := g.t.emailPick[g.intn(len(g.t.emailPick))]
	caps := g.chance(20) // some people type "Jan.Novak@…"
	switch layout {
	case 0:
		b = appendJoined(b, f, '.', s, caps)
	case 1:
		b = appendJoined(b, s, '.', f, caps)
	case 2:
		b = appendJoined(b, f, '_', s, caps)
	case 3:
		b = appendName(b, f, caps)
		b = appendName(b, s, false)
	case 4:
		b = appendName(b, f[:1], caps)
		b = appendName(b, s, false)
	case 5:
		b = appendJoined(b, f[:1], '.', s, caps)
	case 6:
		b = appendName(b, s, caps)
	case 7:
		b = appendName(b, f, caps)
	default:
		b = appendJoined(b, f, '.', s, caps)
		b = append(b, '.')
	}
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, '@')
	if domain == "" {
		domain = ct.domains[ct.domainPick[g.intn(len(ct.domainPick))]]
	}
	return append(b, domain...)
}

// appendJoined appends two names with sep between them, both capitalised when caps is set.
func appendJoined(b []byte, a string, sep byte, c string, caps bool) []byte {
	b = appendName(b, a, caps)
	b = append(b, sep)
	return appendName(b, c, caps)
}

// appendName appends an ASCII name in lower case, or capitalised when caps is set.
func appendName(b []byte, s string, caps bool) []byte {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if i == 0 && caps && ch >= 'a' && ch <= 'z' {
			ch -= 'a' - 'A'
		}
		b = append(b, ch)
	}
	return b
}

// appendPhone appends a phone number laid out the way the customer typed it.
func (g *Generator) appendPhone(b []byte, ct *countryTable) []byte {
	form := ct.phoneForms[ct.phonePick[g.intn(len(ct.phonePick))]]
	prefix := ct.phonePrefix[g.intn(len(ct.phonePrefix))]
	var rest [6]byte
	v := g.intn(1000000)
	for i := 5; i >= 0; i-- {
		rest[i] = byte('0' + v%10)
		v /= 10
	}
	var ai, bi, ci int
	for i := 0; i < len(form); i++ {
		switch ch := form[i]; ch {
		case 'A':
			b = append(b, prefix[ai])
			ai++
		case 'B':
			b = append(b, rest[bi])
			bi++
		case 'C':
			b = append(b, rest[3+ci])
			ci++
		default:
			b = append(b, ch)
		}
	}
	return b
}

// appendICO appends an 8-digit IČO with a valid mod-11 check digit; about one in seven starts
// with "00", as the IČOs of old firms and public bodies do.
func (g *Generator) appendICO(b []byte) []byte {
	var body int
	if g.chance(150) {
		body = g.intn(100000)
	} else {
		body = 1000000 + g.intn(9000000)
	}
	var d [8]byte
	sum := 0
	for i := 6; i >= 0; i-- {
		digit := body % 10
		body /= 10
		d[i] = byte('0' + digit)
		sum += digit * (8 - i)
	}
	d[7] = byte('0' + (11-sum%11)%10)
	return append(b, d[:]...)
}

// appendSKTaxNumber appends a 10-digit Slovak DIČ: "20…" for companies, "10…" for the
// self-employed, divisible by 11 as Slovak VAT numbers are.
func (g *Generator) appendSKTaxNumber(b []byte, person bool) []byte {
	prefix := int64(2000000000)
	if person {
		prefix = 1000000000
	}
	n := prefix + int64(g.intn(100000000))
	n -= n % 11
	if n < prefix {
		n += 11
	}
	return strconv.AppendInt(b, n, 10)
}

// registration draws the registration second of customer i. The window's timeline is cut into
// count equal slots and customer i lands at a random point of slot i: evenly spread over the
// years, jittered, and ascending without any sorting.
func (g *Generator) registration(i int) int64 {
	lo := mulDiv(uint64(i), g.tl.span, uint64(g.count))
	hi := mulDiv(uint64(i+1), g.tl.span, uint64(g.count))
	u := lo
	if hi > lo {
		u += g.uint64n(hi - lo)
	}
	return g.tl.second(g.tl.base + int64(u))
}

// guid draws a random version-4 UUID as two halves (hi, lo) in string order. Registration
// seconds are distinct unless there are more customers than seconds in the window; then a
// customer sharing the previous one's second gets a GUID above the previous one, so that
// (registrationDate, guid) still ascends.
func (g *Generator) guid(sec int64) (uint64, uint64) {
	hi := g.rng.Uint64()&^0xf000 | 0x4000     // version 4
	lo := g.rng.Uint64()&^(0xc<<60) | 0x8<<60 // variant 10
	if g.n > 1 && sec == g.prevSec && !lessUUID(g.prevHi, g.prevLo, hi, lo) {
		hi, lo = uuidAfter(g.prevHi, g.prevLo)
	}
	g.prevSec, g.prevHi, g.prevLo = sec, hi, lo
	return hi, lo
}

// accountUUID derives the customer's account guid from its guid: each half's random bits (60 of
// hi, 62 of lo) go through a bijection (xor-shift, odd multiplier), so distinct guids give
// distinct account guids, and the random stream — every other field of every customer — stays
// what it was before account guids existed.
func accountUUID(hi, lo uint64) (uint64, uint64) {
	rh := mix(hi>>16<<12|hi&0xfff, 60)
	rl := mix(lo&(1<<62-1), 62)
	return rh>>12<<16 | 0x4000 | rh&0xfff, rl | 0x8<<60
}

// mix is a bijection of the low n bits of x.
func mix(x uint64, n uint) uint64 {
	mask := uint64(1)<<n - 1
	x ^= x >> (n / 2)
	x = x * 0x9e3779b97f4a7c15 & mask
	x ^= x >> (n/2 + 1)
	return x * 0xbf58476d1ce4e5b9 & mask
}

func lessUUID(aHi, aLo, bHi, bLo uint64) bool {
	return aHi < bHi || aHi == bHi && aLo < bLo
}

// uuidAfter returns the next version-4 UUID after (hi, lo), stepping over the fixed version and
// variant bits.
func uuidAfter(hi, lo uint64) (uint64, uint64) {
	const loRandom = 1<<62 - 1
	if lo&loRandom != loRandom {
		return hi, lo + 1
	}
	r := (hi>>16<<12 | hi&0xfff) + 1 // the 60 random bits of hi
	return r>>12<<16 | 0x4000 | r&0xfff, 0x8 << 60
}

const hexDigits = "0123456789abcdef"

// appendUUID appends the lowercase canonical form 8-4-4-4-12.
func appendUUID(b []byte, hi, lo uint64) []byte {
	for i := 60; i >= 0; i -= 4 {
		if i == 28 || i == 12 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[hi>>uint(i)&0xf])
	}
	for i := 60; i >= 0; i -= 4 {
		if i == 60 || i == 44 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[lo>>uint(i)&0xf])
	}
	return b
}

// intn returns a uniform int in [0, n) by Lemire's multiply-shift. Its bias, below n/2⁶⁴, is
// irrelevant here, and it is cheaper than math/rand's rejection loop behind an interface.
func (g *Generator) intn(n int) int {
	hi, _ := bits.Mul64(g.rng.Uint64(), uint64(n))
	return int(hi)
}

func (g *Generator) uint64n(n uint64) uint64 {
	hi, _ := bits.Mul64(g.rng.Uint64(), n)
	return hi
}

// chance reports true with probability perMille/1000.
func (g *Generator) chance(perMille int) bool { return g.intn(1000) < perMille }

// mulDiv returns a*b/c without overflow; a must be at most c.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// flatWeights spread registrations evenly over the day; used when the daily rhythm has fewer
// timeline units than there are customers.
var flatWeights = [24]int64{
	3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600,
	3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600, 3600,
}

// cetOffset shifts days to Central European midnight so that the daily rhythm follows the
// shop's clock (daylight saving time is ignored: it only shapes the density).
const cetOffset = 3600

// timeline maps the registration window onto "units": an hour of weight w holds w units, so a
// uniform draw of units yields more registrations in busy hours. Units map to seconds
// monotonically, and because no weight exceeds 3600 distinct units map to distinct seconds,
// which keeps registration dates strictly ascending.
type timeline struct {
	weight [24]int64
	cum    [25]int64 // cum[h] = units in the day before hour h
	base   int64     // the unit of the window's first second
	span   uint64    // units in the window
}

func (tl *timeline) init(w *[24]int64) {
	tl.weight = *w
	for h := range 24 {
		tl.cum[h+1] = tl.cum[h] + w[h]
	}
}

// units returns the first unit whose second is at or after sec.
func (tl *timeline) units(sec int64) int64 {
	a := sec + cetOffset
	day := floorDiv(a, 86400)
	s := a - day*86400
	h, r := s/3600, s%3600
	w := tl.weight[h]
	return day*tl.cum[24] + tl.cum[h] + (r*w+3599)/3600
}

// second returns the second of unit u.
func (tl *timeline) second(u int64) int64 {
	day := floorDiv(u, tl.cum[24])
	r := u - day*tl.cum[24]
	h := 0
	for tl.cum[h+1] <= r {
		h++
	}
	k := r - tl.cum[h]
	return day*86400 + int64(h)*3600 + k*3600/tl.weight[h] - cetOffset
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
