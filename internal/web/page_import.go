package web

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
	"github.com/custexport/custexport/internal/i18n"
)

// MaxUploadBytes is the largest file (CSV or XLSX) the Import page takes (the CLI's default
// limit too).
const MaxUploadBytes = 2 << 30

// The import page (Zákazníci → Import): the upload, its report, and the log of imports.

type importData struct {
	Encoding       string
	DryRun         bool
	AcceptWarnings bool // apply the values the import warns about
	Report         *custexport.ImportRecord
	Refused        string // why the file was refused as a whole
	// Changes are the report's first changes (page_importchanges.go); Detail marks the page of
	// a past import or a revert, which has no upload form.
	Changes []custexport.FieldChange
	Detail  bool
}

func (s *Server) handleImportPage(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	s.render(w, r, http.StatusOK, "import", &page{User: u, Title: l.T("import.title"), Nav: "import",
		Data: importData{Encoding: "auto"}})
}

// handleImport takes the upload (the form's fields come before the file), spools it to a
// temporary file, so that a slow upload never holds the database's write lock, and imports
// it in one transaction.
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	d := importData{Encoding: "auto"}
	render := func(status int) {
		s.render(w, r, status, "import", &page{User: u, Title: l.T("import.title"), Nav: "import", Data: d})
	}
	upload := s.newUploadBody(w, r.Body) // a trickle is cut off: Slow.UploadMinBytes every Slow.UploadPeriod
	r.Body = http.MaxBytesReader(w, upload, MaxUploadBytes+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		d.Refused = l.T("import.nofile")
		render(http.StatusBadRequest)
		return
	}
	var spooled *os.File
	var name string
	defer func() {
		if spooled != nil {
			spooled.Close()
			os.Remove(spooled.Name())
		}
	}()
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			d.Refused = l.T("import.uploadfailed")
			render(uploadFailure(err))
			return
		}
		switch part.FormName() {
		case "encoding":
			v, _ := io.ReadAll(io.LimitReader(part, 32))
			d.Encoding = string(v)
		case "dry_run":
			d.DryRun = true
		case "accept_warnings":
			d.AcceptWarnings = true
		case "file":
			if spooled != nil || part.FileName() == "" {
				continue
			}
			name = filepath.Base(part.FileName())
			if err := os.MkdirAll(s.UploadDir, 0o700); err != nil {
				s.fail(w, r, u, "import", err)
				return
			}
			if spooled, err = os.CreateTemp(s.UploadDir, "import-*"); err != nil {
				s.fail(w, r, u, "import", err)
				return
			}
			n, err := io.Copy(spooled, io.LimitReader(part, MaxUploadBytes+1))
			var tooLarge *http.MaxBytesError
			if n > MaxUploadBytes || errors.As(err, &tooLarge) {
				d.Refused = l.T("import.toolarge", MaxUploadBytes>>20)
				render(http.StatusRequestEntityTooLarge)
				return
			}
			if err != nil {
				d.Refused = l.T("import.uploadfailed")
				render(uploadFailure(err))
				return
			}
		}
		part.Close()
	}
	upload.done()
	if spooled == nil {
		d.Refused = l.T("import.nofile")
		render(http.StatusBadRequest)
		return
	}
	opts := csvimport.Options{Location: s.Location, DryRun: d.DryRun, MaxBytes: MaxUploadBytes, AcceptWarnings: d.AcceptWarnings}
	switch d.Encoding {
	case "utf-8", "windows-1250":
		opts.Encoding = custexport.Encoding(d.Encoding)
	default:
		d.Encoding = "auto"
	}
	if _, err := spooled.Seek(0, io.SeekStart); err != nil {
		s.fail(w, r, u, "import", err)
		return
	}
	rec := &custexport.ImportRecord{Principal: u.Principal(), File: custexport.LogText(name)}
	runErr := csvimport.Run(r.Context(), s.Store, spooled, opts, rec)
	if runErr != nil {
		rec.Error = runErr.Error()
		d.Refused = s.importProblem(l, runErr)
	}
	if err := s.Store.RecordImport(r.Context(), rec); err != nil {
		s.Logger.Error("writing the import log", "err", err)
	}
	s.metrics.observeImport(rec, runErr != nil)
	d.Report = rec
	if d.Changes, err = s.preview(r, rec); err != nil {
		s.Logger.Error("reading the import's changes", "err", err)
	}
	s.Logger.Info("import", "user", u.ID, "rows", rec.Rows, "created", rec.Created, "updated", rec.Updated,
		"unchanged", rec.Unchanged, "skipped", rec.Skipped, "warnings", rec.Warnings, "dry_run", rec.DryRun, "refused", runErr != nil)
	status := http.StatusOK
	if runErr != nil {
		status = http.StatusBadRequest
	}
	render(status)
}

// uploadFailure is the status of an upload that broke off: 408 when it came too slowly.
func uploadFailure(err error) int {
	if isTimeout(err) {
		return http.StatusRequestTimeout
	}
	return http.StatusBadRequest
}

// importProblem says why an import or a revert was refused, in the page's language; a failure
// that is not the file's is logged and said as a general error.
func (s *Server) importProblem(l i18n.Lang, err error) string {
	var e *custexport.Error
	if errors.As(err, &e) && e.Code != custexport.CodeInternal {
		return l.Problem(e)
	}
	s.Logger.Error("import failed", "err", err)
	return l.T("error")
}

type importLogData struct {
	Imports []custexport.ImportRecord
	Total   int64
	Pager   pager
}

func (s *Server) handleImportLog(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	_, total, err := s.Store.Imports(r.Context(), 0, 0)
	if err != nil {
		s.fail(w, r, u, "import", err)
		return
	}
	pg, offset := newPager(r, total)
	list, _, err := s.Store.Imports(r.Context(), offset, pageSize)
	if err != nil {
		s.fail(w, r, u, "import", err)
		return
	}
	s.render(w, r, http.StatusOK, "importlog", &page{User: u, Title: l.T("import.logtitle"), Nav: "import",
		Data: importLogData{Imports: list, Total: total, Pager: pg}})
}

// importErrorText says why a logged import was refused, in the page's language when the kept
// English message is a known refusal; else as kept.
func importErrorText(l i18n.Lang, rec custexport.ImportRecord) string {
	if reason, value, ok := csvimport.ReadRefusal(rec.Error); ok {
		return l.Problem(&custexport.Error{Reason: reason, Value: value, Message: rec.Error})
	}
	return rec.Error
}
