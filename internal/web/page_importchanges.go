package web

import (
	"bufio"
	"encoding/csv"
	"net/http"
	"strconv"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvimport"
)

// The preview and the undo of an import (SPEC section 10): a past import's report with its
// first changes (GET /customers/import/{id}), all of them as CSV (…/changes.csv), and its
// revert, behind a confirmation page (GET …/revert asks, POST …/revert does it; dry_run=1
// previews it). The revert's POST is protected as every form is: signed in, and refused when a
// browser marks it as coming from another site (http.CrossOriginProtection in Handler).

// preview reads the first changes of an import for its report.
func (s *Server) preview(r *http.Request, rec *custexport.ImportRecord) ([]custexport.FieldChange, error) {
	if rec.ID == 0 || rec.Changes == 0 {
		return nil, nil
	}
	var out []custexport.FieldChange
	err := s.Store.ImportChanges(r.Context(), custexport.ChangeQuery{ImportID: rec.ID, Limit: custexport.MaxPreviewChanges},
		func(ch *custexport.FieldChange) error {
			out = append(out, *ch)
			return nil
		})
	return out, err
}

// importFromPath reads the import named by the path's {id}.
func (s *Server) importFromPath(r *http.Request) (*custexport.ImportRecord, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, custexport.Errorf(custexport.CodeNotFound, "no such import")
	}
	return s.Store.ImportByID(r.Context(), id)
}

// handleImportDetail shows a past import's report with its first changes.
func (s *Server) handleImportDetail(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	rec, err := s.importFromPath(r)
	if err != nil {
		s.fail(w, r, u, "import", err)
		return
	}
	d := importData{Report: rec, Detail: true}
	if d.Changes, err = s.preview(r, rec); err != nil {
		s.fail(w, r, u, "import", err)
		return
	}
	s.render(w, r, http.StatusOK, "import", &page{User: u, Title: l.T("import.id", rec.ID), Nav: "import", Data: d})
}

// handleImportChangesCSV downloads an import's whole change list, streamed from the store.
// Values come from a file: the export's formula guard keeps a spreadsheet from running them.
func (s *Server) handleImportChangesCSV(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	rec, err := s.importFromPath(r)
	if err != nil {
		s.fail(w, r, u, "import", err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="import-`+strconv.FormatInt(rec.ID, 10)+`-changes.csv"`)
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString("\ufeff")
	cw := csv.NewWriter(bw)
	cw.Comma, cw.UseCRLF = ';', true
	guard := func(v string) string {
		if custexport.NeedsFormulaGuard(v) {
			return "'" + v
		}
		return v
	}
	cw.Write([]string{"seq", "line", "guid", "kind", "column", "old", "new"})
	err = s.Store.ImportChanges(r.Context(), custexport.ChangeQuery{ImportID: rec.ID, Limit: -1}, func(ch *custexport.FieldChange) error {
		cw.Write([]string{strconv.FormatInt(ch.Seq, 10), strconv.Itoa(ch.Line), ch.GUID, string(ch.Kind), ch.Column, guard(ch.Old), guard(ch.New)})
		return cw.Error()
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		// The header is sent: the download ends short, and the log says why.
		s.Logger.Error("import changes download", "import", rec.ID, "err", err)
	}
}

// handleImportRevertConfirm asks before reverting: it rewrites customers and removes some.
func (s *Server) handleImportRevertConfirm(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	rec, err := s.importFromPath(r)
	if err != nil {
		s.fail(w, r, u, "import", err)
		return
	}
	if key, reason := custexport.RevertRefusal(rec); key != "" {
		e := custexport.Errorf(custexport.CodeConflict, "%s", reason)
		e.Reason, e.Value = key, strconv.FormatInt(rec.ID, 10)
		s.fail(w, r, u, "import", e)
		return
	}
	s.render(w, r, http.StatusOK, "confirm", &page{User: u, Nav: "import", Title: l.T("import.reverttitle"),
		Data: confirmData{Question: l.T("import.revertq", rec.ID, rec.File), Action: r.URL.Path,
			Button: l.T("import.revert.do", rec.ID), Back: l.T("import.revert.no"),
			BackURL: "/customers/import/" + strconv.FormatInt(rec.ID, 10)}})
}

// handleImportRevert reverts the import (or, with dry_run, previews the revert) and shows the
// revert's report; the revert is logged as an import of its own.
func (s *Server) handleImportRevert(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.fail(w, r, u, "import", custexport.Errorf(custexport.CodeNotFound, "no such import"))
		return
	}
	dry := r.PostFormValue("dry_run") != ""
	rec := &custexport.ImportRecord{Principal: u.Principal()}
	runErr := csvimport.Revert(r.Context(), s.Store, id, csvimport.Options{Location: s.Location, DryRun: dry}, rec)
	if custexport.ErrorCode(runErr) == custexport.CodeNotFound {
		s.fail(w, r, u, "import", runErr)
		return
	}
	d := importData{Report: rec, Detail: true}
	status := http.StatusOK
	if runErr != nil {
		rec.Error = runErr.Error()
		d.Refused = s.importProblem(l, runErr)
		status = http.StatusConflict
	}
	if err := s.Store.RecordImport(r.Context(), rec); err != nil {
		s.Logger.Error("writing the import log", "err", err)
	}
	s.Logger.Info("import revert", "user", u.ID, "import", id, "revert", rec.ID, "updated", rec.Updated, "removed", rec.Removed,
		"skipped", rec.Skipped, "dry_run", dry, "refused", runErr != nil)
	if d.Changes, err = s.preview(r, rec); err != nil {
		s.Logger.Error("reading the revert's changes", "err", err)
	}
	s.render(w, r, status, "import", &page{User: u, Title: l.T("import.revertreport", id), Nav: "import", Data: d})
}
