package web

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/i18n"
)

// An admin export job: its progress (polled by the page) and its file.

// jobView is a job as the page and the progress poll show it.
type jobView struct {
	ID          int64  `json:"id"`
	State       string `json:"state"`
	Done        int64  `json:"done"`
	Total       int64  `json:"total"`
	Percent     int    `json:"percent"`
	PercentText string `json:"percent_text"` // "Hotovo 30 %", what the page announces every tenth
	Text        string `json:"text"`         // the status sentence in the user's language
	What        string `json:"what"`
	Replaced    string `json:"replaced,omitempty"`
	Error       string `json:"error,omitempty"`
	DownloadURL string `json:"download,omitempty"`
	KeptUntil   string `json:"kept_until,omitempty"`
}

func (s *Server) jobView(l i18n.Lang, j *custexport.ExportJob) *jobView {
	v := &jobView{ID: j.ID, State: string(j.State), Done: j.RowsDone, Total: j.RowsTotal, Percent: j.Percent()}
	v.PercentText = l.T("job.percent", v.Percent)
	what := strings.ToUpper(string(j.Options.Format))
	if j.Options.Format == custexport.FormatCSV {
		what += " " + string(j.Options.Encoding)
	}
	filter := l.Filter(exporter.FilterText(j.Options.Filter))
	if filter == "" {
		filter = l.T("job.all")
	}
	v.What = l.T("job.of", what, filter)
	switch j.State {
	case custexport.JobRunning:
		v.Text = l.T("job.running")
		if j.RowsTotal > 0 { // known once the snapshot is open, a moment after the start
			v.Text += " " + l.T("job.rows", formatNumber(j.RowsDone), formatNumber(j.RowsTotal))
		}
	case custexport.JobDone:
		v.Text = l.T("job.done", formatNumber(j.RowsDone), formatBytes(l, j.Bytes))
		v.DownloadURL = fmt.Sprintf("/jobs/%d/download", j.ID)
		v.KeptUntil = l.T("job.kept", l.Time(j.EndedAt.Add(custexport.JobFileLifetime), s.Location))
	case custexport.JobFailed:
		v.Error = jobFailure(l, j.Error)
		v.Text = l.T("job.failed", v.Error)
	case custexport.JobExpired:
		v.Text = l.T("job.expired")
	}
	if j.Replaced > 0 {
		v.Replaced = l.T("job.replaced", formatNumber(j.Replaced))
	}
	return v
}

// ownJob returns the user's job named in the path; another user's job is "not found".
func (s *Server) ownJob(r *http.Request, u *custexport.User) (*custexport.ExportJob, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, custexport.Errorf(custexport.CodeNotFound, "no such job")
	}
	j, err := s.Store.Job(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if j.UserID != u.ID {
		return nil, custexport.Errorf(custexport.CodeNotFound, "no such job")
	}
	return j, nil
}

func (s *Server) handleJobStatus(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	j, err := s.ownJob(r, u)
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, u, "export", err)
		return
	}
	writeJSON(w, s.jobView(requestLang(r), j))
}

func (s *Server) handleJobDownload(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	j, err := s.ownJob(r, u)
	if err != nil {
		s.fail(w, r, u, "export", err)
		return
	}
	var f io.ReadSeekCloser
	if j.State == custexport.JobDone {
		f, _, err = s.Jobs.Files.Open(r.Context(), j.File)
	}
	if j.State != custexport.JobDone || errors.Is(err, fs.ErrNotExist) {
		// Expired (or its file gone): say so, rather than a bare 404.
		s.render(w, r, http.StatusGone, "message", &page{User: u, Nav: "export", Title: l.T("export.title"), Error: l.T("job.expired")})
		return
	}
	if err != nil { // the file store is unreachable: not the same as expired
		s.fail(w, r, u, "export", err)
		return
	}
	defer f.Close()
	s.Engine.LogAttempt(r.Context(), exporter.Request{Principal: u.Principal(), Channel: custexport.ChannelAdmin,
		ClientIP: s.clientAddr(r).String(), UserAgent: r.UserAgent(), Options: j.Options},
		custexport.OutcomeEvent, fmt.Sprintf("file of export job %d downloaded (%d rows)", j.ID, j.RowsDone))
	h := w.Header()
	h.Set("Content-Type", j.Options.Format.ContentType(j.Options.Encoding))
	h.Set("Content-Disposition", `attachment; filename="`+j.Options.Format.FileName(j.EndedAt, s.Location)+`"`)
	h.Set("Cache-Control", "no-store")
	// A large file from a remote store can take longer than the server's write timeout, which
	// is for pages; a download must not be cut by it (SPEC section 12).
	http.NewResponseController(w).SetWriteDeadline(time.Time{})
	http.ServeContent(w, r, "", j.EndedAt, f)
}

// jobFailure says a failed job's stored message in the language: the two generic sentences
// the jobs write are known; any other is a domain error's own text.
func jobFailure(l i18n.Lang, msg string) string {
	switch msg {
	case exporter.JobCancelledMessage:
		return l.T("job.cancelled")
	case exporter.JobFailedMessage:
		return l.T("job.internal")
	}
	return msg
}
