package i18n

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

var verb = regexp.MustCompile(`%(\[\d+\])?[sdqv]`)

// Every text has both languages, and both take the same arguments.
func TestEveryTextInBothLanguages(t *testing.T) {
	for key, m := range texts {
		if m.cs == "" || m.en == "" {
			t.Errorf("%s: a language is missing: %+v", key, m)
			continue
		}
		cs, en := verb.FindAllString(m.cs, -1), verb.FindAllString(m.en, -1)
		if len(cs) != len(en) {
			t.Errorf("%s: Czech takes %v, English %v", key, cs, en)
		}
	}
}

// Every reason the domain's option rule gives has a text.
func TestEveryOptionReasonTranslated(t *testing.T) {
	for _, r := range []string{custexport.ReasonRequired, custexport.ReasonFormat, custexport.ReasonDate, custexport.ReasonRangeReversed,
		custexport.ReasonEncoding, custexport.ReasonEncodingCSV, custexport.ReasonGuard,
		custexport.ReasonTextUTF8, custexport.ReasonTextTooLong, custexport.ReasonTextControl} {
		if !Has("reason." + r) {
			t.Errorf("reason %q has no text", r)
		}
	}
	_, err := custexport.ParseExportOptions(custexport.ExportInput{Format: "xml", Encoding: "windows-1250", From: "2024-02-30", Guard: "x"},
		custexport.ExportFieldNames{Format: "f", From: "a", Until: "b", Encoding: "e", Guard: "g"})
	got := map[string]string{}
	for _, e := range custexport.ProblemsOf(err) {
		got[e.Field] = CS.Problem(e)
	}
	want := map[string]string{"a": "„2024-02-30“ není datum. Napište den, měsíc a rok, např. 31. 12. 2025.", "e": "Kódování windows-1250 je jen pro CSV; XML a XLSX jsou vždy v UTF-8.", "g": "„x“ není 0 ani 1."}
	for f, w := range want {
		if got[f] != w {
			t.Errorf("field %s: %q, want %q", f, got[f], w)
		}
	}
}

// A reason without a text, and a skipped row logged before keys existed, show their own
// (English) text rather than a key.
func TestFallbacks(t *testing.T) {
	if got := CS.Problem(&custexport.Error{Reason: "new_one", Message: "as it is"}); got != "as it is" {
		t.Errorf("unknown reason: %q", got)
	}
	if got := CS.Skip(custexport.SkippedRow{Reason: "old english"}); got != "old english" {
		t.Errorf("old row: %q", got)
	}
	if got := CS.Skip(custexport.SkippedRow{Reason: "the row has 3 fields, the header 5", Key: "field_count", Args: []string{"3", "5"}}); got != "řádek má 3 pole, záhlaví 5" {
		t.Errorf("field count: %q", got)
	}
	if got := EN.T("no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key shows %q", got)
	}
}

// The link sentence, as the admin UI showed it in both languages before it moved here, now
// also saying when the formula guard is off (as the CLI's did) and spacing the address list.
func TestLinkSentence(t *testing.T) {
	from, _ := custexport.ParseDate("2025-01-01")
	until, _ := custexport.ParseDate("2025-03-31")
	p := &custexport.Partner{Name: "Účetní", ValidUntil: until}
	opts := custexport.ExportOptions{Format: custexport.FormatCSV, Encoding: custexport.EncodingWindows1250, FormulaGuard: true, Filter: custexport.Filter{From: from, Until: until}}
	for _, tc := range []struct {
		l    Lang
		want string
	}{
		{CS, "Kdokoli, kdo má tento odkaz, si může stáhnout zákazníky registrované od 1. 1. 2025 do 31. 3. 2025 jako CSV (windows-1250), včetně jmen, e-mailů, adres a telefonů, jménem partnera „Účetní“, ale jen z adres 10.0.0.0/8, 192.0.2.1, a to do 31. 3. 2025. Přegenerováním tajného klíče partnera odkaz přestane fungovat."},
		{EN, `Anyone holding this link can download the customers registered from 1 Jan 2025 to 31 Mar 2025 as CSV (windows-1250), with names, e-mails, addresses and phone numbers, as partner "Účetní", but only from 10.0.0.0/8, 192.0.2.1, until 31 Mar 2025. Regenerating the partner's secret makes it stop working.`},
	} {
		if got := LinkSentence(tc.l, p, opts, "10.0.0.0/8,192.0.2.1"); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.l, got, tc.want)
		}
	}
	got := LinkSentence(EN, &custexport.Partner{Name: "CRM"}, custexport.ExportOptions{Format: custexport.FormatXML, Encoding: custexport.EncodingUTF8}, "")
	if want := `Anyone holding this link can download all registered customers as XML with the formula guard off, with names, e-mails, addresses and phone numbers, as partner "CRM". Regenerating the partner's secret makes it stop working.`; got != want {
		t.Errorf("no limits:\n got %s\nwant %s", got, want)
	}
}

func TestFromAcceptLanguage(t *testing.T) {
	for header, want := range map[string]Lang{"": CS, "en-GB,en;q=0.9": EN, "cs,en": CS, "sk,en": CS, "de,en;q=0.5": EN} {
		if got := FromAcceptLanguage(header); got != want {
			t.Errorf("%q: %s, want %s", header, got, want)
		}
	}
	if l, ok := Parse("fr"); ok || l != CS {
		t.Error("an unknown language code is Czech, and not ok")
	}
}

// Czech has three plural forms after a number, English two.
func TestPlural(t *testing.T) {
	for n, want := range map[int64]string{0: "polí", 1: "pole", 2: "pole", 4: "pole", 5: "polí", 11: "polí", 22: "polí", -1: "pole"} {
		if got := CS.Plural(n, "pole", "pole", "polí"); got != want {
			t.Errorf("CS %d: %q, want %q", n, got, want)
		}
	}
	for n, want := range map[int64]string{0: "fields", 1: "field", 2: "fields"} {
		if got := EN.Plural(n, "field", "fields"); got != want {
			t.Errorf("EN %d: %q, want %q", n, got, want)
		}
	}
	for _, tc := range []struct {
		l    Lang
		args []any
		want string
	}{
		{CS, []any{"1", "6"}, "řádek má 1 pole, záhlaví 6"},
		{CS, []any{"3", "6"}, "řádek má 3 pole, záhlaví 6"},
		{CS, []any{"5", "6"}, "řádek má 5 polí, záhlaví 6"},
		{EN, []any{"1", "6"}, "the row has 1 field, the header 6"},
		{EN, []any{"5", "6"}, "the row has 5 fields, the header 6"},
	} {
		if got := tc.l.T("skip.field_count", tc.args...); got != tc.want {
			t.Errorf("%s %v: %q, want %q", tc.l, tc.args, got, tc.want)
		}
	}
	// A grouped number (as the pages write 1 696) counts too.
	if got := CS.T("job.done", "1\u202f696", "1 MiB"); got != "Export je hotový: 1\u202f696 řádků, 1 MiB." {
		t.Errorf("job.done: %q", got)
	}
	if got := CS.T("job.done", "2", "1 KiB"); got != "Export je hotový: 2 řádky, 1 KiB." {
		t.Errorf("job.done: %q", got)
	}
}

func TestDates(t *testing.T) {
	d := custexport.Date{Year: 2026, Month: 12, Day: 7}
	if got := CS.Date(d); got != "7. 12. 2026" {
		t.Errorf("CS.Date: %q", got)
	}
	if got := EN.Date(d); got != "7 Dec 2026" {
		t.Errorf("EN.Date: %q", got)
	}
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 13, 5, 0, 0, time.UTC) // 14:05 in Prague
	if got := CS.Time(at, prague); got != "7. 12. 2026 14:05" {
		t.Errorf("CS.Time: %q", got)
	}
	if got := EN.Time(at, prague); got != "7 Dec 2026 14:05" {
		t.Errorf("EN.Time: %q", got)
	}
	if CS.Date(custexport.Date{}) != "" || CS.Time(time.Time{}, prague) != "" {
		t.Error("no date is no text")
	}
	for stored, want := range map[string]string{"2025-03-01..2025-03-31": "1. 3. 2025 – 31. 3. 2025", "2025-03-01..": "od 1. 3. 2025",
		"..2025-03-31": "do 31. 3. 2025", "": "", "something else": "something else"} {
		if got := CS.Filter(stored); got != want {
			t.Errorf("CS.Filter(%q) = %q, want %q", stored, got, want)
		}
	}
}

// The access log's reasons of known stored forms are said in Czech, from the texts the domain
// writes; English pages and unknown forms show the stored text.
func TestLogReason(t *testing.T) {
	p := &custexport.Partner{ID: 7, Name: `Sklad "Jih"`}
	created := custexport.PartnerCreatedEvent(p)
	p.ValidUntil = custexport.Date{Year: 2027, Month: 1, Day: 31}
	createdUntil := custexport.PartnerCreatedEvent(p)
	for stored, want := range map[string]string{
		created:      `partner 7 „Sklad "Jih"“ vytvořen (platnost do: bez omezení)`,
		createdUntil: `partner 7 „Sklad "Jih"“ vytvořen (platnost do: 31. 1. 2027)`,
		custexport.UserChangedEvent(3, "eva", "deleted", 1):          "uživatel 3 „eva“ smazán; ukončeno 1 přihlášení",
		custexport.UserChangedEvent(3, "eva", "password changed", 2): "uživateli 3 „eva“ změněno heslo; ukončena 2 přihlášení",
		`partner 2 "A" regenerated: its earlier links stop working`:  "partnerovi 2 „A“ přegenerován tajný klíč; jeho dřívější odkazy přestaly fungovat",
		`partner 2 "A" valid until 2026-05-01`:                       "partnerovi 2 „A“ změněna platnost do: 1. 5. 2026",
		`partner 2 "A" deleted`:                                      "partner 2 „A“ smazán",
		"file of export job 4 downloaded (1 rows)":                   "stažen soubor exportu 4 (1 řádek)",
		"client address 198.51.100.1 not in the link's ip list":      "adresa klienta 198.51.100.1 není v seznamu IP adres odkazu",
		"hash given 2 times":                                         "parametr hash uveden 2×",
		"hash alone matches no partner's link without parameters for /export/customers.csv (a link with dates, ip, encoding or guard needs its partnerId and parameters)": "samotný hash nepatří k odkazu bez parametrů žádného partnera pro /export/customers.csv",
		"hash alone is the link of partner 3 for /export/customers.xml, not /export/customers.csv":                                                                        "samotný hash je odkaz partnera 3 pro /export/customers.xml, ne pro /export/customers.csv",
		"partnerId missing (a hash alone may come only with dateFrom and dateUntil; got guard)":                                                                           "chybí partnerId (se samotným hashem smí přijít jen dateFrom a dateUntil; přišlo guard)",
		"headers only (HEAD): nothing exported":                              "jen hlavičky (HEAD): nic se neexportovalo",
		"dateFrom: is empty (a date YYYY-MM-DD, or leave the parameter out)": "parametr dateFrom je prázdný",
		"dateUntil: given 2 times":                                           "parametr dateUntil uveden 2×",
		"something new":                                                      "something new",
	} {
		if got := CS.LogReason(stored); got != want {
			t.Errorf("CS.LogReason(%q)\n got %q\nwant %q", stored, got, want)
		}
		if got := EN.LogReason(stored); got != stored {
			t.Errorf("EN.LogReason(%q) = %q, want it as stored", stored, got)
		}
	}
	if got := CS.Principal(custexport.Principal{Kind: custexport.PrincipalUser, Name: "admin"}); got != "uživatel: admin" {
		t.Errorf("CS.Principal: %q", got)
	}
	if got := CS.Outcome(custexport.OutcomeRateLimited); got != "zablokováno (příliš mnoho pokusů)" {
		t.Errorf("CS.Outcome: %q", got)
	}
	if got := CS.Outcome("future"); got != "future" {
		t.Errorf("an unknown outcome: %q", got)
	}
}

// Every English phrase the Czech-page test looks for is a real phrase, and there are many.
func TestEnglishFragments(t *testing.T) {
	f := EnglishFragments()
	if len(f) < 100 {
		t.Fatalf("only %d English fragments", len(f))
	}
	for _, s := range f {
		if strings.ContainsAny(s, "%{}") {
			t.Errorf("fragment %q still holds a verb or mark", s)
		}
	}
}

// Every kind of import warning and every plausibility rule (issue 17) is said in both languages:
// the import page shows them by key, never the English of the CLI.
func TestEveryImportWarningAndRuleTranslated(t *testing.T) {
	for _, k := range []string{custexport.WarnZerosLost, custexport.WarnNumberFormat, custexport.WarnDate,
		custexport.WarnScientific, custexport.WarnCRLF, custexport.WarnCompanyIDCheck} {
		if !Has("warn." + k) {
			t.Errorf("no text for the import warning %s", k)
		}
		w := custexport.ImportWarning{Key: k, Reason: "english"}
		if CS.Warning(w) == "english" || EN.Warning(w) == "english" {
			t.Errorf("warning %s is shown in English", k)
		}
	}
	for _, r := range []string{custexport.ReasonPriceRatioRange, custexport.ReasonZip, custexport.ReasonCompanyID,
		custexport.ReasonCountryCode, custexport.ReasonControlChars, custexport.ReasonFutureDate,
		custexport.ReasonTimeMissing, custexport.ReasonTimeTwice} {
		if !Has("skip." + r) {
			t.Errorf("no skip text for the plausibility rule %s", r)
		}
	}
}
