package seed

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
)

// tables are the derived lookup tables. Building every full name, company name and house
// number once lets Next pick finished strings instead of formatting them per customer, which
// keeps it within its time and allocation budget.
type tables struct {
	country      [2]countryTable // czech, slovak
	legalPick    []uint8         // index into legalForms, repeated by weight
	emailPick    []uint8         // index of an e-mail local-part layout, repeated by weight
	houseNumbers []string
	longRemark   string
}

// countryTable is countryData turned into pick-ready form. Gender indices: 0 male, 1 female.
type countryTable struct {
	code       string
	first      [2][]string
	firstKey   [2][]string // ASCII-folded first names, case kept, for e-mails
	lastKey    [2][]string // ASCII-folded surnames
	surnameN   int
	fullName   [2][]string // [gender][first*surnameN+surname]
	streets    []string
	cities     []city
	cityPick   []uint16
	domains    []string
	domainPick []uint8
	// companies holds base+legal form, index (base*len(legalForms)+form)*2+sep, where sep 0
	// writes "Base s.r.o." and 1 writes "Base, s.r.o." (both occur in real data).
	companies     []string
	companyDomain []string // per base: "stavby-novak.cz"
	additional    []string
	phonePrefix   []string
	phoneForms    []string
	phonePick     []uint8
}

// emailLayouts are the local-part layouts of e-mail addresses; see appendEmail.
var emailLayouts = []int{
	30, // jan.novak
	10, // novak.jan
	5,  // jan_novak
	15, // jannovak
	15, // jnovak
	5,  // j.novak
	10, // novak
	5,  // jan
	5,  // jan.novak.
}

var getTables = sync.OnceValue(buildTables)

func buildTables() *tables {
	t := &tables{
		legalPick: expand[uint8](weightsOf(legalForms)),
		emailPick: expand[uint8](emailLayouts),
	}
	t.country[0] = buildCountry(&czech)
	t.country[1] = buildCountry(&slovak)
	t.houseNumbers = buildHouseNumbers()

	// One long, multi-paragraph remark, for exporters' buffer boundaries.
	var sb strings.Builder
	for i := 1; i <= 12; i++ {
		sb.WriteString("Bod ")
		sb.WriteString(strconv.Itoa(i))
		sb.WriteString(": Zákazník si přeje doručení v pracovní dny mezi 8:00 a 16:00; ")
		sb.WriteString("při nepřítomnosti volat \"paní na recepci\".\r\n")
	}
	t.longRemark = sb.String()
	return t
}

func buildCountry(d *countryData) countryTable {
	ct := countryTable{
		code:        d.code,
		surnameN:    len(d.surnames),
		streets:     d.streets,
		cities:      d.cities,
		additional:  d.additional,
		phonePrefix: d.phone.prefixes,
	}
	ct.first[0], ct.first[1] = d.maleFirst, d.femaleFirst
	for g := range 2 {
		for _, f := range ct.first[g] {
			ct.firstKey[g] = append(ct.firstKey[g], fold(f))
		}
		for _, s := range d.surnames {
			ct.lastKey[g] = append(ct.lastKey[g], fold(s[g]))
		}
		ct.fullName[g] = make([]string, 0, len(ct.first[g])*len(d.surnames))
		for _, f := range ct.first[g] {
			for _, s := range d.surnames {
				ct.fullName[g] = append(ct.fullName[g], f+" "+s[g])
			}
		}
	}
	cw := make([]int, len(d.cities))
	for i, c := range d.cities {
		cw[i] = c.weight
	}
	ct.cityPick = expand[uint16](cw)
	for _, w := range d.domains {
		ct.domains = append(ct.domains, w.value)
	}
	ct.domainPick = expand[uint8](weightsOf(d.domains))
	for _, base := range d.companyBases {
		for _, form := range legalForms {
			ct.companies = append(ct.companies, base+" "+form.value, base+", "+form.value)
		}
		ct.companyDomain = append(ct.companyDomain, slug(base)+"."+d.companyTLD)
	}
	for _, w := range d.phone.forms {
		ct.phoneForms = append(ct.phoneForms, w.value)
	}
	ct.phonePick = expand[uint8](weightsOf(d.phone.forms))
	return ct
}

// buildHouseNumbers makes the table of house numbers in the forms Czech and Slovak addresses
// use: "12", "1234/5" (land-registry / street number), "12a", "1234/5b". It uses its own fixed
// seed: the table is data, the same for every generator.
func buildHouseNumbers() []string {
	r := rand.New(rand.NewPCG(0x686f757365, 0x6e756d626572))
	out := make([]string, 4096)
	for i := range out {
		var b []byte
		switch k := r.IntN(100); {
		case k < 50:
			b = strconv.AppendInt(b, int64(1+r.IntN(1+r.IntN(150))), 10)
		case k < 85:
			b = strconv.AppendInt(b, int64(1+r.IntN(3500)), 10)
			b = append(b, '/')
			b = strconv.AppendInt(b, int64(1+r.IntN(1+r.IntN(80))), 10)
		case k < 95:
			b = strconv.AppendInt(b, int64(1+r.IntN(1+r.IntN(150))), 10)
			b = append(b, byte('a'+r.IntN(4)))
		default:
			b = strconv.AppendInt(b, int64(1+r.IntN(3500)), 10)
			b = append(b, '/')
			b = strconv.AppendInt(b, int64(1+r.IntN(40)), 10)
			b = append(b, byte('a'+r.IntN(3)))
		}
		out[i] = string(b)
	}
	return out
}

func weightsOf(ws []weighted) []int {
	out := make([]int, len(ws))
	for i, w := range ws {
		out[i] = w.weight
	}
	return out
}

// expand turns weights into a table of indices, each repeated weight times, so that a
// weighted pick is one uniform index into it.
func expand[Index uint8 | uint16](weights []int) []Index {
	var out []Index
	for i, w := range weights {
		for range w {
			out = append(out, Index(i))
		}
	}
	return out
}

// foldFrom and foldTo pair each accented letter of Czech, Slovak and the Hungarian names common
// in Slovakia with its ASCII letter.
var (
	foldFrom = []rune("áäčďéěíĺľňóôöŕřšťúůüýžÁÄČĎÉĚÍĹĽŇÓÔÖŔŘŠŤÚŮÜÝŽ")
	foldTo   = []rune("aacdeeillnooorrstuuuyzAACDEEILLNOOORRSTUUUYZ")
)

// fold removes diacritics, keeping case: "Kováčová" → "Kovacova". It panics on a letter it does
// not know, so that a new name in data.go cannot put non-ASCII into e-mail addresses.
func fold(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
			continue
		}
		i := 0
		for i < len(foldFrom) && foldFrom[i] != r {
			i++
		}
		if i == len(foldFrom) {
			panic("seed: no ASCII folding for " + strconv.QuoteRune(r) + " in " + strconv.Quote(s))
		}
		b.WriteRune(foldTo[i])
	}
	return b.String()
}

// slug makes a web-domain label from a company name: "Novák & syn" → "novak-syn".
func slug(s string) string {
	var b []byte
	dash := false
	for _, r := range fold(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		default:
			dash = len(b) > 0
			continue
		}
		if dash {
			b = append(b, '-')
			dash = false
		}
		b = append(b, byte(r))
	}
	return string(b)
}
