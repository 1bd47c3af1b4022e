package web

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/custexport/custexport"
)

// metrics are the few Prometheus series operators need, written in the text exposition format
// by hand: client_golang would bring a dozen modules for five lines of output. There are no
// per-partner labels (unbounded series, and partner names are business data).
type metrics struct {
	running atomic.Int64

	mu          sync.Mutex
	exports     map[[2]string]int64 // format, outcome
	rows        int64
	durationSum float64
	durationN   int64
	imports     map[string]int64 // result: applied, dry_run, refused
	importRows  custexport.ImportCounts
}

// observeImport counts an import of the admin page by its result and adds its rows.
func (m *metrics) observeImport(rec *custexport.ImportRecord, refused bool) {
	result := "applied"
	switch {
	case refused:
		result = "refused"
	case rec.DryRun:
		result = "dry_run"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.imports == nil {
		m.imports = make(map[string]int64)
	}
	m.imports[result]++
	if !refused && !rec.DryRun {
		m.importRows.Created += rec.Created
		m.importRows.Updated += rec.Updated
		m.importRows.Unchanged += rec.Unchanged
		m.importRows.Skipped += rec.Skipped
	}
}

func (m *metrics) observe(format custexport.Format, outcome custexport.Outcome, rows int64, seconds float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.exports == nil {
		m.exports = make(map[[2]string]int64)
	}
	m.exports[[2]string{string(format), string(outcome)}]++
	m.rows += rows
	if outcome == custexport.OutcomeServed {
		m.durationSum += seconds
		m.durationN++
	}
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	m := &s.metrics
	m.mu.Lock()
	keys := make([][2]string, 0, len(m.exports))
	for k := range m.exports {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprintln(w, "# HELP custexport_exports_total URL export attempts by format and outcome.")
	fmt.Fprintln(w, "# TYPE custexport_exports_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "custexport_exports_total{format=%q,outcome=%q} %d\n", k[0], k[1], m.exports[k])
	}
	fmt.Fprintln(w, "# HELP custexport_export_rows_total Customers written by URL exports.")
	fmt.Fprintln(w, "# TYPE custexport_export_rows_total counter")
	fmt.Fprintf(w, "custexport_export_rows_total %d\n", m.rows)
	fmt.Fprintln(w, "# HELP custexport_export_duration_seconds Duration of served URL exports.")
	fmt.Fprintln(w, "# TYPE custexport_export_duration_seconds summary")
	fmt.Fprintf(w, "custexport_export_duration_seconds_sum %g\ncustexport_export_duration_seconds_count %d\n", m.durationSum, m.durationN)
	fmt.Fprintln(w, "# HELP custexport_imports_total Imports of the admin page by result (applied, dry_run, refused).")
	fmt.Fprintln(w, "# TYPE custexport_imports_total counter")
	for _, result := range []string{"applied", "dry_run", "refused"} {
		fmt.Fprintf(w, "custexport_imports_total{result=%q} %d\n", result, m.imports[result])
	}
	fmt.Fprintln(w, "# HELP custexport_import_rows_total Rows of applied imports by what became of them.")
	fmt.Fprintln(w, "# TYPE custexport_import_rows_total counter")
	for _, c := range []struct {
		change string
		n      int64
	}{{"created", m.importRows.Created}, {"updated", m.importRows.Updated}, {"unchanged", m.importRows.Unchanged}, {"skipped", m.importRows.Skipped}} {
		fmt.Fprintf(w, "custexport_import_rows_total{change=%q} %d\n", c.change, c.n)
	}
	m.mu.Unlock()
	fmt.Fprintln(w, "# HELP custexport_exports_running URL exports running now on this instance.")
	fmt.Fprintln(w, "# TYPE custexport_exports_running gauge")
	fmt.Fprintf(w, "custexport_exports_running %d\n", m.running.Load())
}
