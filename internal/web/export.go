package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
	"github.com/custexport/custexport/internal/exporter"
)

// maxQueryLength bounds the query string; a real link is a few hundred bytes. The HTTP
// server's MaxHeaderBytes stops far longer request lines before they are read whole.
const maxQueryLength = 4096

// fileFormats maps the download names to formats; anything else is 404.
var fileFormats = map[string]custexport.Format{
	"customers.csv":  custexport.FormatCSV,
	"customers.xml":  custexport.FormatXML,
	"customers.xlsx": custexport.FormatXLSX,
}

// knownParams are the parameters a link may carry besides hash.
var knownParams = map[string]bool{"partnerId": true, "dateFrom": true, "dateUntil": true, "encoding": true, "guard": true, "ip": true}

// handleExport serves GET /export/customers.{csv,xml,xlsx}. The checks run in an order that
// tells an outsider nothing: every refusal before the link is proven genuine is the same 403;
// only a genuine link learns which parameter is malformed (400) or that its export is busy.
func (s *Server) handleExport(w http.ResponseWriter, r *http.Request) {
	format, ok := fileFormats[r.PathValue("file")]
	if !ok {
		answer(w, r, http.StatusNotFound, msgNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		answer(w, r, http.StatusMethodNotAllowed, msgMethod)
		return
	}
	now := time.Now()
	client, err := s.Clients.ClientAddr(r)
	if err != nil {
		s.Logger.Error("unusable peer address", "err", err)
		answer(w, r, http.StatusInternalServerError, msgFailed)
		return
	}
	req := exporter.Request{
		Principal: custexport.Principal{Kind: custexport.PrincipalPartner},
		Channel:   custexport.ChannelURL,
		ClientIP:  client.String(),
		UserAgent: r.UserAgent(),
		Options:   custexport.ExportOptions{Format: format, Encoding: custexport.EncodingUTF8, FormulaGuard: true},
	}
	refuse := func(status int, outcome custexport.Outcome, m message, reason string) {
		if outcome == custexport.OutcomeDenied {
			s.Limiter.Fail(client, now)
		}
		s.Engine.LogAttempt(r.Context(), req, outcome, reason)
		s.metrics.observe(format, outcome, 0, 0)
		answer(w, r, status, m)
	}
	if blocked, wait := s.Limiter.Blocked(client, now); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		refuse(http.StatusTooManyRequests, custexport.OutcomeRateLimited, msgRateLimited, "too many failed attempts from "+client.String())
		return
	}
	if len(r.URL.RawQuery) > maxQueryLength {
		refuse(http.StatusRequestURITooLong, custexport.OutcomeBadRequest, msgTooLong, fmt.Sprintf("query of %d bytes", len(r.URL.RawQuery)))
		return
	}

	// r.URL.Query() would drop malformed pairs silently; a link must be exactly what was signed.
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		refuse(http.StatusForbidden, custexport.OutcomeDenied, msgDenied, "malformed query string")
		return
	}
	ids := params["partnerId"]
	id, err := strconv.ParseInt(strings.Join(ids, ","), 10, 64)
	if len(ids) != 1 || err != nil || id <= 0 {
		refuse(http.StatusForbidden, custexport.OutcomeDenied, msgDenied, "partnerId missing or malformed")
		return
	}
	req.Principal.ID = id
	partner, err := s.Partners.Partner(r.Context(), id)
	if err != nil {
		reason := fmt.Sprintf("unknown or deleted partner %d", id)
		if custexport.ErrorCode(err) != custexport.CodeNotFound {
			reason = "partner lookup failed: " + err.Error()
		}
		refuse(http.StatusForbidden, custexport.OutcomeDenied, msgDenied, reason)
		return
	}
	req.Principal = partner.Principal()
	hashes := params["hash"]
	if len(hashes) != 1 || !s.Signer.Verify(id, partner.LinkSalt, r.URL.Path, params, hashes[0]) {
		refuse(http.StatusForbidden, custexport.OutcomeDenied, msgDenied, "hash missing, malformed or wrong (changed link, or regenerated secret)")
		return
	}
	if !partner.ActiveAt(now, s.Location) {
		refuse(http.StatusForbidden, custexport.OutcomeDenied, msgDenied, "partner expired on "+partner.ValidUntil.String())
		return
	}

	// The link is genuine; from here on a malformed parameter is the link maker's mistake.
	opts, bad := linkOptions(format, params)
	req.Options = opts
	if bad != nil {
		refuse(http.StatusBadRequest, custexport.OutcomeBadRequest, badParameter(bad.Field, bad.Message), bad.Error())
		return
	}
	if ip := params.Get("ip"); ip != "" {
		allowed, err := clientip.ParseList(ip)
		if err != nil {
			refuse(http.StatusBadRequest, custexport.OutcomeBadRequest, badParameter("ip", err.Error()), err.Error())
			return
		}
		if !allowed.Contains(client) {
			refuse(http.StatusForbidden, custexport.OutcomeDenied, msgDenied, "client address "+client.String()+" not in the link's ip list")
			return
		}
	}
	s.Partners.TouchPartner(r.Context(), id, now)
	s.serveExport(w, r, req)
}

// linkOptions reads the export choices of a genuine link.
func linkOptions(format custexport.Format, params url.Values) (custexport.ExportOptions, *custexport.Error) {
	opts := custexport.ExportOptions{Format: format, Encoding: custexport.EncodingUTF8, FormulaGuard: true}
	for name, values := range params {
		if name == "hash" {
			continue
		}
		if !knownParams[name] {
			if name == "" {
				name = `""` // "=x": a parameter without a name
			}
			return opts, custexport.FieldError(name, "unknown parameter (known: partnerId, dateFrom, dateUntil, encoding, guard, ip)")
		}
		if len(values) != 1 {
			return opts, custexport.FieldError(name, "given %d times", len(values))
		}
	}
	filter, err := custexport.ParseFilter(params.Get("dateFrom"), params.Get("dateUntil"), "dateFrom", "dateUntil")
	if err != nil {
		var e *custexport.Error
		if !errors.As(err, &e) {
			e = custexport.FieldError("dateFrom", "%v", err)
		}
		return opts, e
	}
	opts.Filter = filter
	if enc := params.Get("encoding"); enc != "" {
		e, err := custexport.ParseEncoding(enc)
		if err != nil {
			return opts, custexport.FieldError("encoding", "%q is not one of utf-8, windows-1250", enc)
		}
		if format != custexport.FormatCSV && e != custexport.EncodingUTF8 {
			return opts, custexport.FieldError("encoding", "%s applies to CSV only", e)
		}
		opts.Encoding = e
	}
	switch params.Get("guard") {
	case "", "1":
	case "0":
		opts.FormulaGuard = false
	default:
		return opts, custexport.FieldError("guard", "%q is not 0 or 1", params.Get("guard"))
	}
	return opts, nil
}

// serveExport streams the file. Headers go out with the first bytes, so that an export refused
// as busy, or failing before its first row, still gets a proper status.
func (s *Server) serveExport(w http.ResponseWriter, r *http.Request, req exporter.Request) {
	format := req.Options.Format
	h := w.Header()
	h.Set("Content-Type", format.ContentType(req.Options.Encoding))
	h.Set("Content-Disposition", `attachment; filename="`+format.FileName(time.Now(), s.Location)+`"`)
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Encoding")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	// A long download must not be cut by the server's write timeout, but a client that stops
	// reading must not hold its slot and a database snapshot for ever: the deadline moves on
	// with every write and only a stall of stallTimeout ends the download.
	body := &lazyBody{w: w, gzip: format != custexport.FormatXLSX && acceptsGzip(r), rc: http.NewResponseController(w)}
	body.extendDeadline(time.Now())
	s.exports.Add(1)
	defer s.exports.Done()
	s.metrics.running.Add(1)
	res, err := s.Engine.Run(r.Context(), req, body, nil)
	s.metrics.running.Add(-1)
	outcome := exporter.OutcomeOf(r.Context(), err)
	if err == nil {
		err = body.Close()
	}
	s.metrics.observe(format, outcome, res.Rows, res.Duration.Seconds())
	if err == nil {
		return
	}
	if !body.started {
		if outcome == custexport.OutcomeBusy {
			w.Header().Set("Retry-After", "30")
			answer(w, r, httpStatus(err), msgBusy)
			return
		}
		answer(w, r, http.StatusInternalServerError, msgFailed)
		return
	}
	// Mid-stream: the status is gone. Abort the connection so the client sees an incomplete
	// download instead of a short file that looks whole.
	if outcome == custexport.OutcomeFailed {
		s.Logger.Error("export failed mid-stream", "partner", req.Principal.ID, "err", err)
	}
	panic(http.ErrAbortHandler)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(coding, "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// lazyBody sends the headers (and starts gzip) only when the first bytes arrive.
type lazyBody struct {
	w        http.ResponseWriter
	gzip     bool
	gz       *gzip.Writer
	out      io.Writer
	started  bool
	rc       *http.ResponseController
	deadline time.Time // the write deadline last set
}

// stallTimeout is how long a download may wait for its client to read before it is cut off.
var stallTimeout = 60 * time.Second

// extendDeadline moves the write deadline to stallTimeout from now, at most once a second
// (setting it is cheap, but a write happens every 64 KiB).
func (b *lazyBody) extendDeadline(now time.Time) {
	if b.deadline.Sub(now) < stallTimeout-time.Second {
		b.deadline = now.Add(stallTimeout)
		b.rc.SetWriteDeadline(b.deadline)
	}
}

func (b *lazyBody) Write(p []byte) (int, error) {
	b.extendDeadline(time.Now())
	if !b.started {
		b.started = true
		b.out = b.w
		if b.gzip {
			b.w.Header().Set("Content-Encoding", "gzip")
			b.gz, _ = gzip.NewWriterLevel(b.w, gzip.BestSpeed)
			b.out = b.gz
		}
		b.w.WriteHeader(http.StatusOK)
	}
	return b.out.Write(p)
}

// Close finishes the gzip stream of a successful export.
func (b *lazyBody) Close() error {
	if b.gz != nil {
		return b.gz.Close()
	}
	return nil
}
