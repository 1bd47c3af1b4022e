package linksign

import (
	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
)

// LinkInput is a partner link's choices as text: the query parameters of a link that arrived,
// or the fields of a link maker (the CLI's `partner url`, the admin's permanent-link box).
type LinkInput struct {
	Format   string // csv, xml or xlsx (a link carries it in its path)
	From     string // dateFrom
	Until    string // dateUntil
	Encoding string // encoding: utf-8 or windows-1250, CSV only
	Guard    string // guard: "" or "1" on, "0" off
	IP       string // ip: addresses and CIDR ranges, comma-separated; empty: any address
}

// LinkFieldNames are the names a channel gives the fields of LinkInput; errors carry them in
// Field, so that a message names what the user typed and a form marks the right input.
type LinkFieldNames struct {
	custexport.ExportFieldNames
	IP string
}

// QueryNames are the names of a link's fields in its URL (SPEC section 5). Format is not a
// query parameter: a link carries it as the file name's extension.
var QueryNames = LinkFieldNames{
	ExportFieldNames: custexport.ExportFieldNames{Format: "format", From: "dateFrom", Until: "dateUntil", Encoding: "encoding", Guard: "guard"},
	IP:               "ip",
}

// LinkOptions are a link's validated choices.
type LinkOptions struct {
	Export custexport.ExportOptions
	// IPs are the client addresses the link is restricted to; an empty list: any address.
	IPs clientip.List
}

// ParseLinkOptions is the one rule for a link's choices, used where a link is checked
// (Authorizer) and where one is made, so a link maker can never issue a link that its own server
// then refuses. The export options follow custexport.ParseExportOptions, the rule every channel
// shares; the ip list follows clientip.ParseList. Every mistake is reported, in the order of
// the fields, as custexport.Problems with Field named by names. The options are returned as far
// as they could be read even on error, so that a refusal can still be logged with them.
func ParseLinkOptions(in LinkInput, names LinkFieldNames) (LinkOptions, error) {
	var problems custexport.Problems
	export, err := custexport.ParseExportOptions(custexport.ExportInput{
		Format: in.Format, From: in.From, Until: in.Until, Encoding: in.Encoding, Guard: in.Guard,
	}, names.ExportFieldNames)
	if err != nil {
		problems = append(problems, custexport.ProblemsOf(err)...)
	}
	ips, err := clientip.ParseList(in.IP)
	if err != nil {
		for _, p := range custexport.ProblemsOf(err) {
			renamed := *p // clientip names its field "ip"; the caller's name wins
			renamed.Field = names.IP
			problems = append(problems, &renamed)
		}
	}
	opts := LinkOptions{Export: export, IPs: ips}
	if len(problems) > 0 {
		return opts, problems
	}
	return opts, nil
}
