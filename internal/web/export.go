package web

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/linksign"
)

// fileFormats maps the download names to formats; anything else is 404.
var fileFormats = map[string]custexport.Format{
	"customers.csv":  custexport.FormatCSV,
	"customers.xml":  custexport.FormatXML,
	"customers.xlsx": custexport.FormatXLSX,
}

// handleExport serves GET and HEAD /export/customers.{csv,xml,xlsx}. Whether the link may be served is
// linksign's decision; this handler only answers it in HTTP, consults the failure limiter and
// writes the access-log entry of a refusal.
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
			s.Limiter.Fail(clientip.Network(client), now)
		}
		s.logRefusal(r.Context(), req, outcome, reason, clientip.Network(client), now) // within the log's budget
		s.metrics.observe(format, outcome, 0, 0)
		answer(w, r, status, m)
	}
	if blocked, wait := s.Limiter.Blocked(clientip.Network(client), now); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		refuse(http.StatusTooManyRequests, custexport.OutcomeRateLimited, msgRateLimited, "too many failed attempts from "+client.String())
		return
	}

	auth := linksign.Authorizer{Signer: s.Signer, Partners: s.Store, Location: s.Location}
	grant, denial := auth.Authorize(r.Context(), linksign.LinkRequest{
		Path: r.URL.Path, Format: format, RawQuery: r.URL.RawQuery, Client: client, Now: now,
	})
	if denial != nil {
		req.Principal, req.Options = denial.Principal, denial.Options
		status, m := http.StatusForbidden, msgDenied
		switch denial.Kind {
		case linksign.DeniedQueryTooLong:
			status, m = http.StatusRequestURITooLong, msgTooLong
		case linksign.DeniedBadParameter:
			status, m = http.StatusBadRequest, badParameter(denial.Problem.Field, denial.Problem.Message)
		}
		refuse(status, denial.Kind.Outcome(), m, denial.Reason)
		return
	}
	req.Principal, req.Options = grant.Partner.Principal(), grant.Options
	req.Partner = grant.Partner // the heartbeat stops the download once this grant is revoked
	s.Store.TouchPartner(r.Context(), grant.Partner.ID, now)
	s.serveExport(w, r, req)
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
		// The same checks and the same status as a GET, without a body or an export.
		err := s.Engine.HeadersOnly(r.Context(), req)
		s.metrics.observe(format, exporter.OutcomeOf(r.Context(), err), 0, 0)
		if err != nil {
			s.answerUnstarted(w, r, err)
			return
		}
		if compress(format, r) {
			h.Set("Content-Encoding", "gzip") // as the GET would be sent
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	// A long download must not be cut by the server's write timeout, but a client that stops
	// reading must not hold its slot and a database snapshot for ever: the deadline moves on
	// with every write and only a stall of stallTimeout ends the download.
	body := &lazyBody{w: w, gzip: compress(format, r), rc: http.NewResponseController(w)}
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
		s.answerUnstarted(w, r, err)
		return
	}
	// Mid-stream: the status is gone. Abort the connection so the client sees an incomplete
	// download instead of a short file that looks whole.
	if outcome == custexport.OutcomeFailed {
		s.Logger.Error("export failed mid-stream", "partner", req.Principal.ID, "err", err)
	}
	panic(http.ErrAbortHandler)
}

// answerUnstarted answers an export that ended with err before its first byte: 429 with
// Retry-After while the principal's other export runs, else the server's failure.
func (s *Server) answerUnstarted(w http.ResponseWriter, r *http.Request, err error) {
	if exporter.OutcomeOf(r.Context(), err) == custexport.OutcomeBusy {
		w.Header().Set("Retry-After", "30")
		answer(w, r, httpStatus(err), msgBusy)
		return
	}
	answer(w, r, http.StatusInternalServerError, msgFailed)
}

// compress reports whether a download of format is sent gzipped: CSV and XML when the client
// accepts gzip; never XLSX, which is a zip already.
func compress(format custexport.Format, r *http.Request) bool {
	return format != custexport.FormatXLSX && acceptsGzip(r)
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
