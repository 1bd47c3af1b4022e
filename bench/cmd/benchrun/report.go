package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// result is one measure's samples and summary, as written to results.json.
type result struct {
	Name        string    `json:"name"`
	Anchor      bool      `json:"anchor"`
	Command     []string  `json:"command"`
	WallSeconds []float64 `json:"wall_seconds"`
	CPUSeconds  []float64 `json:"cpu_seconds"` // user + system, including ServerCPUSeconds
	// ServerCPUSeconds is, per run, the CPU time of the PostgreSQL backends serving the
	// command (PostgreSQL measures only).
	ServerCPUSeconds []float64 `json:"server_cpu_seconds,omitempty"`
	// OthersShare is, per run, the share of the machine's CPU that other processes used.
	OthersShare   []float64 `json:"others_cpu_share"`
	MedianSeconds float64   `json:"median_seconds"`
	MinSeconds    float64   `json:"min_seconds"`
	MedianCPU     float64   `json:"median_cpu_seconds"`
	PeakRSSMiB    float64   `json:"peak_rss_mib"` // the largest over the runs
	OutputBytes   int64     `json:"output_bytes"`
	Error         string    `json:"error,omitempty"`
}

func (r *result) add(s sample) {
	r.WallSeconds = append(r.WallSeconds, s.wall.Seconds())
	r.CPUSeconds = append(r.CPUSeconds, s.cpu.Seconds())
	if s.watched {
		r.ServerCPUSeconds = append(r.ServerCPUSeconds, s.serverCPU.Seconds())
	}
	r.OthersShare = append(r.OthersShare, s.others)
	r.PeakRSSMiB = max(r.PeakRSSMiB, float64(s.maxRSSKiB)/1024)
	r.OutputBytes = s.outputBytes
	r.MedianSeconds, r.MinSeconds = median(r.WallSeconds)
	r.MedianCPU, _ = median(r.CPUSeconds)
}

// median returns the median and the minimum of a non-empty list.
func median(list []float64) (med, least float64) {
	sorted := slices.Sorted(slices.Values(list))
	n := len(sorted)
	return (sorted[(n-1)/2] + sorted[n/2]) / 2, sorted[0]
}

func (r *result) ok() bool { return r != nil && r.Error == "" && len(r.WallSeconds) > 0 }

// checkResult is one row of the verdict.
type checkResult struct {
	Measure string  `json:"measure"`
	Against string  `json:"against,omitempty"` // empty for the memory check
	Ratio   float64 `json:"ratio,omitempty"`   // time(measure) / time(against); speedups inverted
	Shown   string  `json:"shown"`
	Target  string  `json:"target"`
	Status  string  `json:"status"` // OK, MISS, info or n/a
}

type report struct {
	Started      time.Time      `json:"started"`
	Customers    int            `json:"customers"`
	Runs         int            `json:"runs"`
	ExcelizeRuns int            `json:"excelize_runs"`
	CPU          string         `json:"cpu"`
	Go           string         `json:"go"`
	SQLite       string         `json:"sqlite3"`
	PostgreSQL   string         `json:"postgresql,omitempty"` // the server's version
	Results      []*result      `json:"results"`
	Server       *serverResult  `json:"server,omitempty"`
	Flood        *floodResult   `json:"flood,omitempty"`
	FloodLength  string         `json:"flood_length,omitempty"`
	Checks       []*checkResult `json:"checks"`
}

func newReport(c *config, results []*result, srv *serverResult) *report {
	rep := &report{Started: c.started, Customers: c.customers, Runs: c.runs, ExcelizeRuns: c.excelizeRuns,
		CPU: c.cpu, Go: c.goBuild, SQLite: c.sqliteVersion, PostgreSQL: c.pgVersion, Results: results, Server: srv}
	byName := map[string]*result{}
	for _, r := range results {
		byName[r.Name] = r
	}
	for _, ch := range checks() {
		m := byName[ch.measure]
		if m == nil { // skipped
			continue
		}
		cr := &checkResult{Measure: ch.measure, Against: ch.against, Status: "n/a", Shown: "vs " + ch.against}
		switch {
		case ch.limit == 0:
			cr.Target = "info"
		case ch.speedup:
			cr.Target = fmt.Sprintf("≥ %.0f× faster", 1/ch.limit)
		default:
			cr.Target = fmt.Sprintf("≤ %.2f×", ch.limit)
		}
		if a := byName[ch.against]; m.ok() && a.ok() {
			cr.Ratio = m.MedianSeconds / a.MedianSeconds
			cr.Shown = fmt.Sprintf("%.3f × %s", cr.Ratio, ch.against)
			if ch.speedup {
				cr.Shown = fmt.Sprintf("%.1f× faster than %s", 1/cr.Ratio, ch.against)
			}
			cr.Status = verdict(ch.limit == 0, cr.Ratio <= ch.limit)
		}
		rep.Checks = append(rep.Checks, cr)
	}
	for _, r := range results {
		if r.Anchor {
			continue
		}
		cr := &checkResult{Measure: r.Name, Shown: "peak RSS", Target: fmt.Sprintf("≤ %d MiB", maxRSSMiB), Status: "n/a"}
		if r.ok() {
			cr.Status = verdict(false, r.PeakRSSMiB <= maxRSSMiB)
		}
		rep.Checks = append(rep.Checks, cr)
	}
	rep.Checks = append(rep.Checks, srv.checks()...)
	return rep
}

// addFlood adds the flood measure's result and verdicts; nothing when it did not run.
func (rep *report) addFlood(f *floodResult, length time.Duration) {
	if f == nil {
		return
	}
	rep.Flood, rep.FloodLength = f, length.String()
	rep.Checks = append(rep.Checks, f.checks()...)
}

// URL measure names, for the table.
const (
	urlTTFB       = "URL export, first byte"
	urlConcurrent = "URL export, 16 partners at once"
)

// checks are the verdicts on the URL measures; none when they did not run.
func (s *serverResult) checks() []*checkResult {
	if s == nil {
		return nil
	}
	ttfb := &checkResult{Measure: urlTTFB, Shown: "median of sequential downloads", Target: fmt.Sprintf("≤ %d ms", ttfbTargetMS), Status: "n/a"}
	if len(s.TTFBMillis) > 0 {
		ttfb.Shown = fmt.Sprintf("%.1f ms (median of %d)", s.MedianTTFB, len(s.TTFBMillis))
		ttfb.Status = verdict(false, s.MedianTTFB <= ttfbTargetMS)
	}
	all := &checkResult{Measure: urlConcurrent, Shown: "downloads complete", Target: fmt.Sprintf("%d of %d", s.Concurrent, s.Concurrent), Status: "n/a"}
	mem := &checkResult{Measure: urlConcurrent, Shown: "server peak RSS", Target: fmt.Sprintf("≤ %d MiB", serverMaxRSSMiB), Status: "n/a"}
	if s.ServerPeakMB > 0 {
		all.Shown = fmt.Sprintf("%d of %d complete in %.3f s", s.Completed, s.Concurrent, s.ConcurrentS)
		all.Status = verdict(false, s.Completed == s.Concurrent)
		mem.Shown = fmt.Sprintf("server peak RSS %.1f MiB", s.ServerPeakMB)
		mem.Status = verdict(false, s.ServerPeakMB <= serverMaxRSSMiB)
	}
	return []*checkResult{ttfb, all, mem, s.hashAloneCheck()}
}

func verdict(info, ok bool) string {
	switch {
	case info:
		return "info"
	case ok:
		return "OK"
	}
	return "MISS"
}

// text renders the table (Markdown, padded so that it also reads well in a terminal), one row
// per measure and one more row per further check of it, and the errors below.
func (rep *report) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "custexport bench, %s: %d customers, runs per measure: %d (excelize: %d)\n",
		rep.Started.Format(time.DateTime), rep.Customers, rep.Runs, rep.ExcelizeRuns)
	fmt.Fprintf(&b, "%s, %s, sqlite3 %s", rep.CPU, rep.Go, rep.SQLite)
	if rep.PostgreSQL != "" {
		fmt.Fprintf(&b, ", PostgreSQL %s", rep.PostgreSQL)
	}
	b.WriteString("\n\n")
	// "cpu s" (median user + system time) is not judged; it shows which wall times a busy
	// machine inflated, and whether a command used more than one core.
	rows := [][]string{{"measure", "median s", "min s", "cpu s", "peak RSS MiB", "ratio vs anchor", "target", "OK/MISS"}}
	busiest := 0.0
	for _, r := range rep.Results {
		row := []string{r.Name, "FAILED", "", "", "", "", "", ""}
		if r.ok() {
			row = []string{r.Name, fmt.Sprintf("%.3f", r.MedianSeconds), fmt.Sprintf("%.3f", r.MinSeconds),
				fmt.Sprintf("%.2f", r.MedianCPU), fmt.Sprintf("%.1f", r.PeakRSSMiB), "", "", ""}
		}
		busiest = max(busiest, slices.Max(append([]float64{0}, r.OthersShare...)))
		if r.Anchor {
			row[5] = "anchor"
		}
		first := true
		for _, cr := range rep.Checks {
			if cr.Measure != r.Name {
				continue
			}
			if !first {
				row = []string{"", "", "", "", "", "", "", ""}
			}
			first = false
			row[5], row[6], row[7] = cr.Shown, cr.Target, cr.Status
			rows = append(rows, row)
		}
		if first {
			rows = append(rows, row)
		}
	}
	writeTable(&b, rows)
	if rep.Server != nil {
		b.WriteString("\n")
		srows := [][]string{{"URL measure (custexport serve on loopback, CSV)", "result", "target", "OK/MISS"}}
		for _, cr := range rep.Checks {
			if cr.Measure == urlTTFB || cr.Measure == urlConcurrent || cr.Measure == urlHashAloneMeasure {
				srows = append(srows, []string{cr.Measure, cr.Shown, cr.Target, cr.Status})
			}
		}
		writeTable(&b, srows)
	}
	if rep.Flood != nil {
		b.WriteString("\n")
		floodTable(&b, rep.Checks, rep.FloodLength)
	}
	ok, miss := 0, 0
	for _, cr := range rep.Checks {
		switch cr.Status {
		case "OK":
			ok++
		case "MISS":
			miss++
		}
	}
	fmt.Fprintf(&b, "\ntargets: %d OK, %d MISS\n", ok, miss)
	// Other processes only ever add wall time; past a tenth of the machine the medians
	// mostly measure them, so say so rather than let a MISS or OK look solid.
	if busiest > 0.10 {
		fmt.Fprintf(&b, "\nWARNING: other processes used up to %.0f%% of the machine's CPU during a run; "+
			"wall times are inflated and ratios unreliable: rerun on a quiet machine (see cpu s, and others_cpu_share in results.json).\n", busiest*100)
	}
	for _, r := range rep.Results {
		if r.Error != "" {
			fmt.Fprintf(&b, "\n%s FAILED:\n```\n%s\n```\n", r.Name, strings.TrimSpace(r.Error))
		}
	}
	if rep.Server != nil && rep.Server.Error != "" {
		fmt.Fprintf(&b, "\nURL measures FAILED:\n```\n%s\n```\n", strings.TrimSpace(rep.Server.Error))
	}
	if rep.Flood != nil && rep.Flood.Error != "" {
		fmt.Fprintf(&b, "\nflood measure FAILED:\n```\n%s\n```\n", strings.TrimSpace(rep.Flood.Error))
	}
	return b.String()
}

func writeTable(b *strings.Builder, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			width[i] = max(width[i], len([]rune(cell)))
		}
	}
	line := func(row []string) {
		for i, cell := range row {
			pad := strings.Repeat(" ", width[i]-len([]rune(cell)))
			if i >= 1 && i <= 4 { // numbers right-aligned
				fmt.Fprintf(b, "| %s%s ", pad, cell)
			} else {
				fmt.Fprintf(b, "| %s%s ", cell, pad)
			}
		}
		b.WriteString("|\n")
	}
	line(rows[0])
	for i, w := range width {
		dashes := strings.Repeat("-", w)
		if i >= 1 && i <= 4 {
			dashes = dashes[1:] + ":"
		}
		fmt.Fprintf(b, "| %s ", dashes)
	}
	b.WriteString("|\n")
	for _, row := range rows[1:] {
		line(row)
	}
}

// save writes results.md and results.json into dir.
func (rep *report) save(dir string) error {
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(rep.text()), 0o644); err != nil {
		return err
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "results.json"), append(data, '\n'), 0o644)
}
