package linksign

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
)

// MaxQueryLength bounds a link's query string; a real link is a few hundred bytes. The HTTP
// server's request-line limit stops far longer lines before they are read whole.
const MaxQueryLength = 4096

// PartnerLookup finds a partner by id: CodeNotFound when it is unknown or deleted, any other
// error when the lookup itself failed. custexport.PartnerStore is one.
type PartnerLookup interface {
	Partner(ctx context.Context, id int64) (*custexport.Partner, error)
	// Partners lists the partners that are not deleted, for a link that carries only its hash.
	Partners(ctx context.Context) ([]custexport.Partner, error)
}

// Authorizer decides whether a partner link that arrived may be served, and with which options
// (SPEC section 5). It holds no state of its own and is safe for concurrent use.
//
// It knows nothing of HTTP and nothing of the failure limiter: the limiter keeps per-address
// counts across requests (and, with several instances, across servers) and answers before any
// link is read, so it stays with the server, which consults it before Authorize and counts
// every denial whose Outcome is denied. Kept out, the authorisation is a function of the request
// and the partner store that a table test can cover answer by answer.
type Authorizer struct {
	Signer   *Signer
	Partners PartnerLookup
	Location *time.Location // the shop's time zone, in which a partner expires at midnight
}

// LinkRequest is what Authorize reads of a request.
type LinkRequest struct {
	Path     string            // the URL path as signed, e.g. /export/customers.csv
	Format   custexport.Format // the format the path names
	RawQuery string            // the query exactly as received, hash included
	Client   netip.Addr        // the client's address as resolved (trusted proxies applied)
	Now      time.Time
}

// Grant is a link found genuine and allowed: whose it is and what it asks for.
type Grant struct {
	Partner *custexport.Partner
	Options custexport.ExportOptions
}

// DenialKind is why a link was refused, as a type: each kind maps to one answer.
type DenialKind int

// The kinds of denial, in the order Authorize checks. Until the link is proven genuine every
// refusal is the same generic 403 to the caller; the kind and Reason go only to the access log.
const (
	DeniedQueryTooLong   DenialKind = iota + 1 // 414: the query is over MaxQueryLength
	DeniedMalformedQuery                       // 403: the query does not parse
	DeniedPartnerID                            // 403: partnerId missing, repeated or not a positive number
	DeniedUnknownPartner                       // 403: no such partner, or deleted
	// DeniedLookupFailed: the partner could not be looked up (the database failed). Today it is
	// refused like an unknown partner; it is a kind of its own because it is the server's fault,
	// not the caller's, and is to become a 503 that no limiter counts.
	DeniedLookupFailed
	DeniedHash          // 403: hash missing, repeated, malformed or wrong
	DeniedExpired       // 403: the partner's valid-until day has passed
	DeniedBadParameter  // 400: a genuine link with an unknown, repeated or malformed parameter
	DeniedClientAddress // 403: the client is not in the link's ip list
)

var denialKindNames = [...]string{"", "query too long", "malformed query", "partnerId", "unknown partner",
	"lookup failed", "hash", "expired", "bad parameter", "client address"}

func (k DenialKind) String() string {
	if k <= 0 || int(k) >= len(denialKindNames) {
		return "DenialKind(" + strconv.Itoa(int(k)) + ")"
	}
	return denialKindNames[k]
}

// Outcome is the access-log outcome of a denial of this kind.
func (k DenialKind) Outcome() custexport.Outcome {
	switch k {
	case DeniedQueryTooLong, DeniedBadParameter:
		return custexport.OutcomeBadRequest
	}
	return custexport.OutcomeDenied
}

// Denial is a refused link.
type Denial struct {
	Kind DenialKind
	// Reason is the precise reason for the access log only; it never contains the hash.
	Reason string
	// Problem is the parameter at fault, for DeniedBadParameter: Field names it as the link
	// does, Message says what is wrong, both fit for the caller (the link is genuine).
	Problem *custexport.Error
	// Err is the lookup's error, for DeniedLookupFailed.
	Err error
	// Principal is whom the link claims to come from, as far as known: the partner once found,
	// its id once read, else only the kind. Options are the options as far as read. Both are for
	// the access-log entry of the refusal.
	Principal custexport.Principal
	Options   custexport.ExportOptions
}

// Authorize checks a link: from its path, query and client address to either the partner and
// its options (a Grant) or a Denial with its precise reason. Exactly one of the two is non-nil.
//
// The checks run in an order that tells an outsider nothing: every refusal before the link is
// proven genuine is the same denial to the caller; only a genuine link learns which parameter
// is malformed. The hash is compared in constant time (Signer.Verify, Signer.FindByHash).
//
// Every parameter is signed, with the two exceptions of SPEC section 5 that real integrations
// written for Shoptet need (section 15):
//   - the caller's dates: on a link signed without a date range, dateFrom and dateUntil may be
//     added anywhere in the query (Keboola's extractor appends them after hash) and narrow the
//     download; a link signed with dates verifies only with exactly those dates, so it never
//     serves outside its range;
//   - the hash alone: without partnerId, the hash identifies the partner whose link for this
//     path carries no other signed parameter (Daktela keeps only the hash).
func (a *Authorizer) Authorize(ctx context.Context, req LinkRequest) (*Grant, *Denial) {
	d := &Denial{
		Principal: custexport.Principal{Kind: custexport.PrincipalPartner},
		Options:   custexport.ExportOptions{Format: req.Format, Encoding: custexport.EncodingUTF8, FormulaGuard: true},
	}
	deny := func(kind DenialKind, reason string) (*Grant, *Denial) {
		d.Kind, d.Reason = kind, reason
		return nil, d
	}
	if len(req.RawQuery) > MaxQueryLength {
		return deny(DeniedQueryTooLong, fmt.Sprintf("query of %d bytes", len(req.RawQuery)))
	}
	// Request.URL.Query() would drop malformed pairs silently; a link must be exactly what was
	// signed.
	params, err := url.ParseQuery(req.RawQuery)
	if err != nil {
		return deny(DeniedMalformedQuery, "malformed query string")
	}

	var partner *custexport.Partner
	if _, hasID := params[partnerIDParam]; hasID {
		partner = a.identifyByLink(ctx, req, params, d)
	} else {
		partner = a.identifyByHashAlone(ctx, req, params, d)
	}
	if partner == nil {
		return nil, d
	}
	if !partner.ActiveAt(req.Now, a.Location) {
		return deny(DeniedExpired, "partner expired on "+partner.ValidUntil.String())
	}

	// The link is genuine; from here on a malformed parameter is the link maker's mistake, or
	// the caller's when it added dates.
	if p := unexpectedParameter(params); p != nil {
		d.Problem = p
		return deny(DeniedBadParameter, p.Error())
	}
	for _, name := range callerDateParams {
		if values, ok := params[name]; ok && values[0] == "" {
			d.Problem = custexport.FieldError(name, "is empty (a date YYYY-MM-DD, or leave the parameter out)")
			return deny(DeniedBadParameter, d.Problem.Error())
		}
	}
	opts, err := ParseLinkOptions(LinkInput{
		Format: string(req.Format), From: params.Get("dateFrom"), Until: params.Get("dateUntil"),
		Encoding: params.Get("encoding"), Guard: params.Get("guard"), IP: params.Get("ip"),
	}, QueryNames)
	d.Options = opts.Export
	if problems := custexport.ProblemsOf(err); len(problems) > 0 {
		d.Problem = problems[0]
		return deny(DeniedBadParameter, problems[0].Error())
	}
	if opts.IPs.Len() > 0 && !opts.IPs.Contains(req.Client) {
		return deny(DeniedClientAddress, "client address "+req.Client.String()+" not in the link's ip list")
	}
	return &Grant{Partner: partner, Options: opts.Export}, nil
}

// callerDateParams are the parameters a caller may add to a link signed without a date range.
var callerDateParams = []string{"dateFrom", "dateUntil"}

const wrongHash = "hash malformed or wrong (changed link, or regenerated secret)"

// identifyByLink finds the partner of a link that names it by partnerId and proves the hash:
// over every parameter, or, when that fails and the caller added dates, over the parameters
// without them (a link signed without a range). On failure it fills d and returns nil.
func (a *Authorizer) identifyByLink(ctx context.Context, req LinkRequest, params url.Values, d *Denial) *custexport.Partner {
	ids := params[partnerIDParam]
	if len(ids) != 1 {
		d.Kind, d.Reason = DeniedPartnerID, repeatedReason(partnerIDParam, len(ids))
		return nil
	}
	id, err := strconv.ParseInt(ids[0], 10, 64)
	if err != nil || id <= 0 {
		d.Kind, d.Reason = DeniedPartnerID, "partnerId malformed (not a positive whole number)"
		return nil
	}
	d.Principal.ID = id
	partner, err := a.Partners.Partner(ctx, id)
	if err != nil {
		if custexport.ErrorCode(err) == custexport.CodeNotFound {
			d.Kind, d.Reason = DeniedUnknownPartner, fmt.Sprintf("unknown or deleted partner %d", id)
			return nil
		}
		d.Kind, d.Reason, d.Err = DeniedLookupFailed, "partner lookup failed: "+err.Error(), err
		return nil
	}
	d.Principal = partner.Principal()

	hashes := params[hashParam]
	if len(hashes) != 1 {
		d.Kind, d.Reason = DeniedHash, repeatedReason(hashParam, len(hashes))
		return nil
	}
	// Whether the caller added dates is public (they are in the query), so trying the second
	// form only then tells nothing about the hash.
	if !a.Signer.Verify(id, partner.LinkSalt, req.Path, params, hashes[0]) &&
		!(hasCallerDates(params) && a.Signer.Verify(id, partner.LinkSalt, req.Path, withoutCallerDates(params), hashes[0])) {
		d.Kind, d.Reason = DeniedHash, wrongHash
		return nil
	}
	return partner
}

// identifyByHashAlone finds the partner of a query without partnerId: only the hash, perhaps
// with the caller's dates. Every partner is compared (Signer.FindByHash), so the answer takes as
// long whoever the hash belongs to. On failure it fills d and returns nil.
func (a *Authorizer) identifyByHashAlone(ctx context.Context, req LinkRequest, params url.Values, d *Denial) *custexport.Partner {
	hashes := params[hashParam]
	if len(hashes) == 0 {
		d.Kind, d.Reason = DeniedPartnerID, "partnerId missing"
		return nil
	}
	for name := range params {
		if name != hashParam && !slices.Contains(callerDateParams, name) {
			d.Kind, d.Reason = DeniedPartnerID, "partnerId missing (a hash alone may come only with dateFrom and dateUntil; got "+name+")"
			return nil
		}
	}
	if len(hashes) != 1 {
		d.Kind, d.Reason = DeniedHash, "hash alone: "+repeatedReason(hashParam, len(hashes))
		return nil
	}
	partners, err := a.Partners.Partners(ctx)
	if err != nil {
		d.Kind, d.Reason, d.Err = DeniedLookupFailed, "partner list failed: "+err.Error(), err
		return nil
	}
	if i := a.Signer.FindByHash(partners, req.Path, hashes[0]); i >= 0 {
		d.Principal = partners[i].Principal()
		return &partners[i]
	}
	d.Kind, d.Reason = DeniedHash, "hash alone matches no partner's link without parameters for "+req.Path+
		" (a link with dates, ip, encoding or guard needs its partnerId and parameters)"
	// Only for the log: a hash of the same partner's link for another format is a common
	// mistake worth naming. Refused requests cost this extra work; the limiter bounds them.
	for _, other := range custexport.Formats {
		path := strings.TrimSuffix(req.Path, "."+string(req.Format)) + "." + string(other)
		if other == req.Format || path == req.Path {
			continue
		}
		if i := a.Signer.FindByHash(partners, path, hashes[0]); i >= 0 {
			d.Principal = partners[i].Principal()
			d.Reason = fmt.Sprintf("hash alone is the link of partner %d for %s, not %s", partners[i].ID, path, req.Path)
		}
	}
	return nil
}

func hasCallerDates(params url.Values) bool {
	return slices.ContainsFunc(callerDateParams, params.Has)
}

// withoutCallerDates is params without dateFrom and dateUntil; params is not modified.
func withoutCallerDates(params url.Values) url.Values {
	out := make(url.Values, len(params))
	for name, values := range params {
		if !slices.Contains(callerDateParams, name) {
			out[name] = values
		}
	}
	return out
}

// repeatedReason says that a parameter that must appear once appeared n times.
func repeatedReason(name string, n int) string {
	if n == 0 {
		return name + " missing"
	}
	return fmt.Sprintf("%s given %d times", name, n)
}

// unexpectedParameter finds a parameter a link may not carry, or one it carries twice; names
// are checked in sorted order, so the same link always gets the same answer.
func unexpectedParameter(params url.Values) *custexport.Error {
	for _, name := range slices.Sorted(maps.Keys(params)) {
		values := params[name]
		if name != hashParam && !slices.Contains(urlParamOrder, name) {
			if name == "" {
				name = `""` // "=x": a parameter without a name
			}
			return custexport.FieldError(name, "unknown parameter (known: %s)", strings.Join(urlParamOrder, ", "))
		}
		if len(values) != 1 {
			return custexport.FieldError(name, "given %d times", len(values))
		}
	}
	return nil
}
