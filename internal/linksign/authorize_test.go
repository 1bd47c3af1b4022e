package linksign

import (
	"context"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/filetest"
	"github.com/custexport/custexport/internal/sqlite"
)

// authFixture is an Authorizer over a real SQLite partner store with partners in every state.
type authFixture struct {
	t                                     *testing.T
	db                                    *sqlite.DB
	auth                                  *Authorizer
	prague                                *time.Location
	active, deleted, expired, regenerated *custexport.Partner
	regeneratedOldSalt                    []byte
}

func newAuthFixture(t *testing.T) *authFixture {
	t.Helper()
	ctx := context.Background()
	db := filetest.OpenSQLite(t)
	prague, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	f := &authFixture{t: t, db: db, prague: prague, auth: &Authorizer{Signer: testSigner(t), Partners: db, Location: prague}}
	operator := custexport.Principal{Kind: custexport.PrincipalOperator}
	newPartner := func(name string) *custexport.Partner {
		salt, err := NewSalt()
		if err != nil {
			t.Fatal(err)
		}
		p := &custexport.Partner{Name: name, LinkSalt: salt}
		if err := db.CreatePartner(ctx, p, operator); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f.active = newPartner("Účetní firma")
	f.deleted = newPartner("Bývalý")
	if err := db.DeletePartner(ctx, f.deleted.ID, operator); err != nil {
		t.Fatal(err)
	}
	f.expired = newPartner("Prošlý")
	f.expired.ValidUntil = custexport.Date{Year: 2020, Month: 1, Day: 1}
	if err := db.SetPartnerValidUntil(ctx, f.expired.ID, f.expired.ValidUntil, operator); err != nil {
		t.Fatal(err)
	}
	f.regenerated = newPartner("Přegenerovaný")
	f.regeneratedOldSalt = f.regenerated.LinkSalt
	if err := db.RegeneratePartner(ctx, f.regenerated.ID, []byte("new salt 16 byte"), operator); err != nil {
		t.Fatal(err)
	}
	return f
}

// query is the query of a link signed for p (with salt) over /export/customers.<ext>.
func (f *authFixture) query(p *custexport.Partner, salt []byte, ext string, params url.Values) string {
	u, err := url.Parse(f.auth.Signer.SignedURL("", p.ID, salt, "/export/customers."+ext, params))
	if err != nil {
		f.t.Fatal(err)
	}
	return u.RawQuery
}

// changed returns rawQuery with change applied to its parameters, the hash kept.
func changed(rawQuery string, change func(url.Values)) string {
	v, _ := url.ParseQuery(rawQuery)
	change(v)
	return v.Encode()
}

// TestAuthorize covers every answer of SPEC section 5 that the link itself decides, without
// HTTP: the kind (which the server maps to one status), the outcome and precise reason for the
// access log, the parameter named to the caller, and whom the refusal is logged for.
func TestAuthorize(t *testing.T) {
	f := newAuthFixture(t)
	ctx := context.Background()
	client := netip.MustParseAddr("192.0.2.55")
	noon := time.Date(2026, 12, 7, 12, 0, 0, 0, f.prague)

	good := f.query(f.active, f.active.LinkSalt, "csv", url.Values{"dateFrom": {"2020-01-01"}})
	plain := f.query(f.active, f.active.LinkSalt, "csv", nil) // partnerId and hash only
	const hashAloneNoMatch = "hash alone matches no partner's link without parameters for /export/customers.csv" +
		" (a link with dates, ip, encoding or guard needs its partnerId and parameters)"
	signed := func(params url.Values) string { return f.query(f.active, f.active.LinkSalt, "csv", params) }
	signedXML := func(params url.Values) string { return f.query(f.active, f.active.LinkSalt, "xml", params) }
	signedXLSX := func(params url.Values) string { return f.query(f.active, f.active.LinkSalt, "xlsx", params) }
	tooLong := good + "&x=" + strings.Repeat("a", MaxQueryLength)
	a := f.active.Principal()
	unknown := custexport.Principal{Kind: custexport.PrincipalPartner}
	withID := func(id int64) custexport.Principal {
		return custexport.Principal{Kind: custexport.PrincipalPartner, ID: id}
	}

	cases := []struct {
		name      string
		format    custexport.Format // default csv
		query     string
		client    string // default 192.0.2.55
		now       time.Time
		kind      DenialKind // 0: granted
		reason    string     // the exact reason
		field     string     // the parameter named to the caller, for DeniedBadParameter
		principal custexport.Principal
		from      string // for a grant: the range served
		until     string
	}{
		{name: "Granted", query: good, principal: a, from: "2020-01-01"},
		{name: "QueryTooLong", query: tooLong, kind: DeniedQueryTooLong, reason: "query of " + itoa(int64(len(tooLong))) + " bytes", principal: unknown},
		{name: "QueryAtTheLimit", query: good + "&x=" + strings.Repeat("a", MaxQueryLength-len(good)-3), kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "MalformedQuery", query: good + "&dateUntil=%zz", kind: DeniedMalformedQuery, reason: "malformed query string", principal: unknown},
		{name: "MalformedQuerySemicolon", query: good + ";x=1", kind: DeniedMalformedQuery, reason: "malformed query string", principal: unknown},
		{name: "PartnerIDMissing", query: changed(good, func(v url.Values) { v.Del("partnerId") }), kind: DeniedHash,
			reason: hashAloneNoMatch, principal: unknown},
		{name: "PartnerIDAndHashMissing", query: "dateFrom=2020-01-01", kind: DeniedPartnerID, reason: "partnerId missing", principal: unknown},
		{name: "PartnerIDRepeated", query: good + "&partnerId=1", kind: DeniedPartnerID, reason: "partnerId given 2 times", principal: unknown},
		{name: "PartnerIDMalformed", query: changed(good, func(v url.Values) { v.Set("partnerId", "7x") }), kind: DeniedPartnerID,
			reason: "partnerId malformed (not a positive whole number)", principal: unknown},
		{name: "PartnerIDZero", query: changed(good, func(v url.Values) { v.Set("partnerId", "0") }), kind: DeniedPartnerID,
			reason: "partnerId malformed (not a positive whole number)", principal: unknown},
		{name: "PartnerIDNegative", query: changed(good, func(v url.Values) { v.Set("partnerId", "-1") }), kind: DeniedPartnerID,
			reason: "partnerId malformed (not a positive whole number)", principal: unknown},
		{name: "UnknownPartner", query: changed(good, func(v url.Values) { v.Set("partnerId", "999") }), kind: DeniedUnknownPartner,
			reason: "unknown or deleted partner 999", principal: withID(999)},
		{name: "DeletedPartner", query: f.query(f.deleted, f.deleted.LinkSalt, "csv", nil), kind: DeniedUnknownPartner,
			reason: "unknown or deleted partner " + itoa(f.deleted.ID), principal: withID(f.deleted.ID)},
		{name: "HashMissing", query: changed(good, func(v url.Values) { v.Del("hash") }), kind: DeniedHash, reason: "hash missing", principal: a},
		{name: "HashRepeated", query: good + "&hash=" + good[len(good)-64:], kind: DeniedHash, reason: "hash given 2 times", principal: a},
		{name: "HashMalformed", query: changed(good, func(v url.Values) { v.Set("hash", "xyz") }), kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "HashUpperCase", query: changed(good, func(v url.Values) { v.Set("hash", strings.ToUpper(v.Get("hash"))) }), kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "HashWrong", query: changed(good, func(v url.Values) { v.Set("hash", strings.Repeat("ab", 32)) }), kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "ParameterChanged", query: changed(good, func(v url.Values) { v.Set("dateFrom", "2019-01-01") }), kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "ParameterAdded", query: changed(good, func(v url.Values) { v.Set("guard", "0") }), kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "ParameterRemoved", query: changed(good, func(v url.Values) { v.Del("dateFrom") }), kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "ParameterRepeatedUnsigned", query: changed(good, func(v url.Values) { v.Add("dateFrom", "2020-01-01") }), kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "OtherFormat", format: custexport.FormatXML, query: good, kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "RegeneratedPartner", query: f.query(f.regenerated, f.regeneratedOldSalt, "csv", nil), kind: DeniedHash,
			reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: f.regenerated.Principal()},
		{name: "OtherPartnersLink", query: changed(f.query(f.regenerated, f.regenerated.LinkSalt, "csv", nil), func(v url.Values) {
			v.Set("partnerId", itoa(f.active.ID))
		}), kind: DeniedHash, reason: "hash malformed or wrong (changed link, or regenerated secret)", principal: a},
		{name: "ExpiredAtMidnight", query: f.query(f.expired, f.expired.LinkSalt, "csv", nil), now: time.Date(2020, 1, 2, 0, 0, 0, 0, f.prague),
			kind: DeniedExpired, reason: "partner expired on 2020-01-01", principal: f.expired.Principal()},
		{name: "ValidOnItsLastDay", query: f.query(f.expired, f.expired.LinkSalt, "csv", nil),
			now: time.Date(2020, 1, 1, 23, 59, 59, 0, f.prague), principal: f.expired.Principal()},
		{name: "UnknownParameter", query: signed(url.Values{"colour": {"red"}}), kind: DeniedBadParameter, field: "colour",
			reason: "colour: unknown parameter (known: partnerId, dateFrom, dateUntil, encoding, guard, ip)", principal: a},
		{name: "NamelessParameter", query: signed(url.Values{"": {"x"}}), kind: DeniedBadParameter, field: `""`,
			reason: `"": unknown parameter (known: partnerId, dateFrom, dateUntil, encoding, guard, ip)`, principal: a},
		{name: "RepeatedParameter", query: signed(url.Values{"dateFrom": {"2020-01-01", "2021-01-01"}}), kind: DeniedBadParameter,
			field: "dateFrom", reason: "dateFrom: given 2 times", principal: a},
		{name: "ImpossibleDate", query: signed(url.Values{"dateFrom": {"2024-13-01"}}), kind: DeniedBadParameter, field: "dateFrom", principal: a},
		{name: "MalformedUntil", query: signed(url.Values{"dateUntil": {"yesterday"}}), kind: DeniedBadParameter, field: "dateUntil", principal: a},
		{name: "FromAfterUntil", query: signed(url.Values{"dateFrom": {"2024-02-01"}, "dateUntil": {"2024-01-01"}}), kind: DeniedBadParameter,
			field: "dateFrom", principal: a},
		{name: "BadEncoding", query: signed(url.Values{"encoding": {"latin2"}}), kind: DeniedBadParameter, field: "encoding",
			reason: `encoding: "latin2" is not one of utf-8, windows-1250`, principal: a},
		{name: "XMLInWindows1250", format: custexport.FormatXML, query: signedXML(url.Values{"encoding": {"windows-1250"}}),
			kind: DeniedBadParameter, field: "encoding", reason: "encoding: windows-1250 applies to CSV only; xml is always UTF-8", principal: a},
		{name: "XLSXInWindows1250", format: custexport.FormatXLSX, query: signedXLSX(url.Values{"encoding": {"windows-1250"}}),
			kind: DeniedBadParameter, field: "encoding", reason: "encoding: windows-1250 applies to CSV only; xlsx is always UTF-8", principal: a},
		{name: "XMLInUTF8", format: custexport.FormatXML, query: signedXML(url.Values{"encoding": {"utf-8"}}), principal: a},
		{name: "BadGuard", query: signed(url.Values{"guard": {"maybe"}}), kind: DeniedBadParameter, field: "guard",
			reason: `guard: "maybe" is not 0 or 1`, principal: a},
		{name: "BadIPList", query: signed(url.Values{"ip": {"10.0.0.300"}}), kind: DeniedBadParameter, field: "ip", principal: a},
		{name: "ClientNotInIPList", query: signed(url.Values{"ip": {"192.0.2.0/24"}}), client: "198.51.100.7", kind: DeniedClientAddress,
			reason: "client address 198.51.100.7 not in the link's ip list", principal: a},
		{name: "ClientInIPList", query: signed(url.Values{"ip": {"198.51.100.1,192.0.2.0/24"}}), principal: a},

		// The caller's dates (SPEC section 5): on a link signed without a range they narrow the
		// download, in either date form, before or after the hash; on a range link they are a
		// changed link.
		{name: "CallerDatesAfterHash", query: plain + "&dateFrom=2024-01-05&dateUntil=2024-12-31", principal: a, from: "2024-01-05", until: "2024-12-31"},
		{name: "CallerDatesBeforeHash", query: "partnerId=" + itoa(f.active.ID) + "&dateUntil=2024-2-9&hash=" + hashOf(plain), principal: a, until: "2024-02-09"},
		{name: "CallerDatesWithSignedGuard", query: signed(url.Values{"guard": {"0"}}) + "&dateFrom=2024-1-5", principal: a, from: "2024-01-05"},
		{name: "CallerDateMalformed", query: plain + "&dateFrom=05.01.2024", kind: DeniedBadParameter, field: "dateFrom", principal: a},
		{name: "CallerDateEmpty", query: plain + "&dateFrom=", kind: DeniedBadParameter, field: "dateFrom",
			reason: "dateFrom: is empty (a date YYYY-MM-DD, or leave the parameter out)", principal: a},
		{name: "CallerDateRepeated", query: plain + "&dateFrom=2024-01-01&dateFrom=2024-01-01", kind: DeniedBadParameter, field: "dateFrom",
			reason: "dateFrom: given 2 times", principal: a},
		{name: "CallerDateYear0", query: plain + "&dateFrom=0000-01-01", kind: DeniedBadParameter, field: "dateFrom", principal: a},
		{name: "CallerDateYear10000", query: plain + "&dateUntil=10000-01-01", kind: DeniedBadParameter, field: "dateUntil", principal: a},
		{name: "CallerDatesReversed", query: plain + "&dateFrom=2024-02-01&dateUntil=2024-01-01", kind: DeniedBadParameter, field: "dateFrom", principal: a},
		{name: "CallerDatesWidenRange", query: changed(good, func(v url.Values) { v.Set("dateFrom", "2009-01-01") }), kind: DeniedHash,
			reason: wrongHash, principal: a},
		{name: "CallerDatesNarrowRange", query: changed(good, func(v url.Values) { v.Set("dateFrom", "2024-01-01") }), kind: DeniedHash,
			reason: wrongHash, principal: a},
		{name: "CallerUntilAddedToRange", query: good + "&dateUntil=2030-01-01", kind: DeniedHash, reason: wrongHash, principal: a},
		{name: "RangeLinkWithItsOwnDates", query: signed(url.Values{"dateFrom": {"2020-01-01"}, "dateUntil": {"2020-12-31"}}), principal: a,
			from: "2020-01-01", until: "2020-12-31"},

		// The hash alone (SPEC section 5): the partner whose plain link for this path has it.
		{name: "HashAlone", query: "hash=" + hashOf(plain), principal: a},
		{name: "HashAloneXML", format: custexport.FormatXML, query: "hash=" + hashOf(signedXML(nil)), principal: a},
		{name: "HashAloneWithCallerDates", query: "hash=" + hashOf(plain) + "&dateFrom=2009-01-01&dateUntil=2026-12-07", principal: a,
			from: "2009-01-01", until: "2026-12-07"},
		{name: "HashAloneWrong", query: "hash=" + strings.Repeat("ab", 32), kind: DeniedHash, reason: hashAloneNoMatch, principal: unknown},
		{name: "HashAloneMalformed", query: "hash=" + strings.ToUpper(hashOf(plain)), kind: DeniedHash, reason: hashAloneNoMatch, principal: unknown},
		{name: "HashAloneShort", query: "hash=abc", kind: DeniedHash, reason: hashAloneNoMatch, principal: unknown},
		{name: "HashAloneOfOtherFormat", query: "hash=" + hashOf(signedXML(nil)), kind: DeniedHash, principal: a,
			reason: "hash alone is the link of partner " + itoa(f.active.ID) + " for /export/customers.xml, not /export/customers.csv"},
		{name: "HashAloneOfIPLink", query: "hash=" + hashOf(signed(url.Values{"ip": {"192.0.2.0/24"}})), kind: DeniedHash,
			reason: hashAloneNoMatch, principal: unknown},
		{name: "HashAloneOfRangeLink", query: "hash=" + hashOf(good), kind: DeniedHash, reason: hashAloneNoMatch, principal: unknown},
		{name: "HashAloneOfGuardOffLink", query: "hash=" + hashOf(signed(url.Values{"guard": {"0"}})), kind: DeniedHash,
			reason: hashAloneNoMatch, principal: unknown},
		{name: "HashAloneRegenerated", query: "hash=" + hashOf(f.query(f.regenerated, f.regeneratedOldSalt, "csv", nil)), kind: DeniedHash,
			reason: hashAloneNoMatch, principal: unknown},
		{name: "HashAloneDeleted", query: "hash=" + hashOf(f.query(f.deleted, f.deleted.LinkSalt, "csv", nil)), kind: DeniedHash,
			reason: hashAloneNoMatch, principal: unknown},
		{name: "HashAloneExpired", query: "hash=" + hashOf(f.query(f.expired, f.expired.LinkSalt, "csv", nil)), kind: DeniedExpired,
			reason: "partner expired on 2020-01-01", principal: f.expired.Principal()},
		{name: "HashAloneWithOtherParameter", query: "guard=0&hash=" + hashOf(plain), kind: DeniedPartnerID,
			reason: "partnerId missing (a hash alone may come only with dateFrom and dateUntil; got guard)", principal: unknown},
		{name: "HashAloneRepeated", query: "hash=" + hashOf(plain) + "&hash=" + hashOf(plain), kind: DeniedHash,
			reason: "hash alone: hash given 2 times", principal: unknown},
		{name: "HashAloneCallerDateMalformed", query: "hash=" + hashOf(plain) + "&dateUntil=2024-02-30", kind: DeniedBadParameter,
			field: "dateUntil", principal: a},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := LinkRequest{Path: "/export/customers.csv", Format: custexport.FormatCSV, RawQuery: tc.query, Client: client, Now: noon}
			if tc.format != "" {
				req.Format = tc.format
				req.Path = "/export/customers." + string(tc.format)
			}
			if tc.client != "" {
				req.Client = netip.MustParseAddr(tc.client)
			}
			if !tc.now.IsZero() {
				req.Now = tc.now
			}
			grant, denial := f.auth.Authorize(ctx, req)
			if (grant == nil) == (denial == nil) {
				t.Fatalf("grant %+v, denial %+v: want exactly one", grant, denial)
			}
			if tc.kind == 0 {
				if denial != nil {
					t.Fatalf("denied %s: %q", denial.Kind, denial.Reason)
				}
				if grant.Partner.Principal() != tc.principal || grant.Options.Format != req.Format {
					t.Errorf("granted to %+v for %s, want %+v for %s", grant.Partner.Principal(), grant.Options.Format, tc.principal, req.Format)
				}
				if from, until := dateText(grant.Options.Filter.From), dateText(grant.Options.Filter.Until); from != tc.from || until != tc.until {
					t.Errorf("granted %q..%q, want %q..%q", from, until, tc.from, tc.until)
				}
				return
			}
			if denial == nil {
				t.Fatalf("granted; want %s", tc.kind)
			}
			if denial.Kind != tc.kind || (tc.reason != "" && denial.Reason != tc.reason) {
				t.Errorf("denied %s %q, want %s %q", denial.Kind, denial.Reason, tc.kind, tc.reason)
			}
			if denial.Principal != tc.principal {
				t.Errorf("logged for %+v, want %+v", denial.Principal, tc.principal)
			}
			if strings.Contains(denial.Reason, good[len(good)-64:]) {
				t.Errorf("the reason %q carries the hash", denial.Reason)
			}
			wantOutcome := custexport.OutcomeDenied
			if tc.kind == DeniedBadParameter || tc.kind == DeniedQueryTooLong {
				wantOutcome = custexport.OutcomeBadRequest
			}
			if denial.Kind.Outcome() != wantOutcome {
				t.Errorf("outcome %s, want %s", denial.Kind.Outcome(), wantOutcome)
			}
			if tc.kind != DeniedBadParameter {
				if denial.Problem != nil {
					t.Errorf("a %s names a parameter to the caller: %v", tc.kind, denial.Problem)
				}
				return
			}
			if denial.Problem == nil || denial.Problem.Field != tc.field || denial.Problem.Message == "" || denial.Reason != denial.Problem.Error() {
				t.Errorf("problem %+v, reason %q: want field %q with a message, and the reason its text", denial.Problem, denial.Reason, tc.field)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// hashOf is the hash of a signed link's query (SignedURL writes it last).
func hashOf(query string) string { return query[len(query)-64:] }

func dateText(d custexport.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// A partner store that fails is not an unknown partner: the denial has its own kind and keeps
// the store's error, so that the server can tell its own fault from the caller's.
func TestAuthorizeLookupFailed(t *testing.T) {
	f := newAuthFixture(t)
	good := f.query(f.active, f.active.LinkSalt, "csv", nil)
	f.db.Close() // a real failure: the database is gone
	_, denial := f.auth.Authorize(context.Background(), LinkRequest{Path: "/export/customers.csv", Format: custexport.FormatCSV,
		RawQuery: good, Client: netip.MustParseAddr("192.0.2.1"), Now: time.Now()})
	if denial == nil || denial.Kind != DeniedLookupFailed || denial.Err == nil ||
		!strings.HasPrefix(denial.Reason, "partner lookup failed: ") || !strings.Contains(denial.Reason, denial.Err.Error()) {
		t.Fatalf("denial %+v, want DeniedLookupFailed with the store's error", denial)
	}
	if denial.Kind.Outcome() != custexport.OutcomeDenied || denial.Principal.ID != f.active.ID {
		t.Errorf("outcome %s for %+v: today a failed lookup is logged as a denial of the claimed partner", denial.Kind.Outcome(), denial.Principal)
	}
}

// A link made from a link maker's fields (ParseLinkOptions, LinkParams, SignedURL) is granted
// with exactly the options the maker parsed: maker and server share one rule.
func TestLinkMakerAndAuthorizerAgree(t *testing.T) {
	f := newAuthFixture(t)
	for _, in := range []LinkInput{
		{Format: "csv"},
		{Format: "csv", From: "2024-1-5", Until: "2024-12-31", Encoding: "windows-1250", Guard: "0", IP: " 192.0.2.1 , ::ffff:192.0.2.0/120 "},
		{Format: "xml", Until: "2024-02-29", Encoding: "utf-8", Guard: "1"},
		{Format: "xlsx", From: "2024-02-29", IP: "192.0.2.0/24,2001:db8::/32"},
	} {
		opts, err := ParseLinkOptions(in, QueryNames)
		if err != nil {
			t.Fatalf("%+v: %v", in, err)
		}
		q := f.query(f.active, f.active.LinkSalt, in.Format, LinkParams(opts.Export, opts.IPs.String()))
		grant, denial := f.auth.Authorize(context.Background(), LinkRequest{Path: "/export/customers." + in.Format,
			Format: opts.Export.Format, RawQuery: q, Client: netip.MustParseAddr("192.0.2.1"), Now: time.Now()})
		if denial != nil {
			t.Fatalf("%+v: link %s denied: %s %s", in, q, denial.Kind, denial.Reason)
		}
		if grant.Options != opts.Export {
			t.Errorf("%+v: granted %+v, the maker parsed %+v", in, grant.Options, opts.Export)
		}
	}
}

// ParseLinkOptions reports every mistake, each under the caller's name for its field, the ip
// list's too.
func TestParseLinkOptionsNamesEveryField(t *testing.T) {
	names := LinkFieldNames{
		ExportFieldNames: custexport.ExportFieldNames{Format: "--format", From: "--from", Until: "--until", Encoding: "--encoding", Guard: "--guard"},
		IP:               "--ip",
	}
	_, err := ParseLinkOptions(LinkInput{Format: "pdf", From: "2024-02-30", Until: "x", Encoding: "latin2", Guard: "2", IP: "10.0.0.300"}, names)
	var fields []string
	for _, p := range custexport.ProblemsOf(err) {
		if p.Message == "" || p.Code != custexport.CodeInvalid {
			t.Errorf("problem %+v without a message or not invalid", p)
		}
		fields = append(fields, p.Field)
	}
	if got, want := strings.Join(fields, " "), "--format --from --until --encoding --guard --ip"; got != want {
		t.Errorf("problems for %q, want %q (%v)", got, want, err)
	}

	opts, err := ParseLinkOptions(LinkInput{Format: "csv", IP: "::ffff:192.0.2.7, 192.0.2.7"}, QueryNames)
	if err != nil || opts.IPs.String() != "192.0.2.7" || !opts.Export.FormulaGuard || opts.Export.Encoding != custexport.EncodingUTF8 {
		t.Errorf("options %+v, ip %q, %v: want the canonical ip list and the defaults", opts.Export, opts.IPs.String(), err)
	}
}

// FuzzLinkOptions feeds arbitrary link fields to the one rule: it never panics, a refusal names
// a field as the link does, and what it accepts is a consistent export that the link LinkParams
// makes of it reads back the same.
func FuzzLinkOptions(f *testing.F) {
	f.Add("csv", "2024-01-01", "2024-12-31", "windows-1250", "0", "10.0.0.0/8")
	f.Add("xml", "2024-13-01", "", "windows-1250", "yes", "10.0.0.300,")
	f.Add("xlsx", "2021-01-01", "2020-01-01", "latin2", "", "::ffff:1.2.3.4")
	f.Add("pdf", "2024-1-1", " 2024-2-1 ", " utf-8 ", " 1", "")
	f.Fuzz(func(t *testing.T, format, from, until, encoding, guard, ip string) {
		in := LinkInput{Format: format, From: from, Until: until, Encoding: encoding, Guard: guard, IP: ip}
		opts, err := ParseLinkOptions(in, QueryNames)
		if err != nil {
			problems := custexport.ProblemsOf(err)
			if len(problems) == 0 {
				t.Fatalf("an error without problems: %v", err)
			}
			for _, p := range problems {
				if p.Message == "" || !strings.Contains("format dateFrom dateUntil encoding guard ip", p.Field) || p.Field == "" {
					t.Fatalf("problem %+v does not name a link parameter", p)
				}
			}
			return
		}
		e := opts.Export
		if e.Encoding != custexport.EncodingUTF8 && (e.Encoding != custexport.EncodingWindows1250 || e.Format != custexport.FormatCSV) {
			t.Fatalf("accepted encoding %q for %s", e.Encoding, e.Format)
		}
		if from, until := e.Filter.From, e.Filter.Until; !from.IsZero() && !until.IsZero() && until.Before(from) {
			t.Fatalf("accepted a reversed range %s..%s", from, until)
		}
		params := LinkParams(e, opts.IPs.String())
		again, err := ParseLinkOptions(LinkInput{Format: string(e.Format), From: params.Get("dateFrom"), Until: params.Get("dateUntil"),
			Encoding: params.Get("encoding"), Guard: params.Get("guard"), IP: params.Get("ip")}, QueryNames)
		if err != nil || again.Export != e || again.IPs.String() != opts.IPs.String() {
			t.Fatalf("%+v became link %v, which reads back as %+v %q (%v)", in, params, again.Export, again.IPs.String(), err)
		}
	})
}

// linksMadeBeforeCallerDates were made by SignedURL at commit fbfe575, before the caller's dates
// and the hash alone existed, for partner 1 with testSalt under testMaster. Partners hold such
// links; they must keep working unchanged, and keep their signed range.
var linksMadeBeforeCallerDates = []struct {
	url         string
	from, until string
}{
	{url: "http://shop.example/export/customers.csv?partnerId=1&hash=c9c56c437b571385d0e737770d5ff39f1c7a6552cd0f0d4a5e5e99176e8b2238"},
	{url: "http://shop.example/export/customers.csv?partnerId=1&dateFrom=2024-01-01&dateUntil=2024-12-31&encoding=windows-1250&hash=1f30e1f906871979598246c14c79445f62f935b6248d8a7f91b5b405d9f21c13",
		from: "2024-01-01", until: "2024-12-31"},
	{url: "http://shop.example/export/customers.xml?partnerId=1&guard=0&hash=c23fe1ac5ed8aa9008d403679c847cb442e7b14ea8a50cec3a3cf3d8a8bb2e7d"},
	{url: "http://shop.example/export/customers.xlsx?partnerId=1&dateFrom=2020-02-29&ip=192.0.2.0%2F24%2C2001%3Adb8%3A%3A%2F32&hash=75bb133acc8cb9a04d11ef943af4639d7c788a9f978bfc86658cf5225197eb01",
		from: "2020-02-29"},
}

func TestLinksMadeBeforeCallerDatesStillWork(t *testing.T) {
	ctx := context.Background()
	db := filetest.OpenSQLite(t)
	p := &custexport.Partner{Name: "Partner s odkazy z dřívějška", LinkSalt: testSalt()}
	if err := db.CreatePartner(ctx, p, custexport.Principal{Kind: custexport.PrincipalOperator}); err != nil {
		t.Fatal(err)
	}
	if p.ID != 1 {
		t.Fatalf("partner id %d, the links are for 1", p.ID)
	}
	auth := &Authorizer{Signer: testSigner(t), Partners: db, Location: time.UTC}
	for _, l := range linksMadeBeforeCallerDates {
		u, err := url.Parse(l.url)
		if err != nil {
			t.Fatal(err)
		}
		format, _ := custexport.ParseFormat(strings.TrimPrefix(u.Path, "/export/customers."))
		authorize := func(rawQuery string) (*Grant, *Denial) {
			return auth.Authorize(ctx, LinkRequest{Path: u.Path, Format: format, RawQuery: rawQuery,
				Client: netip.MustParseAddr("192.0.2.9"), Now: time.Now()})
		}
		grant, denial := authorize(u.RawQuery)
		if denial != nil {
			t.Errorf("%s: denied %s %q", l.url, denial.Kind, denial.Reason)
			continue
		}
		if from, until := dateText(grant.Options.Filter.From), dateText(grant.Options.Filter.Until); from != l.from || until != l.until {
			t.Errorf("%s: served %q..%q, signed %q..%q", l.url, from, until, l.from, l.until)
		}
		// A caller's date on a link signed with a range is a changed link.
		if l.from != "" {
			if _, denial := authorize(u.RawQuery + "&dateUntil=2099-01-01"); denial == nil || denial.Kind != DeniedHash {
				t.Errorf("%s with a caller's dateUntil: %+v, want DeniedHash", l.url, denial)
			}
		}
	}
}
