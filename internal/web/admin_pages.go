package web

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/linksign"
)

const pageSize = 50

// pager is the state of a paginated list.
type pager struct {
	Page, Pages int
	PrevURL     string
	NextURL     string
}

func newPager(r *http.Request, total int64) (pager, int) {
	pages := max(1, int((total+pageSize-1)/pageSize))
	p, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p = min(max(p, 1), pages)
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + q.Encode()
	}
	pg := pager{Page: p, Pages: pages}
	if p > 1 {
		pg.PrevURL = link(p - 1)
	}
	if p < pages {
		pg.NextURL = link(p + 1)
	}
	return pg, (p - 1) * pageSize
}

// --- Zákazníci ------------------------------------------------------------------------------

type customersData struct {
	Query string
	Page  custexport.CustomerPage
	Pager pager
}

func (a *Admin) handleCustomers(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	first, err := a.Store.SearchCustomers(r.Context(), custexport.CustomerSearch{Text: q, Limit: 1})
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	pg, offset := newPager(r, first.Total)
	res, err := a.Store.SearchCustomers(r.Context(), custexport.CustomerSearch{Text: q, Offset: offset, Limit: pageSize})
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	a.render(w, r, http.StatusOK, "customers", &page{User: u, Title: l.T("customers.title"), Nav: "customers",
		Data: customersData{Query: q, Page: res, Pager: pg}})
}

// --- Zákazníci → Export ---------------------------------------------------------------------

// exportForm is the export form's fields as typed, and the errors found in them.
type exportForm struct {
	From, Until, Format, Encoding string
	Guard                         bool
	Errors                        map[string]string
}

// linkForm is the permanent-link box.
type linkForm struct {
	Form     exportForm
	Partner  string
	IP       string
	URL      string // the signed link, once made
	Sentence string // what anyone holding it can download
}

type exportData struct {
	Form     exportForm
	Link     linkForm
	Partners []custexport.Partner
	Job      *jobView
	Busy     bool
	HTTPWarn bool
}

// readExportForm parses the fields shared by the export form and the link box.
func readExportForm(l lang, get func(string) string) (exportForm, custexport.ExportOptions) {
	f := exportForm{From: strings.TrimSpace(get("from")), Until: strings.TrimSpace(get("until")),
		Format: get("format"), Encoding: get("encoding"), Guard: get("guard") != "", Errors: map[string]string{}}
	var opts custexport.ExportOptions
	var err error
	if opts.Format, err = custexport.ParseFormat(f.Format); err != nil {
		f.Errors["format"] = err.Error()
	}
	if f.Encoding == "" {
		f.Encoding = string(custexport.EncodingUTF8)
	}
	if opts.Encoding, err = custexport.ParseEncoding(f.Encoding); err != nil {
		f.Errors["encoding"] = err.Error()
	}
	if opts.Format != custexport.FormatCSV {
		opts.Encoding = custexport.EncodingUTF8
	}
	opts.FormulaGuard = f.Guard
	if opts.Filter, err = custexport.ParseFilter(f.From, f.Until, "from", "until"); err != nil {
		field := "from"
		if e, ok := errorsAs(err); ok && e.Field != "" {
			field = e.Field
		}
		if strings.Contains(err.Error(), "after") {
			f.Errors["until"] = l.T("err.range")
		} else {
			f.Errors[field] = l.T("err.date")
		}
	}
	return f, opts
}

func defaultExportForm() exportForm {
	return exportForm{Format: "csv", Encoding: "utf-8", Guard: true}
}

func (a *Admin) exportData(r *http.Request, u *custexport.User) (*exportData, error) {
	d := &exportData{Form: defaultExportForm(), Link: linkForm{Form: defaultExportForm()},
		HTTPWarn: strings.HasPrefix(a.PublicURL, "http://") && !isLoopbackURL(a.PublicURL)}
	var err error
	if d.Partners, err = a.Store.Partners(r.Context()); err != nil {
		return nil, err
	}
	job, err := a.Store.LatestJob(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	if job != nil {
		d.Job = a.jobView(requestLang(r), job)
	}
	return d, nil
}

func (a *Admin) handleExportPage(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	d, err := a.exportData(r, u)
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	status := http.StatusOK
	if r.URL.Query().Has("link") {
		d.Link = a.makeLink(l, r, d.Partners)
		if len(d.Link.Form.Errors) > 0 {
			status = http.StatusBadRequest
		}
	}
	a.render(w, r, status, "export", &page{User: u, Title: l.T("export.title"), Nav: "export", Data: d})
}

// makeLink validates the link box and signs the link.
func (a *Admin) makeLink(l lang, r *http.Request, partners []custexport.Partner) linkForm {
	q := r.URL.Query()
	form, opts := readExportForm(l, q.Get)
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
	allowed, err := clientip.ParseList(lf.IP)
	if err != nil {
		form.Errors["ip"] = err.Error()
	}
	if len(form.Errors) > 0 {
		return lf
	}
	ipText := ""
	if allowed.Len() > 0 {
		ipText = allowed.String()
		lf.IP = ipText
	}
	lf.URL = a.Signer.SignedURL(strings.TrimSuffix(a.PublicURL, "/"), partner.ID, partner.LinkSalt,
		"/export/customers."+string(opts.Format), linksign.LinkParams(opts, ipText))
	lf.Sentence = linkSentence(l, partner, opts, ipText)
	return lf
}

// linkSentence says what anyone holding the link can download.
func linkSentence(l lang, p *custexport.Partner, opts custexport.ExportOptions, ip string) string {
	var b strings.Builder
	which := map[lang]string{langCS: "všechny registrované zákazníky", langEN: "all registered customers"}[l]
	switch from, until := opts.Filter.From, opts.Filter.Until; {
	case !from.IsZero() && !until.IsZero():
		which = fmt.Sprintf(map[lang]string{langCS: "zákazníky registrované od %s do %s", langEN: "the customers registered from %s to %s"}[l], from, until)
	case !from.IsZero():
		which = fmt.Sprintf(map[lang]string{langCS: "zákazníky registrované od %s", langEN: "the customers registered since %s"}[l], from)
	case !until.IsZero():
		which = fmt.Sprintf(map[lang]string{langCS: "zákazníky registrované do %s", langEN: "the customers registered until %s"}[l], until)
	}
	format := strings.ToUpper(string(opts.Format))
	if opts.Format == custexport.FormatCSV {
		format += " (" + string(opts.Encoding) + ")"
	}
	if l == langEN {
		fmt.Fprintf(&b, "Anyone holding this link can download %s as %s, with names, e-mails, addresses and phone numbers, as partner %q", which, format, p.Name)
		if ip != "" {
			fmt.Fprintf(&b, ", but only from %s", ip)
		}
		if !p.ValidUntil.IsZero() {
			fmt.Fprintf(&b, ", until %s", p.ValidUntil)
		}
		b.WriteString(". Regenerating the partner's secret makes it stop working.")
		return b.String()
	}
	fmt.Fprintf(&b, "Kdokoli, kdo má tento odkaz, si může stáhnout %s jako %s, včetně jmen, e-mailů, adres a telefonů, jménem partnera „%s“", which, format, p.Name)
	if ip != "" {
		fmt.Fprintf(&b, ", ale jen z adres %s", ip)
	}
	if !p.ValidUntil.IsZero() {
		fmt.Fprintf(&b, ", a to do %s", p.ValidUntil)
	}
	b.WriteString(". Přegenerováním tajného klíče partnera odkaz přestane fungovat.")
	return b.String()
}

func isLoopbackURL(raw string) bool {
	host := strings.TrimPrefix(strings.TrimPrefix(raw, "http://"), "https://")
	host, _, _ = strings.Cut(host, "/")
	return strings.HasPrefix(host, "localhost") || strings.HasPrefix(host, "127.") || strings.HasPrefix(host, "[::1]")
}

func (a *Admin) handleExportStart(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	form, opts := readExportForm(l, r.PostFormValue)
	d, err := a.exportData(r, u)
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	d.Form = form
	p := &page{User: u, Title: l.T("export.title"), Nav: "export", Path: "/customers/export", Data: d}
	if len(form.Errors) > 0 {
		p.Error = l.T("form.invalid")
		a.render(w, r, http.StatusBadRequest, "export", p)
		return
	}
	req := exporter.Request{Principal: u.Principal(), Channel: custexport.ChannelAdmin,
		ClientIP: a.clientAddr(r).String(), UserAgent: r.UserAgent(), Options: opts}
	job, err := a.Jobs.Start(r.Context(), a.JobContext, req, u.ID)
	if custexport.ErrorCode(err) == custexport.CodeBusy {
		d.Busy = true
		a.render(w, r, http.StatusConflict, "export", p)
		return
	}
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	a.Logger.Info("export job started", "job", job.ID, "user", u.ID)
	http.Redirect(w, r, "/customers/export", http.StatusSeeOther)
}

// jobView is a job as the page and the progress poll show it.
type jobView struct {
	ID          int64  `json:"id"`
	State       string `json:"state"`
	Done        int64  `json:"done"`
	Total       int64  `json:"total"`
	Percent     int    `json:"percent"`
	Text        string `json:"text"` // the status sentence in the user's language
	What        string `json:"what"`
	Replaced    string `json:"replaced,omitempty"`
	Error       string `json:"error,omitempty"`
	DownloadURL string `json:"download,omitempty"`
	KeptUntil   string `json:"kept_until,omitempty"`
}

func (a *Admin) jobView(l lang, j *custexport.ExportJob) *jobView {
	v := &jobView{ID: j.ID, State: string(j.State), Done: j.RowsDone, Total: j.RowsTotal, Percent: j.Percent()}
	what := strings.ToUpper(string(j.Options.Format))
	if j.Options.Format == custexport.FormatCSV {
		what += " " + string(j.Options.Encoding)
	}
	filter := exporter.FilterText(j.Options.Filter)
	if filter == "" {
		filter = map[lang]string{langCS: "všichni zákazníci", langEN: "all customers"}[l]
	}
	v.What = l.T("job.of", what, filter)
	switch j.State {
	case custexport.JobRunning:
		v.Text = l.T("job.running")
		if j.RowsTotal > 0 { // known once the snapshot is open, a moment after the start
			v.Text += " " + l.T("job.rows", formatNumber(j.RowsDone), formatNumber(j.RowsTotal))
		}
	case custexport.JobDone:
		v.Text = l.T("job.done", formatNumber(j.RowsDone), formatBytes(j.Bytes))
		v.DownloadURL = fmt.Sprintf("/jobs/%d/download", j.ID)
		v.KeptUntil = l.T("job.kept", a.shopTime(j.EndedAt.Add(custexport.JobFileLifetime)))
	case custexport.JobFailed:
		v.Text = l.T("job.failed", j.Error)
		v.Error = j.Error
	case custexport.JobExpired:
		v.Text = l.T("job.expired")
	}
	if j.Replaced > 0 {
		v.Replaced = l.T("job.replaced", formatNumber(j.Replaced))
	}
	return v
}

// ownJob returns the user's job named in the path; another user's job is "not found".
func (a *Admin) ownJob(r *http.Request, u *custexport.User) (*custexport.ExportJob, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, custexport.Errorf(custexport.CodeNotFound, "no such job")
	}
	j, err := a.Store.Job(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if j.UserID != u.ID {
		return nil, custexport.Errorf(custexport.CodeNotFound, "no such job")
	}
	return j, nil
}

func (a *Admin) handleJobStatus(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	j, err := a.ownJob(r, u)
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	writeJSON(w, a.jobView(requestLang(r), j))
}

func (a *Admin) handleJobDownload(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	j, err := a.ownJob(r, u)
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		a.render(w, r, http.StatusNotFound, "message", &page{User: u, Nav: "export", Error: l.T("notfound")})
		return
	}
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	var f io.ReadSeekCloser
	if j.State == custexport.JobDone {
		f, _, err = a.Jobs.Files.Open(r.Context(), j.File)
	}
	if j.State != custexport.JobDone || errors.Is(err, fs.ErrNotExist) {
		// Expired (or its file gone): say so, rather than a bare 404.
		a.render(w, r, http.StatusGone, "message", &page{User: u, Nav: "export", Error: l.T("job.expired")})
		return
	}
	if err != nil { // the file store is unreachable: not the same as expired
		a.fail(w, r, u, err)
		return
	}
	defer f.Close()
	a.Engine.LogAttempt(r.Context(), exporter.Request{Principal: u.Principal(), Channel: custexport.ChannelAdmin,
		ClientIP: a.clientAddr(r).String(), UserAgent: r.UserAgent(), Options: j.Options},
		custexport.OutcomeEvent, fmt.Sprintf("file of export job %d downloaded (%d rows)", j.ID, j.RowsDone))
	h := w.Header()
	h.Set("Content-Type", j.Options.Format.ContentType(j.Options.Encoding))
	h.Set("Content-Disposition", `attachment; filename="`+j.Options.Format.FileName(j.EndedAt, a.Location)+`"`)
	h.Set("Cache-Control", "no-store")
	// A large file from a remote store can take longer than the server's write timeout, which
	// is for pages; a download must not be cut by it (SPEC section 12).
	http.NewResponseController(w).SetWriteDeadline(time.Time{})
	http.ServeContent(w, r, "", j.EndedAt, f)
}

// --- Přístupový log -------------------------------------------------------------------------

type logData struct {
	Principal, Outcome, From, Until string
	Errors                          map[string]string
	Outcomes                        []string
	Entries                         []custexport.AccessEntry
	Total                           int64
	Pager                           pager
	CSVURL                          string
}

var allOutcomes = []string{"served", "denied", "busy", "rate_limited", "bad_request", "failed", "aborted", "event"}

func (a *Admin) handleLog(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	q := r.URL.Query()
	d := logData{Principal: strings.TrimSpace(q.Get("principal")), Outcome: q.Get("outcome"),
		From: strings.TrimSpace(q.Get("from")), Until: strings.TrimSpace(q.Get("until")),
		Errors: map[string]string{}, Outcomes: allOutcomes}
	query := custexport.AccessQuery{Principal: d.Principal}
	for _, o := range allOutcomes {
		if d.Outcome == o {
			query.Outcome = custexport.Outcome(o)
		}
	}
	filter, err := custexport.ParseFilter(d.From, d.Until, "from", "until")
	if err != nil {
		if strings.Contains(err.Error(), "after") {
			d.Errors["until"] = l.T("err.range")
		} else if e, ok := errorsAs(err); ok && e.Field == "until" {
			d.Errors["until"] = l.T("err.date")
		} else {
			d.Errors["from"] = l.T("err.date")
		}
	} else {
		rng := filter.Range(a.Location)
		if !filter.From.IsZero() {
			query.From = rng.From
		}
		if !filter.Until.IsZero() {
			query.Before = rng.Until
		}
	}
	csvQuery := r.URL.Query()
	csvQuery.Del("page")
	csvQuery.Set("format", "csv")
	d.CSVURL = "/customers/export/log?" + csvQuery.Encode()
	if q.Get("format") == "csv" && len(d.Errors) == 0 {
		a.writeLogCSV(w, r, query)
		return
	}
	if d.Total, err = a.Store.CountAccess(r.Context(), query); err != nil {
		a.fail(w, r, u, err)
		return
	}
	var offset int
	d.Pager, offset = newPager(r, d.Total)
	query.Offset, query.Limit = offset, pageSize
	err = a.Store.QueryAccess(r.Context(), query, func(e *custexport.AccessEntry) error {
		d.Entries = append(d.Entries, *e)
		return nil
	})
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	status := http.StatusOK
	if len(d.Errors) > 0 {
		status = http.StatusBadRequest
	}
	a.render(w, r, status, "log", &page{User: u, Title: l.T("log.title"), Nav: "log", Data: d})
}

// writeLogCSV streams the filtered log as CSV (the columns of `custexport log --format csv`).
func (a *Admin) writeLogCSV(w http.ResponseWriter, r *http.Request, q custexport.AccessQuery) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="access-log-`+time.Now().In(a.Location).Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "time", "principal_kind", "principal_id", "principal_name", "channel", "client_ip",
		"user_agent", "format", "encoding", "filter", "outcome", "reason", "rows", "bytes", "duration_ms", "replaced"})
	err := a.Store.QueryAccess(r.Context(), q, func(e *custexport.AccessEntry) error {
		cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.In(a.Location).Format(time.RFC3339), string(e.Principal.Kind),
			strconv.FormatInt(e.Principal.ID, 10), csvSafe(e.Principal.Name), string(e.Channel), e.ClientIP, csvSafe(e.UserAgent),
			string(e.Format), string(e.Encoding), e.Filter, string(e.Outcome), csvSafe(e.Reason),
			strconv.FormatInt(e.Rows, 10), strconv.FormatInt(e.Bytes, 10), strconv.FormatInt(e.Duration.Milliseconds(), 10),
			strconv.FormatInt(e.Replaced, 10)})
		return cw.Error()
	})
	cw.Flush()
	if err != nil {
		a.Logger.Error("access log CSV", "err", err)
	}
}

// csvSafe guards a text that a spreadsheet would run as a formula: partner names and user
// agents come from outside.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// --- Nastavení → Zabezpečení exportů --------------------------------------------------------

type partnerRow struct {
	custexport.Partner
	Active bool
}

type partnersData struct {
	Partners              []partnerRow
	Name, Note, ValidTill string
	Errors                map[string]string
}

func (a *Admin) partnersPage(w http.ResponseWriter, r *http.Request, u *custexport.User, status int, d partnersData, p *page) {
	list, err := a.Store.Partners(r.Context())
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	now := time.Now()
	for _, pt := range list {
		d.Partners = append(d.Partners, partnerRow{Partner: pt, Active: pt.ActiveAt(now, a.Location)})
	}
	l := requestLang(r)
	p.User, p.Title, p.Nav, p.Data, p.Path = u, l.T("partners.title"), "partners", d, "/settings/partners"
	a.render(w, r, status, "partners", p)
}

func (a *Admin) handlePartners(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	p := &page{Notice: a.takeFlash(w, r)}
	a.partnersPage(w, r, u, http.StatusOK, partnersData{Errors: map[string]string{}}, p)
}

func (a *Admin) handlePartnerCreate(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	d := partnersData{Name: strings.TrimSpace(r.PostFormValue("name")), Note: strings.TrimSpace(r.PostFormValue("note")),
		ValidTill: strings.TrimSpace(r.PostFormValue("valid_until")), Errors: map[string]string{}}
	if d.Name == "" {
		d.Errors["name"] = l.T("err.name")
	}
	var until custexport.Date
	if d.ValidTill != "" {
		var err error
		if until, err = custexport.ParseDate(d.ValidTill); err != nil {
			d.Errors["valid_until"] = l.T("err.date")
		}
	}
	if len(d.Errors) > 0 {
		a.partnersPage(w, r, u, http.StatusBadRequest, d, &page{Error: l.T("form.invalid")})
		return
	}
	salt, err := linksign.NewSalt()
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	p := &custexport.Partner{Name: d.Name, Note: d.Note, ValidUntil: until, LinkSalt: salt}
	if err := a.Store.CreatePartner(r.Context(), p, u.Principal()); err != nil {
		if e, ok := errorsAs(err); ok && e.Code == custexport.CodeInvalid {
			d.Errors["name"] = e.Message
			a.partnersPage(w, r, u, http.StatusBadRequest, d, &page{Error: l.T("form.invalid")})
			return
		}
		a.fail(w, r, u, err)
		return
	}
	a.setFlash(w, "partners.created", p.Name)
	http.Redirect(w, r, "/settings/partners", http.StatusSeeOther)
}

type confirmData struct {
	Question, Action string
}

func (a *Admin) partnerFromPath(r *http.Request) (*custexport.Partner, string, error) {
	action := r.PathValue("action")
	if action != "regenerate" && action != "delete" {
		return nil, "", custexport.Errorf(custexport.CodeNotFound, "no such action")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, "", custexport.Errorf(custexport.CodeNotFound, "no such partner")
	}
	p, err := a.Store.Partner(r.Context(), id)
	return p, action, err
}

// handlePartnerConfirm asks before regenerating or deleting: both break every link issued.
func (a *Admin) handlePartnerConfirm(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	p, action, err := a.partnerFromPath(r)
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		a.render(w, r, http.StatusNotFound, "message", &page{User: u, Nav: "partners", Error: l.T("notfound")})
		return
	}
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	question := l.T("partners.regenq", p.Name)
	if action == "delete" {
		question = l.T("partners.deleteq", p.Name)
	}
	a.render(w, r, http.StatusOK, "confirm", &page{User: u, Nav: "partners", Title: l.T("partners.title"),
		Data: confirmData{Question: question, Action: r.URL.Path}})
}

func (a *Admin) handlePartnerAction(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	p, action, err := a.partnerFromPath(r)
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		a.render(w, r, http.StatusNotFound, "message", &page{User: u, Nav: "partners", Error: l.T("notfound")})
		return
	}
	if err != nil {
		a.fail(w, r, u, err)
		return
	}
	done := "partners.deleted"
	if action == "regenerate" {
		salt, err := linksign.NewSalt()
		if err == nil {
			err = a.Store.RegeneratePartner(r.Context(), p.ID, salt, u.Principal())
		}
		done = "partners.regened"
		if err != nil {
			a.fail(w, r, u, err)
			return
		}
	} else if err := a.Store.DeletePartner(r.Context(), p.ID, u.Principal()); err != nil {
		a.fail(w, r, u, err)
		return
	}
	a.setFlash(w, done, p.Name)
	http.Redirect(w, r, "/settings/partners", http.StatusSeeOther)
}

// flashCookie carries a one-time notice ("partner created") across the redirect after a form.
// It holds a text key and its argument, not the text, so the notice follows the language of
// the page that shows it; it is read once and cleared, so a reload does not repeat it.
const flashCookie = "custexport_flash"

func (a *Admin) setFlash(w http.ResponseWriter, key, arg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.Values{"k": {key}, "a": {arg}}.Encode(), Path: "/",
		MaxAge: 60, HttpOnly: true, Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
}

func (a *Admin) takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: a.secureCookies(), SameSite: http.SameSiteLaxMode})
	v, err := url.ParseQuery(c.Value)
	key := v.Get("k")
	if err != nil || !(strings.HasPrefix(key, "partners.") || strings.HasPrefix(key, "account.")) || uiText[key].cs == "" {
		return "" // only our own notices: the cookie comes back from the browser
	}
	return requestLang(r).T(key, v.Get("a"))
}

// --- Změna hesla ----------------------------------------------------------------------------

type passwordData struct {
	MinLength int
	Errors    map[string]string
}

func (a *Admin) handlePasswordPage(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	a.render(w, r, http.StatusOK, "password", &page{User: u, Title: requestLang(r).T("account.title"), Nav: "account",
		Notice: a.takeFlash(w, r), Data: passwordData{MinLength: a.MinPasswordLength, Errors: map[string]string{}}})
}

// handlePasswordChange sets a new password after checking the current one. Changing it ends
// every session of the user (a stolen session dies with the old password); this browser gets
// a new one.
func (a *Admin) handlePasswordChange(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	current, next, repeat := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("repeat")
	d := passwordData{MinLength: a.MinPasswordLength, Errors: map[string]string{}}
	if ok, err := a.VerifyPassword(current, u.PasswordHash); err != nil || !ok {
		d.Errors["current"] = l.T("account.wrongcurrent")
	}
	if err := a.CheckPassword(next); err != nil {
		d.Errors["new"] = l.T("account.policy", a.MinPasswordLength)
		if e, ok := errorsAs(err); ok && l == langEN {
			d.Errors["new"] = "The password is refused: " + e.Message + "."
		}
	} else if next != repeat {
		d.Errors["repeat"] = l.T("account.mismatch")
	}
	if len(d.Errors) > 0 {
		a.render(w, r, http.StatusBadRequest, "password", &page{User: u, Title: l.T("account.title"), Nav: "account",
			Error: l.T("form.invalid"), Data: d})
		return
	}
	if err := a.Store.SetPasswordHash(r.Context(), u.ID, a.HashPassword(next), u.Principal()); err != nil {
		a.fail(w, r, u, err)
		return
	}
	if err := a.startSession(w, r, u); err != nil {
		a.fail(w, r, u, err)
		return
	}
	a.setFlash(w, "account.changed", "")
	http.Redirect(w, r, "/account/password", http.StatusSeeOther)
}
