package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/i18n"
	"github.com/custexport/custexport/internal/linksign"
)

// The export page (Zákazníci → Export): the export form, the running or last job, and the
// permanent-link box.

// exportForm is the export form's fields as typed, and the errors found in them.
type exportForm struct {
	From, Until, Format, Encoding string
	Guard                         bool
	Errors                        fieldErrors
}

// exportFieldNames are the form's names of the export options, which field errors carry.
var exportFieldNames = custexport.ExportFieldNames{Format: "format", From: "from", Until: "until", Encoding: "encoding", Guard: "guard"}

// linkFieldNames adds the link box's address list.
var linkFieldNames = linksign.LinkFieldNames{ExportFieldNames: exportFieldNames, IP: "ip"}

// linkForm is the permanent-link box.
type linkForm struct {
	Form     exportForm
	Partner  string
	IP       string
	URL      string   // the signed link, once made
	Sentence string   // what anyone holding it can download
	Advice   []string // what the maker of a link for a program should know (i18n.LinkAdvice)
}

type exportData struct {
	Form     exportForm
	Link     linkForm
	Partners []custexport.Partner
	Job      *jobView
	Busy     bool
	HTTPWarn bool
}

// readExportForm reads the fields shared by the export form and the link box, by the domain's
// one rule for export options. The guard is a checkbox: absent means off. An encoding the
// form did not send (the page's script disables the select for XML and XLSX) is UTF-8; one it
// did send is checked, so windows-1250 with XML is refused beside the encoding field.
func readExportForm(l i18n.Lang, get func(string) string) (exportForm, custexport.ExportOptions) {
	f, in := exportFormInput(get)
	opts, err := custexport.ParseExportOptions(in, exportFieldNames)
	f.Errors.addProblems(l, err)
	return f, opts
}

// exportFormInput reads the fields the export form and the link box share, as typed.
func exportFormInput(get func(string) string) (exportForm, custexport.ExportInput) {
	f := exportForm{From: strings.TrimSpace(get("from")), Until: strings.TrimSpace(get("until")),
		Format: get("format"), Encoding: get("encoding"), Guard: get("guard") != "", Errors: fieldErrors{}}
	in := custexport.ExportInput{Format: f.Format, From: formDate(f.From), Until: formDate(f.Until), Encoding: f.Encoding, Guard: "0"}
	if f.Guard {
		in.Guard = "1"
	}
	if f.Encoding == "" {
		f.Encoding = string(custexport.EncodingUTF8)
	}
	return f, in
}

func defaultExportForm() exportForm {
	return exportForm{Format: "csv", Encoding: "utf-8", Guard: true}
}

func (s *Server) exportData(r *http.Request, u *custexport.User) (*exportData, error) {
	d := &exportData{Form: defaultExportForm(), Link: linkForm{Form: defaultExportForm()},
		HTTPWarn: strings.HasPrefix(s.PublicURL, "http://") && !isLoopbackURL(s.PublicURL)}
	var err error
	if d.Partners, err = s.Store.Partners(r.Context()); err != nil {
		return nil, err
	}
	job, err := s.Store.LatestJob(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	if job != nil {
		d.Job = s.jobView(requestLang(r), job)
	}
	return d, nil
}

func (s *Server) handleExportPage(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	d, err := s.exportData(r, u)
	if err != nil {
		s.fail(w, r, u, "export", err)
		return
	}
	status := http.StatusOK
	if r.URL.Query().Has("link") {
		d.Link = s.makeLink(l, r, d.Partners)
		if len(d.Link.Form.Errors) > 0 {
			status = http.StatusBadRequest
		}
	}
	s.render(w, r, status, "export", &page{User: u, Title: l.T("export.title"), Nav: "export", Data: d})
}

// makeLink validates the link box and signs the link.
func (s *Server) makeLink(l i18n.Lang, r *http.Request, partners []custexport.Partner) linkForm {
	q := r.URL.Query()
	form, in := exportFormInput(q.Get)
	lf := linkForm{Form: form, Partner: q.Get("partner"), IP: strings.TrimSpace(q.Get("ip"))}
	var partner *custexport.Partner
	for i := range partners {
		if strconv.FormatInt(partners[i].ID, 10) == lf.Partner {
			partner = &partners[i]
		}
	}
	if partner == nil {
		form.Errors["partner"] = l.T("err.partner")
	}
	// The rule the server checks links with (linksign.ParseLinkOptions), so the box never makes
	// a link its own server refuses. An error without a reason key (none is known) would be said
	// in its own English rather than lost.
	link, err := linksign.ParseLinkOptions(linksign.LinkInput{Format: in.Format, From: in.From, Until: in.Until,
		Encoding: in.Encoding, Guard: in.Guard, IP: lf.IP}, linkFieldNames)
	if err != nil && !form.Errors.addProblems(l, err) {
		form.Errors["ip"] = err.Error()
	}
	if len(form.Errors) > 0 {
		return lf
	}
	ipText := ""
	if link.IPs.Len() > 0 {
		ipText = link.IPs.String()
		lf.IP = ipText
	}
	params := linksign.LinkParams(link.Export, ipText)
	lf.URL = s.Signer.SignedURL(strings.TrimSuffix(s.PublicURL, "/"), partner.ID, partner.LinkSalt,
		"/export/customers."+string(link.Export.Format), params)
	lf.Sentence = i18n.LinkSentence(l, partner, link.Export, ipText)
	lf.Advice = i18n.LinkAdvice(l, link.Export, len(params) == 0)
	return lf
}

func isLoopbackURL(raw string) bool {
	host := strings.TrimPrefix(strings.TrimPrefix(raw, "http://"), "https://")
	host, _, _ = strings.Cut(host, "/")
	return strings.HasPrefix(host, "localhost") || strings.HasPrefix(host, "127.") || strings.HasPrefix(host, "[::1]")
}

// formDate reads a day as a Czech user types it into a date field, and gives it as the domain's
// YYYY-MM-DD: "31. 12. 2025", "31.12.2025" and "31122025" (day, month, year; also YYYYMMDD
// when that is the only date the eight digits make). Anything else is returned as typed, for
// the domain's rule to accept (2025-12-31) or refuse with the form a user should write.
func formDate(s string) string {
	s = strings.TrimSpace(s)
	if m := dottedDate.FindStringSubmatch(s); m != nil {
		return isoDate(m[3], m[2], m[1], s)
	}
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		if y, _ := strconv.Atoi(s[4:]); y >= 1900 && y < 2200 {
			if d := isoDate(s[4:], s[2:4], s[:2], ""); d != "" {
				return d
			}
		}
		return isoDate(s[:4], s[4:6], s[6:], s)
	}
	return s
}

var dottedDate = regexp.MustCompile(`^(\d{1,2})\s*\.\s*(\d{1,2})\s*\.\s*(\d{4})$`)

// isoDate is year-month-day when it is a real day, else orElse.
func isoDate(year, month, day, orElse string) string {
	iso := year + "-" + month + "-" + day
	d, err := custexport.ParseDate(iso)
	if err != nil {
		return orElse
	}
	return d.String()
}
