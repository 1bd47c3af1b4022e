package web

import (
	"fmt"
	"net/http"
)

// lang is the admin UI's language: "cs" (the default, the shop's language) or "en".
type lang string

const (
	langCS lang = "cs"
	langEN lang = "en"
)

// langCookie remembers the language chosen with the switch.
const langCookie = "custexport_lang"

// requestLang is the language of a page: the remembered choice, else Accept-Language, else
// Czech.
func requestLang(r *http.Request) lang {
	if c, err := r.Cookie(langCookie); err == nil {
		switch lang(c.Value) {
		case langCS, langEN:
			return lang(c.Value)
		}
	}
	if prefersEnglish(r) {
		return langEN
	}
	return langCS
}

// T translates a key of uiText, formatting args into it. A missing key shows itself, so a
// forgotten translation is visible rather than blank.
func (l lang) T(key string, args ...any) string {
	m, ok := uiText[key]
	if !ok {
		return key
	}
	text := m.cs
	if l == langEN {
		text = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(text, args...)
	}
	return text
}

// uiText is every text of the admin pages. The Czech labels are the shop's (SPEC section 8).
var uiText = map[string]message{
	"app":                  {"Export zákazníků", "Customer export"},
	"nav.customers":        {"Zákazníci", "Customers"},
	"nav.export":           {"Export", "Export"},
	"nav.log":              {"Přístupový log", "Access log"},
	"nav.settings":         {"Nastavení", "Settings"},
	"nav.partners":         {"Zabezpečení exportů", "Export security"},
	"nav.logout":           {"Odhlásit", "Log out"},
	"nav.signedin":         {"Přihlášen: %s", "Signed in: %s"},
	"lang.switch":          {"English", "Čeština"},
	"login.title":          {"Přihlášení", "Sign in"},
	"login.user":           {"Uživatelské jméno", "User name"},
	"login.password":       {"Heslo", "Password"},
	"login.submit":         {"Přihlásit", "Sign in"},
	"login.wrong":          {"Nesprávné jméno nebo heslo.", "Wrong user name or password."},
	"login.limited":        {"Příliš mnoho neúspěšných pokusů. Zkuste to znovu za %d s.", "Too many failed attempts. Try again in %d s."},
	"login.expired":        {"Relace vypršela. Přihlaste se prosím znovu.", "Your session has expired. Please sign in again."},
	"customers.title":      {"Zákazníci", "Customers"},
	"customers.search":     {"Hledat (jméno, e-mail, firma, IČO)", "Search (name, e-mail, company, company ID)"},
	"customers.go":         {"Hledat", "Search"},
	"customers.total":      {"Celkem: %s", "Total: %s"},
	"customers.none":       {"Žádný zákazník neodpovídá.", "No customer matches."},
	"col.name":             {"Jméno", "Name"},
	"col.email":            {"E-mail", "E-mail"},
	"col.company":          {"Firma", "Company"},
	"col.companyid":        {"IČO", "Company ID"},
	"col.city":             {"Město", "City"},
	"col.registered":       {"Registrace", "Registered"},
	"page.prev":            {"← Předchozí", "← Previous"},
	"page.next":            {"Další →", "Next →"},
	"page.of":              {"Strana %d z %d", "Page %d of %d"},
	"export.title":         {"Export zákazníků", "Customer export"},
	"export.tab":           {"Export", "Export"},
	"export.logtab":        {"Přístupový log", "Access log"},
	"export.customers":     {"Registrovaní zákazníci", "Registered customers"},
	"export.from":          {"od", "from"},
	"export.until":         {"do", "until"},
	"export.format":        {"Typ exportu", "Export type"},
	"export.encoding":      {"Kódování", "Encoding"},
	"export.encnote":       {"(jen CSV)", "(CSV only)"},
	"export.guard":         {"Ochrana proti vzorcům", "Formula guard"},
	"export.guardnote":     {"Hodnoty začínající =, +, -, @ dostanou apostrof, aby je tabulkový procesor nespustil jako vzorec.", "Values starting with =, +, -, @ get an apostrophe so that a spreadsheet does not run them as formulas."},
	"export.start":         {"Exportovat", "Export"},
	"export.busy":          {"Export již probíhá. Počkejte na jeho dokončení.", "An export is already running. Wait until it has finished."},
	"job.running":          {"Export běží…", "Export running…"},
	"job.rows":             {"%s z %s řádků", "%s of %s rows"},
	"job.done":             {"Export je hotový: %s řádků, %s.", "Export finished: %s rows, %s."},
	"job.download":         {"Stáhnout soubor", "Download the file"},
	"job.kept":             {"Soubor je k dispozici do %s.", "The file is kept until %s."},
	"job.replaced":         {"%s znaků nešlo zapsat ve windows-1250 a jsou nahrazeny otazníkem.", "%s characters cannot be written in windows-1250 and were replaced by a question mark."},
	"job.failed":           {"Export se nepodařil: %s", "The export failed: %s"},
	"job.expired":          {"Soubor tohoto exportu již vypršel (uchovává se 24 hodin). Spusťte export znovu.", "This export's file has expired (files are kept for 24 hours). Run the export again."},
	"job.refresh":          {"Obnovit stav", "Refresh"},
	"job.of":               {"Export %s, %s", "Export %s, %s"},
	"link.title":           {"Permanentní odkaz", "Permanent link"},
	"link.partner":         {"Zabezpečení exportů (partner)", "Export security (partner)"},
	"link.nopartner":       {"Nejdříve vytvořte partnera v Nastavení → Zabezpečení exportů.", "First create a partner in Settings → Export security."},
	"link.ip":              {"Povolit pouze z určité IP adresy", "Allow only from certain IP addresses"},
	"link.iphelp":          {"Adresy nebo rozsahy CIDR oddělené čárkou, IPv4 i IPv6, např. 203.0.113.7, 2001:db8::/32", "Addresses or CIDR ranges separated by commas, IPv4 and IPv6, e.g. 203.0.113.7, 2001:db8::/32"},
	"link.make":            {"Vytvořit odkaz", "Make the link"},
	"link.copy":            {"Kopírovat", "Copy"},
	"link.copied":          {"Zkopírováno", "Copied"},
	"link.http":            {"Pozor: adresa serveru začíná http://, odkaz i data zákazníků tak po síti putují nešifrovaně. Nastavte --public-url na https://.", "Warning: the server address is plain http://, so the link and the customer data cross the network unencrypted. Set --public-url to https://."},
	"log.title":            {"Přístupový log", "Access log"},
	"log.principal":        {"Kdo", "Who"},
	"log.outcome":          {"Výsledek", "Outcome"},
	"log.any":              {"vše", "any"},
	"log.filter":           {"Filtrovat", "Filter"},
	"log.csv":              {"Stáhnout jako CSV", "Download as CSV"},
	"log.none":             {"Žádný záznam neodpovídá.", "No entry matches."},
	"log.time":             {"Čas", "Time"},
	"log.channel":          {"Kanál", "Channel"},
	"log.client":           {"IP adresa", "IP address"},
	"log.format":           {"Formát", "Format"},
	"log.filtercol":        {"Filtr", "Filter"},
	"log.rows":             {"Řádků", "Rows"},
	"log.reason":           {"Důvod", "Reason"},
	"partners.title":       {"Zabezpečení exportů", "Export security"},
	"partners.intro":       {"Partner (účetní, sklad, CRM…) stahuje zákazníky podepsaným odkazem. Přegenerování nebo smazání zneplatní všechny jeho dosavadní odkazy; ostatních partnerů se netýká.", "A partner (accounting, warehouse, CRM…) downloads customers by a signed link. Regenerating or deleting invalidates all its links so far; other partners are not affected."},
	"partners.new":         {"Nový partner", "New partner"},
	"partners.name":        {"Název", "Name"},
	"partners.note":        {"Poznámka", "Note"},
	"partners.until":       {"Platnost do", "Valid until"},
	"partners.create":      {"Vytvořit partnera", "Create partner"},
	"partners.created":     {"Partner %s byl vytvořen.", "Partner %s was created."},
	"partners.none":        {"Zatím žádný partner.", "No partners yet."},
	"partners.state":       {"Stav", "State"},
	"partners.lastuse":     {"Naposledy použit", "Last used"},
	"partners.never":       {"nikdy", "never"},
	"partners.noexp":       {"bez omezení", "no limit"},
	"partners.active":      {"aktivní", "active"},
	"partners.expired":     {"vypršel", "expired"},
	"partners.regen":       {"Přegenerovat", "Regenerate"},
	"partners.delete":      {"Smazat", "Delete"},
	"partners.link":        {"Odkaz", "Link"},
	"partners.regenq":      {"Přegenerovat tajný klíč partnera %s? Všechny jeho dosavadní odkazy přestanou fungovat.", "Regenerate the secret of partner %s? All its links so far stop working."},
	"partners.deleteq":     {"Smazat partnera %s? Všechny jeho odkazy přestanou fungovat.", "Delete partner %s? All its links stop working."},
	"partners.regened":     {"Tajný klíč partnera %s byl přegenerován; jeho staré odkazy už nefungují.", "The secret of partner %s was regenerated; its old links no longer work."},
	"partners.deleted":     {"Partner %s byl smazán.", "Partner %s was deleted."},
	"account.title":        {"Změna hesla", "Change password"},
	"account.link":         {"Heslo", "Password"},
	"account.current":      {"Současné heslo", "Current password"},
	"account.new":          {"Nové heslo", "New password"},
	"account.repeat":       {"Nové heslo znovu", "New password again"},
	"account.hint":         {"Alespoň %d znaků; žádná další pravidla. Změna odhlásí všechna ostatní přihlášení.", "At least %d characters; no other rules. Changing it signs out every other session."},
	"account.submit":       {"Změnit heslo", "Change password"},
	"account.changed":      {"Heslo bylo změněno; ostatní přihlášení byla ukončena.", "The password was changed; other sessions were signed out."},
	"account.wrongcurrent": {"Současné heslo nesouhlasí.", "The current password is wrong."},
	"account.policy":       {"Heslo musí mít alespoň %d znaků (a nejvýše 1024 bajtů).", "The password needs at least %d characters (and at most 1024 bytes)."},
	"account.mismatch":     {"Hesla se neshodují.", "The passwords do not match."},
	"nav.import":           {"Import", "Import"},
	"import.title":         {"Import zákazníků", "Customer import"},
	"import.tab":           {"Import", "Import"},
	"import.logtab":        {"Log", "Log"},
	"import.logtitle":      {"Log importů", "Import log"},
	"import.intro":         {"Nahrajte CSV z exportu (upravené v tabulkovém procesoru). Řádky s guid upraví existující zákazníky, jen ve sloupcích, které soubor má; řádky bez guid zákazníky vytvoří. Platné řádky se uloží najednou v jedné transakci; chybné se vypíšou i s důvodem.", "Upload a CSV from the export (edited in a spreadsheet). Rows with a guid update existing customers, only in the columns the file has; rows without a guid create customers. Valid rows are saved together in one transaction; bad rows are listed with the reason."},
	"import.file":          {"Soubor CSV", "CSV file"},
	"import.encoding":      {"Kódování", "Encoding"},
	"import.auto":          {"rozpoznat automaticky", "detect"},
	"import.dryrun":        {"Jen zkontrolovat (nic neukládat)", "Check only (save nothing)"},
	"import.start":         {"Importovat", "Import"},
	"import.nofile":        {"Vyberte soubor CSV.", "Choose a CSV file."},
	"import.uploadfailed":  {"Nahrání souboru se nepodařilo.", "The upload failed."},
	"import.toolarge":      {"Soubor je větší než limit %d MiB.", "The file is larger than the limit of %d MiB."},
	"import.refused":       {"Soubor nebyl importován, nic se nezměnilo: %s", "The file was not imported, nothing changed: %s"},
	"import.report":        {"Výsledek importu", "Import report"},
	"import.dryreport":     {"Kontrola (nic nebylo uloženo)", "Check (nothing was saved)"},
	"import.detected":      {"Kódování %s, oddělovač %s", "Encoding %s, delimiter %s"},
	"import.rows":          {"Řádků", "Rows"},
	"import.created":       {"Vytvořeno", "Created"},
	"import.updated":       {"Upraveno", "Updated"},
	"import.unchanged":     {"Beze změny", "Unchanged"},
	"import.skipped":       {"Přeskočeno", "Skipped"},
	"import.unknown":       {"Neznámé sloupce (ignorovány): %s", "Unknown columns (ignored): %s"},
	"import.line":          {"Řádek", "Line"},
	"import.column":        {"Sloupec", "Column"},
	"import.reason":        {"Důvod", "Reason"},
	"import.more":          {"…a dalších %d přeskočených řádků", "…and %d more skipped rows"},
	"import.none":          {"Zatím žádný import.", "No imports yet."},
	"import.who":           {"Kdo", "Who"},
	"import.when":          {"Kdy", "When"},
	"import.filecol":       {"Soubor", "File"},
	"import.dry":           {"jen kontrola", "check only"},
	"confirm.yes":          {"Ano, provést", "Yes, do it"},
	"confirm.no":           {"Zpět", "Back"},
	"form.invalid":         {"Formulář obsahuje chyby; nic nebylo uloženo.", "The form has errors; nothing was saved."},
	"err.date":             {"Datum musí být ve tvaru RRRR-MM-DD.", "The date must be YYYY-MM-DD."},
	"err.range":            {"Datum „od“ je po datu „do“.", "The “from” date is after the “until” date."},
	"err.name":             {"Zadejte název.", "Enter a name."},
	"err.partner":          {"Vyberte partnera.", "Choose a partner."},
	"notfound":             {"Stránka nenalezena.", "Page not found."},
	"error":                {"Něco se pokazilo; podrobnosti jsou v logu serveru.", "Something went wrong; the server log has the details."},
	"yes":                  {"ano", "yes"},
	"no":                   {"ne", "no"},
}
