package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/logformat"
)

// The access log (Přístupový log): filtered, paged, and as CSV.

type logData struct {
	Principal, Outcome, From, Until string
	Errors                          fieldErrors
	Outcomes                        []outcomeOption
	Chart                           *logChart
	Entries                         []custexport.AccessEntry
	Total                           int64
	Pager                           pager
	CSVURL                          string
}

var allOutcomes = []string{"started", "served", "denied", "busy", "rate_limited", "bad_request", "failed", "aborted", "event"}

// outcomeOption is an outcome in the filter's list: its value and its name in the page's language.
type outcomeOption struct{ Value, Name string }

func (s *Server) handleLog(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	q := r.URL.Query()
	d := logData{Principal: strings.TrimSpace(q.Get("principal")), Outcome: q.Get("outcome"),
		From: strings.TrimSpace(q.Get("from")), Until: strings.TrimSpace(q.Get("until")),
		Errors: fieldErrors{}}
	query := custexport.AccessQuery{Principal: d.Principal}
	for _, o := range allOutcomes {
		d.Outcomes = append(d.Outcomes, outcomeOption{Value: o, Name: l.Outcome(custexport.Outcome(o))})
		if d.Outcome == o {
			query.Outcome = custexport.Outcome(o)
		}
	}
	filter, err := custexport.ParseFilter(formDate(d.From), formDate(d.Until), "from", "until")
	if !d.Errors.addProblems(l, err) {
		rng := filter.Range(s.Location)
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
		s.writeLogCSV(w, r, query)
		return
	}
	if d.Chart, err = s.accessChart(r.Context(), l, time.Now()); err != nil {
		s.fail(w, r, u, "log", err)
		return
	}
	if d.Total, err = s.Store.CountAccess(r.Context(), query); err != nil {
		s.fail(w, r, u, "log", err)
		return
	}
	var offset int
	d.Pager, offset = newPager(r, d.Total)
	query.Offset, query.Limit = offset, pageSize
	err = s.Store.QueryAccess(r.Context(), query, func(e *custexport.AccessEntry) error {
		d.Entries = append(d.Entries, *e)
		return nil
	})
	if err != nil {
		s.fail(w, r, u, "log", err)
		return
	}
	status := http.StatusOK
	if len(d.Errors) > 0 {
		status = http.StatusBadRequest
	}
	s.render(w, r, status, "log", &page{User: u, Title: l.T("log.title"), Nav: "log", Data: d})
}

// writeLogCSV streams the filtered log as CSV (the columns of `custexport log --format csv`).
func (s *Server) writeLogCSV(w http.ResponseWriter, r *http.Request, q custexport.AccessQuery) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="access-log-`+time.Now().In(s.Location).Format("2006-01-02")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	// The one access-log renderer, the same columns, times and guards as `custexport log`.
	out := logformat.NewCSV(w, s.Location)
	err := s.Store.QueryAccess(r.Context(), q, out.Entry)
	if closeErr := out.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		s.Logger.Error("access log CSV", "err", err)
	}
}
