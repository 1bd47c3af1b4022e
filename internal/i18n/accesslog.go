package i18n

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
)

// The access log in the admin's language. The log itself stays as it was written (English
// reasons, which `custexport log` prints and the hash chain covers); only what the admin page
// shows is translated: the outcome, the channel, the kind of principal and, for the reasons whose
// stored form is known, the reason.

// Outcome names an access-log outcome; an unknown one shows itself.
func (l Lang) Outcome(o custexport.Outcome) string {
	return l.known("outcome."+string(o), string(o))
}

// Channel names the way an export was asked for.
func (l Lang) Channel(c custexport.Channel) string {
	return l.known("channel."+string(c), string(c))
}

// Principal says who did something: "uživatel: Jana", "partner: Sklad", "operátor: root".
func (l Lang) Principal(p custexport.Principal) string {
	kind := l.known("principal."+string(p.Kind), string(p.Kind))
	if p.Name == "" {
		return kind
	}
	return kind + ": " + p.Name
}

// known translates key, or shows fallback for a value that has no text (a value written by a
// newer version, say).
func (l Lang) known(key, fallback string) string {
	if !Has(key) {
		return fallback
	}
	return l.T(key)
}

// storedReason is one known form of an access-log reason: its pattern over the stored English
// text and the key that says it; the pattern's groups are the text's arguments, in order.
// A group named q holds a Go-quoted name; one named d a YYYY-MM-DD day or "no expiry".
type storedReason struct {
	re  *regexp.Regexp
	key string
}

// quoted matches a name as %q writes it.
const quoted = `(?P<q>"(?:[^"\\]|\\.)*")`

// storedReasons are the reasons the stores, the engine and the partner URL write (see
// custexport.PartnerCreatedEvent, UserChangedEvent, linksign.Authorize, exporter), most
// specific first. A reason of another form is shown as it was stored.
var storedReasons = []storedReason{
	{regexp.MustCompile(`^partner (\d+) ` + quoted + ` created \(valid until (?P<d>no expiry|\d{4}-\d{2}-\d{2})\)$`), "logreason.partner_created"},
	{regexp.MustCompile(`^partner (\d+) ` + quoted + ` regenerated: its earlier links stop working$`), "logreason.partner_regenerated"},
	{regexp.MustCompile(`^partner (\d+) ` + quoted + ` valid until (?P<d>no expiry|\d{4}-\d{2}-\d{2})$`), "logreason.partner_expiry"},
	{regexp.MustCompile(`^partner (\d+) ` + quoted + ` deleted$`), "logreason.partner_deleted"},
	{regexp.MustCompile(`^user (\d+) ` + quoted + ` created$`), "logreason.user_created"},
	{regexp.MustCompile(`^user (\d+) ` + quoted + ` deleted; (\d+) sessions? ended$`), "logreason.user_deleted"},
	{regexp.MustCompile(`^user (\d+) ` + quoted + ` password changed; (\d+) sessions? ended$`), "logreason.user_password"},
	{regexp.MustCompile(`^file of export job (\d+) downloaded \((\d+) rows\)$`), "logreason.job_downloaded"},
	{regexp.MustCompile(`^unknown or deleted partner (\d+)$`), "logreason.unknown_partner"},
	{regexp.MustCompile(`^partner expired on (?P<d>\d{4}-\d{2}-\d{2})$`), "logreason.expired"},
	{regexp.MustCompile(`^client address (\S+) not in the link's ip list$`), "logreason.client_address"},
	{regexp.MustCompile(`^too many failed attempts from (\S+)$`), "logreason.rate_limited"},
	{regexp.MustCompile(`^query of (\d+) bytes$`), "logreason.query_too_long"},
	{regexp.MustCompile(`^malformed query string$`), "logreason.malformed_query"},
	{regexp.MustCompile(`^partnerId malformed`), "logreason.partner_id"},
	{regexp.MustCompile(`^hash alone matches no partner's link without parameters for (\S+) `), "logreason.hash_alone_none"},
	{regexp.MustCompile(`^hash alone is the link of partner (\d+) for (\S+), not (\S+)$`), "logreason.hash_alone_other"},
	{regexp.MustCompile(`^hash alone: hash given (\d+) times$`), "logreason.hash_alone_repeated"},
	{regexp.MustCompile(`^partnerId missing \(a hash alone may come only with dateFrom and dateUntil; got (.+)\)$`), "logreason.hash_alone_param"},
	{regexp.MustCompile(`^headers only \(HEAD\): nothing exported$`), "logreason.head"},
	{regexp.MustCompile(`^(\d+) attempts refused by the rate limiter from (\S+) between (\S+ \S+) and (\S+) UTC \(too many failed attempts\)`), "logreason.rate_limited_count"},
	{regexp.MustCompile(`^(\d+) further refused attempts between (\S+ \S+) and (\S+) UTC not logged one by one: over the log's budget of (\d+) entries and (\d+) rate-limited networks a window \((.*)\)$`), "logreason.refusals_over_budget"},
	{regexp.MustCompile(`^process died$`), "logreason.process_died"},
	{regexp.MustCompile(`^partner revoked: the partner was deleted$`), "logreason.revoked_deleted"},
	{regexp.MustCompile(`^partner revoked: the partner's links were regenerated$`), "logreason.revoked_regenerated"},
	{regexp.MustCompile(`^partner revoked: the partner expired \(valid until (?P<d>\d{4}-\d{2}-\d{2})\)$`), "logreason.revoked_expired"},
	{regexp.MustCompile(`^master key replaced \(migrate --`), "logreason.master_key_replaced"},
	{regexp.MustCompile(`^(dateFrom|dateUntil): is empty`), "logreason.param_empty"},
	{regexp.MustCompile(`^(hash|partnerId) missing$`), "logreason.param_missing"},
	{regexp.MustCompile(`^(dateFrom|dateUntil|encoding|guard|ip): given (\d+) times$`), "logreason.param_repeated"},
	{regexp.MustCompile(`^(hash|partnerId) given (\d+) times$`), "logreason.param_repeated"},
	{regexp.MustCompile(`^hash malformed or wrong`), "logreason.hash_wrong"},
	{regexp.MustCompile(`^partner (lookup|list) failed`), "logreason.lookup_failed"},
	{regexp.MustCompile(`^client disconnected or export cancelled`), "logreason.cancelled"},
	{regexp.MustCompile(`^an export of (\S+) is already running; wait until it finishes$`), "logreason.busy"},
}

// LogReason says an access-log reason in the language: a reason of a known stored form is
// translated from the parts read out of it; any other is shown as stored (English: the
// precise, internal text of SPEC section 7).
func (l Lang) LogReason(reason string) string {
	if l == EN || reason == "" {
		return reason
	}
	for _, f := range storedReasons {
		m := f.re.FindStringSubmatch(reason)
		if m == nil {
			continue
		}
		args := make([]any, 0, len(m)-1)
		for i, name := range f.re.SubexpNames()[1:] {
			v := m[i+1]
			switch name {
			case "q":
				if u, err := strconv.Unquote(v); err == nil {
					v = u
				}
			case "d":
				if d, err := custexport.ParseDate(v); err == nil {
					v = l.Date(d)
				} else {
					v = l.T("partners.noexp")
				}
			}
			args = append(args, v)
		}
		return l.T(f.key, args...)
	}
	return reason
}

// DayLabel is a short day for a chart's axis: 7. 12. in Czech, 7 Dec in English.
func (l Lang) DayLabel(t time.Time) string {
	if l == EN {
		return strconv.Itoa(t.Day()) + " " + monthsEN[t.Month()-1]
	}
	return strconv.Itoa(t.Day()) + ". " + strconv.Itoa(int(t.Month())) + "."
}

// Filter says a stored filter text ("2025-03-01..2025-03-31", either side may be empty, as
// exporter.FilterText writes it) with the language's dates; "" stays "", and a text of another
// form is shown as stored.
func (l Lang) Filter(stored string) string {
	from, until, ok := strings.Cut(stored, "..")
	if !ok {
		return stored
	}
	day := func(s string) (string, bool) {
		if s == "" {
			return "", true
		}
		d, err := custexport.ParseDate(s)
		return l.Date(d), err == nil
	}
	f, okF := day(from)
	u, okU := day(until)
	switch {
	case !okF || !okU:
		return stored
	case f != "" && u != "":
		return l.T("filter.range", f, u)
	case f != "":
		return l.T("filter.from", f)
	case u != "":
		return l.T("filter.until", u)
	}
	return ""
}
