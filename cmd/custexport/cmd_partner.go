package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/i18n"
	"github.com/custexport/custexport/internal/linksign"
	"github.com/custexport/custexport/internal/logformat"
)

// defaultPublicURL is the link base when neither --public-url nor CUSTEXPORT_PUBLIC_URL is set:
// the address `custexport serve` listens on by default, as seen from this machine.
const defaultPublicURL = "http://localhost:8080"

// cliLinkNames names a link's fields as partner url's flags do.
var cliLinkNames = linksign.LinkFieldNames{ExportFieldNames: cliExportNames, IP: "--ip"}

// partnerCommands are the partner subcommands in help order.
var partnerCommands = []command{
	{name: "add", synopsis: "NAME [--valid-until YYYY-MM-DD] [--note TEXT]", summary: "create a partner; prints its id", store: storeExisting, run: runPartnerAdd},
	{name: "list", synopsis: "[--format table|json]", summary: "list the partners with their validity and last use", store: storeExisting, run: runPartnerList},
	{name: "url", synopsis: "ID --format csv|xml|xlsx [--from D] [--until D] [--encoding E] [--no-guard] [--ip LIST] [--public-url URL]",
		summary: "print a signed download link for the partner", store: storeExisting, run: runPartnerURL},
	{name: "regenerate", synopsis: "ID", summary: "replace the partner's secret: every link issued for it stops working", store: storeExisting, run: runPartnerRegenerate},
	{name: "expire", synopsis: "ID --valid-until YYYY-MM-DD|none", summary: "set or clear the last day the partner's links work", store: storeExisting, run: runPartnerExpire},
	{name: "delete", synopsis: "ID", summary: "delete the partner: its links stop working", store: storeExisting, run: runPartnerDelete},
}

func runPartnerAdd(ctx context.Context, c *commandLine, args []string) error {
	fs, io, getenv := c.flags, c.io, c.getenv
	validUntil := fs.String("valid-until", "", "last day the partner's links work, YYYY-MM-DD in shop time (default: no expiry)")
	note := fs.String("note", "", "a note for the shop's staff, e.g. who the partner is")
	pos, err := c.parseArgs(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("NAME is required")
	}
	if len(pos) > 1 {
		return usagef("unexpected argument %s (quote a name with spaces)", strconv.Quote(pos[1]))
	}
	partnerName := strings.TrimSpace(pos[0])
	// The rule the stores and the admin form apply, checked before anything is opened; its
	// fields are named as this command takes them.
	if err := custexport.ValidatePartner(partnerName, *note); err != nil {
		e := custexport.ProblemsOf(err)[0]
		return usagef("%s: %s", map[string]string{"name": "NAME", "note": "--note"}[e.Field], e.Message)
	}
	until, err := parseValidUntil(*validUntil, false)
	if err != nil {
		return err
	}
	loc := c.loc
	salt, err := linksign.NewSalt()
	if err != nil {
		return err
	}
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	p := &custexport.Partner{Name: partnerName, Note: *note, ValidUntil: until, LinkSalt: salt}
	if err := db.CreatePartner(ctx, p, operatorPrincipal(getenv)); err != nil {
		return err
	}
	fmt.Fprintln(io.out, p.ID)
	fmt.Fprintf(io.err, "created partner %d %q (%s); print its link with: custexport partner url %d --format csv\n",
		p.ID, p.Name, validityText(p.ValidUntil), p.ID)
	if !p.ActiveAt(time.Now(), loc) {
		fmt.Fprintf(io.err, "warning: %s is in the past: the partner's links do not work until you change it with 'custexport partner expire'\n", until)
	}
	return nil
}

func runPartnerList(ctx context.Context, c *commandLine, args []string) error {
	now := time.Now()
	return listing[custexport.Partner]{
		load:   func(ctx context.Context, db database) ([]custexport.Partner, error) { return db.Partners(ctx) },
		json:   func(p *custexport.Partner, loc *time.Location) any { return partnerJSON(p, now, loc) },
		header: "ID\tNAME\tVALID UNTIL\tSTATE\tLAST USE\tNOTE",
		row: func(p *custexport.Partner, loc *time.Location) string {
			validUntil := "—"
			if !p.ValidUntil.IsZero() {
				validUntil = p.ValidUntil.String()
			}
			lastUse := "never"
			if !p.LastUsedAt.IsZero() {
				lastUse = p.LastUsedAt.In(loc).Format("2006-01-02 15:04")
			}
			return fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s", p.ID, logformat.DisplayText(p.Name), validUntil, partnerState(p, now, loc),
				lastUse, logformat.DisplayText(p.Note))
		},
		empty: "no partners yet; create one with: custexport partner add NAME",
	}.run(ctx, c, args)
}

func partnerState(p *custexport.Partner, now time.Time, loc *time.Location) string {
	if p.ActiveAt(now, loc) {
		return "active"
	}
	return "expired"
}

// partnerJSON is what `partner list --format json` shows of a partner: never its salt.
func partnerJSON(p *custexport.Partner, now time.Time, loc *time.Location) any {
	var validUntil *string
	if !p.ValidUntil.IsZero() {
		s := p.ValidUntil.String()
		validUntil = &s
	}
	lastUsed := jsonTime(p.LastUsedAt, loc)
	return struct {
		ID         int64   `json:"id"`
		Name       string  `json:"name"`
		Note       string  `json:"note"`
		ValidUntil *string `json:"valid_until"` // null: no expiry
		State      string  `json:"state"`
		CreatedAt  string  `json:"created_at"`
		LastUsedAt *string `json:"last_used_at"` // null: never
	}{p.ID, p.Name, p.Note, validUntil, partnerState(p, now, loc), p.CreatedAt.In(loc).Format(time.RFC3339), lastUsed}
}

func runPartnerURL(ctx context.Context, c *commandLine, args []string) error {
	fs, io, getenv := c.flags, c.io, c.getenv
	choices := registerExportFlags(fs, "turn the formula guard off in the downloaded file (programs usually want it off: with it on, a phone number starting with + arrives as '+420…)")
	ipList := fs.String("ip", "", "allow the link only from these addresses: a comma list of IPs and CIDR ranges (default: any address)")
	publicURL := fs.String("public-url", getenv("CUSTEXPORT_PUBLIC_URL"), "the server's address as partners reach it (env CUSTEXPORT_PUBLIC_URL; default "+defaultPublicURL+")")
	id, err := parsePartnerID(c, args)
	if err != nil {
		return err
	}

	// Every choice is checked before anything is opened, by the rule the server checks links
	// with, and named as the user typed it.
	in := choices.input()
	link, err := linksign.ParseLinkOptions(linksign.LinkInput{Format: in.Format, From: in.From, Until: in.Until,
		Encoding: in.Encoding, Guard: in.Guard, IP: *ipList}, cliLinkNames)
	if err != nil {
		return flagProblem(err)
	}
	f := link.Export.Format
	source, raw := "--public-url", *publicURL
	if !c.given("public-url") {
		source = "CUSTEXPORT_PUBLIC_URL"
	}
	if raw == "" {
		raw = defaultPublicURL
	}
	base, err := parsePublicURL(raw, source)
	if err != nil {
		return err
	}
	loc := c.loc

	return withPartner(ctx, c, id, func(_ database, p *custexport.Partner) error {
		signer := c.signer

		ipText := ""
		if link.IPs.Len() > 0 {
			ipText = link.IPs.String()
		}
		params := linksign.LinkParams(link.Export, ipText)
		url := signer.SignedURL(base.String(), p.ID, p.LinkSalt, "/export/customers."+string(f), params)
		if _, query, _ := strings.Cut(url, "?"); len(query) > linksign.MaxQueryLength {
			return usagef("the link would be %d bytes long after the \"?\", more than the server's %d; shorten the --ip list", len(query), linksign.MaxQueryLength)
		}

		fmt.Fprintln(io.out, url)
		fmt.Fprintln(io.err, i18n.LinkSentence(i18n.EN, p, link.Export, ipText))
		for _, advice := range i18n.LinkAdvice(i18n.EN, link.Export, len(params) == 0) {
			fmt.Fprintln(io.err, "note: "+advice)
		}
		if base.Scheme == "http" && !isLoopbackHost(base.Hostname()) {
			fmt.Fprintf(io.err, "warning: %s is plain http://: the link and the customer data cross the network unencrypted; use an https:// address\n", base)
		}
		if !p.ActiveAt(time.Now(), loc) {
			fmt.Fprintf(io.err, "warning: partner %d expired on %s: the link is refused until its date is changed with 'custexport partner expire'\n", p.ID, p.ValidUntil)
		}
		return nil
	})
}

// parsePublicURL checks the base of printed links: an http or https address with a host and
// nothing after the path.
func parsePublicURL(raw, source string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, usagef("%s: %s is not an http:// or https:// address such as https://shop.example", source, strconv.Quote(raw))
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, usagef("%s: %s must be only scheme, host and an optional path (no user, query or fragment)", source, strconv.Quote(raw))
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = strings.TrimSuffix(u.RawPath, "/")
	return u, nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runPartnerRegenerate(ctx context.Context, c *commandLine, args []string) error {
	io, getenv := c.io, c.getenv
	id, err := parsePartnerID(c, args)
	if err != nil {
		return err
	}
	salt, err := linksign.NewSalt()
	if err != nil {
		return err
	}
	return withPartner(ctx, c, id, func(db database, p *custexport.Partner) error {
		if err := db.RegeneratePartner(ctx, id, salt, operatorPrincipal(getenv)); err != nil {
			return err
		}
		fmt.Fprintf(io.err, "regenerated partner %d %q: every link issued for it before stops working; print new ones with: custexport partner url %d --format …\n",
			p.ID, p.Name, p.ID)
		return nil
	})
}

func runPartnerDelete(ctx context.Context, c *commandLine, args []string) error {
	io, getenv := c.io, c.getenv
	id, err := parsePartnerID(c, args)
	if err != nil {
		return err
	}
	return withPartner(ctx, c, id, func(db database, p *custexport.Partner) error {
		if err := db.DeletePartner(ctx, id, operatorPrincipal(getenv)); err != nil {
			return err
		}
		fmt.Fprintf(io.err, "deleted partner %d %q: its links stop working\n", p.ID, p.Name)
		return nil
	})
}

func runPartnerExpire(ctx context.Context, c *commandLine, args []string) error {
	fs, io, getenv := c.flags, c.io, c.getenv
	validUntil := fs.String("valid-until", "", "last day the partner's links work, YYYY-MM-DD in shop time, or none for no expiry (required)")
	id, err := parsePartnerID(c, args)
	if err != nil {
		return err
	}
	if !c.given("valid-until") {
		return usagef("--valid-until is required (a date YYYY-MM-DD, or none to remove the expiry)")
	}
	until, err := parseValidUntil(*validUntil, true)
	if err != nil {
		return err
	}
	loc := c.loc
	return withPartner(ctx, c, id, func(db database, p *custexport.Partner) error {
		if err := db.SetPartnerValidUntil(ctx, id, until, operatorPrincipal(getenv)); err != nil {
			return err
		}
		p.ValidUntil = until
		switch {
		case until.IsZero():
			fmt.Fprintf(io.err, "partner %d %q has no expiry now\n", p.ID, p.Name)
		case p.ActiveAt(time.Now(), loc):
			fmt.Fprintf(io.err, "partner %d %q is valid until %s: its links stop working at the end of that day (%s)\n",
				p.ID, p.Name, until, loc)
		default:
			fmt.Fprintf(io.err, "partner %d %q expired on %s: its links no longer work\n", p.ID, p.Name, until)
		}
		return nil
	})
}

// withPartner opens the store, loads the live partner id (exit 1, "partner N does not exist",
// when there is none) and runs fn.
func withPartner(ctx context.Context, c *commandLine, id int64, fn func(database, *custexport.Partner) error) error {
	return withStored(ctx, c, func(ctx context.Context, db database) (*custexport.Partner, error) { return db.Partner(ctx, id) }, fn)
}

// parseValidUntil parses a --valid-until value; "none" (when allowed) clears the expiry.
func parseValidUntil(s string, noneAllowed bool) (custexport.Date, error) {
	if s == "" {
		return custexport.Date{}, nil
	}
	if noneAllowed && strings.EqualFold(s, "none") {
		return custexport.Date{}, nil
	}
	d, err := custexport.ParseDate(s)
	if err != nil {
		hint := ""
		if noneAllowed {
			hint = ", or none"
		}
		return custexport.Date{}, usagef("--valid-until: %s is not a valid date: %v%s", strconv.Quote(s), err, hint)
	}
	return d, nil
}

func validityText(d custexport.Date) string {
	if d.IsZero() {
		return "no expiry"
	}
	return "valid until " + d.String()
}

// parsePartnerID parses the command line of a command on one partner: its flags and the single
// positional ID argument.
func parsePartnerID(c *commandLine, args []string) (int64, error) {
	pos, err := c.parseArgs(args)
	if err != nil {
		return 0, err
	}
	if len(pos) == 0 {
		return 0, usagef("the partner ID is required (see 'custexport partner list')")
	}
	if len(pos) > 1 {
		return 0, usagef("unexpected argument %s", strconv.Quote(pos[1]))
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, usagef("partner ID must be a positive whole number, not %s", strconv.Quote(pos[0]))
	}
	return id, nil
}
