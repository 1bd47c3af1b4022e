package web

import (
	"net/http"
	"strconv"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/exporter"
)

// handleExportStart starts an admin export job from the export form: in the background, under
// the user's one-at-a-time slot, and goes back to the page, which shows its progress.
func (s *Server) handleExportStart(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	form, opts := readExportForm(l, r.PostFormValue)
	d, err := s.exportData(r, u)
	if err != nil {
		s.fail(w, r, u, "export", err)
		return
	}
	d.Form = form
	p := &page{User: u, Title: l.T("export.title"), Nav: "export", Path: "/customers/export", Data: d}
	if len(form.Errors) > 0 {
		p.Error = l.T("form.invalid")
		s.render(w, r, http.StatusBadRequest, "export", p)
		return
	}
	req := exporter.Request{Principal: u.Principal(), Channel: custexport.ChannelAdmin,
		ClientIP: s.clientAddr(r).String(), UserAgent: r.UserAgent(), Options: opts}
	job, err := s.Jobs.Start(r.Context(), s.JobContext, req, u.ID)
	if custexport.ErrorCode(err) == custexport.CodeBusy {
		d.Busy = true
		s.render(w, r, httpStatus(err), "export", p)
		return
	}
	if err != nil {
		s.fail(w, r, u, "export", err)
		return
	}
	s.Logger.Info("export job started", "job", job.ID, "user", u.ID)
	// The job's id in the address tells the page that this user just started it: a job that
	// has already ended when the page loads gets focus on its download button, as one that ends
	// while the page watches does.
	http.Redirect(w, r, "/customers/export?job="+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}
