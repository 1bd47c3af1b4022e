package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The flood measure (issue 16, SPEC section 7): anonymous clients must not grow the access log
// faster than a bounded rate. For -flood (default 60 s), 256 clients on their own loopback
// addresses (127.1.0.1 … 127.1.1.0) ask for the partner URL with a wrong hash and a 60 KB
// User-Agent as fast as the server answers, while a real partner downloads its CSV from
// 127.0.0.1 again and again. Measured: how much the database grew (the access log, after the
// server stopped and wrote its last counts), and whether every partner download completed.
const (
	floodAddresses  = 256
	floodAgentBytes = 60_000
	floodCustomers  = 20_000 // the partner's download: a real file, a few MB
	floodTargetMiB  = 4      // "a few MB at most"
)

// floodResult is what results.json holds of the flood measure.
type floodResult struct {
	Seconds          float64          `json:"seconds"`
	Addresses        int              `json:"addresses"`
	AgentBytes       int              `json:"user_agent_bytes"`
	Requests         int64            `json:"requests"`
	ByStatus         map[string]int64 `json:"requests_by_status"`
	Entries          int64            `json:"log_entries_added"`
	EntriesByOutcome map[string]int64 `json:"log_entries_by_outcome"`
	TextBytes        int64            `json:"log_text_bytes"` // user agents and reasons stored
	GrowthBytes      int64            `json:"database_growth_bytes"`
	PartnerDone      int              `json:"partner_downloads_complete"`
	PartnerFailed    int              `json:"partner_downloads_failed"`
	PartnerMedianS   float64          `json:"partner_download_median_seconds"`
	PartnerBytes     int64            `json:"partner_download_bytes"`
	Error            string           `json:"error,omitempty"`
}

// measureFlood runs the flood in a database of its own (out/flood, made anew), so that the
// growth is the flood's alone and the bench data set is left as it was.
func measureFlood(c *config) *floodResult {
	res := &floodResult{Addresses: floodAddresses, AgentBytes: floodAgentBytes, ByStatus: map[string]int64{}, EntriesByOutcome: map[string]int64{}}
	if err := res.measure(c); err != nil {
		res.Error = err.Error()
		fmt.Fprintf(os.Stderr, "[flood] FAILED: %v\n", err)
	}
	return res
}

func (res *floodResult) measure(c *config) error {
	dir := filepath.Join(c.outDir, "flood")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if !c.keep {
		defer os.RemoveAll(dir)
	}
	db := filepath.Join(dir, "custexport.db")
	if err := command("", c.bin, "seed", "--customers", strconv.Itoa(floodCustomers), "--seed", "1", "--data-dir", dir); err != nil {
		return fmt.Errorf("seeding the flood's database: %w", err)
	}
	out, err := productOutputIn(c, dir, "partner", "add", "flood-partner", "--note", "made by make bench")
	if err != nil {
		return err
	}
	partner := strings.TrimSpace(out)
	sizeBefore, err := databaseBytes(db)
	if err != nil {
		return err
	}
	lastID, err := sqliteValue(db, "SELECT coalesce(max(id), 0) FROM access_log")
	if err != nil {
		return err
	}

	srv, err := startServerOn(c, dir)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			srv.stop()
		}
	}()
	out, err = productOutputIn(c, dir, "partner", "url", partner, "--format", "csv", "--public-url", "http://"+srv.addr)
	if err != nil {
		return err
	}
	link := strings.TrimSpace(out)
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("partner url printed %q: %w", link, err)
	}
	agent := strings.Repeat("Mozilla/5.0 (X11; flood) ", floodAgentBytes/25+1)[:floodAgentBytes]

	fmt.Fprintf(os.Stderr, "[flood] %s: %d addresses, bad hashes, %d-byte user agents; a partner downloads meanwhile\n",
		c.flood, floodAddresses, floodAgentBytes)
	ctx, cancel := context.WithTimeout(context.Background(), c.flood)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var requests atomic.Int64
	for i := range floodAddresses {
		local := net.IPv4(127, 1, byte((i+1)>>8), byte(i+1))
		wg.Go(func() {
			client := &http.Client{Transport: &http.Transport{
				DialContext:        (&net.Dialer{LocalAddr: &net.TCPAddr{IP: local}}).DialContext,
				DisableCompression: true,
			}}
			defer client.CloseIdleConnections()
			for ctx.Err() == nil {
				bad := *u
				q := bad.Query()
				q.Set("hash", randomHex())
				bad.RawQuery = q.Encode()
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, bad.String(), nil)
				req.Header.Set("User-Agent", agent)
				status := "error"
				if resp, err := client.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = strconv.Itoa(resp.StatusCode)
				} else if ctx.Err() != nil {
					return
				}
				requests.Add(1)
				mu.Lock()
				res.ByStatus[status]++
				mu.Unlock()
			}
		})
	}
	var took []float64
	partnerClient := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	for ctx.Err() == nil {
		d, err := download(partnerClient, link)
		switch {
		case err == nil && (res.PartnerBytes == 0 || d.bytes == res.PartnerBytes):
			res.PartnerBytes = d.bytes
			res.PartnerDone++
			took = append(took, d.total.Seconds())
		case ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded):
		default:
			res.PartnerFailed++
			fmt.Fprintf(os.Stderr, "[flood] partner download failed: %v (%d bytes)\n", err, d.bytes)
		}
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	res.Requests = requests.Load()
	if len(took) > 0 {
		res.PartnerMedianS, _ = median(took)
	}
	// The server writes its last counts of refused attempts when it stops.
	srv.stop()
	stopped = true

	sizeAfter, err := databaseBytes(db)
	if err != nil {
		return err
	}
	res.GrowthBytes = sizeAfter - sizeBefore
	where := " FROM access_log WHERE id > " + strconv.FormatInt(lastID, 10)
	if res.Entries, err = sqliteValue(db, "SELECT count(*)"+where); err != nil {
		return err
	}
	if res.TextBytes, err = sqliteValue(db, "SELECT coalesce(sum(length(CAST(user_agent AS BLOB)) + length(CAST(reason AS BLOB))), 0)"+where); err != nil {
		return err
	}
	rows, err := exec.Command("sqlite3", "-readonly", db, "SELECT outcome, count(*)"+where+" GROUP BY outcome").CombinedOutput()
	if err != nil {
		return fmt.Errorf("counting the flood's entries: %v: %s", err, rows)
	}
	for line := range strings.Lines(strings.TrimSpace(string(rows))) {
		outcome, n, _ := strings.Cut(strings.TrimSpace(line), "|")
		res.EntriesByOutcome[outcome], _ = strconv.ParseInt(n, 10, 64)
	}
	fmt.Fprintf(os.Stderr, "[flood] %d requests in %.1f s %v; the log grew by %d entries %v, %d bytes of text; database +%.2f MiB; partner: %d downloads complete, %d failed\n",
		res.Requests, res.Seconds, res.ByStatus, res.Entries, res.EntriesByOutcome, res.TextBytes,
		float64(res.GrowthBytes)/(1<<20), res.PartnerDone, res.PartnerFailed)
	return nil
}

func randomHex() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// databaseBytes is the size of a SQLite database with its write-ahead log, after folding the
// log into the file (nobody else has it open then).
func databaseBytes(db string) (int64, error) {
	if out, err := exec.Command("sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE)").CombinedOutput(); err != nil {
		return 0, fmt.Errorf("checkpointing %s: %v: %s", db, err, out)
	}
	var total int64
	for _, suffix := range []string{"", "-wal"} {
		info, err := os.Stat(db + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		total += info.Size()
	}
	return total, nil
}

// sqliteValue runs a query of one number on the database.
func sqliteValue(db, query string) (int64, error) {
	out, err := exec.Command("sqlite3", "-readonly", db, query).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("sqlite3 %q: %v: %s", query, err, out)
	}
	return strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
}

// Flood measure names and checks, for the table.
const floodMeasure = "access log under a flood"

func (f *floodResult) checks() []*checkResult {
	if f == nil {
		return nil
	}
	growth := &checkResult{Measure: floodMeasure, Shown: "database growth", Target: fmt.Sprintf("≤ %d MiB", floodTargetMiB), Status: "n/a"}
	partner := &checkResult{Measure: floodMeasure, Shown: "partner downloads meanwhile", Target: "all complete", Status: "n/a"}
	if f.Error == "" {
		growth.Shown = fmt.Sprintf("+%.2f MiB: %d entries for %d requests in %.0f s", float64(f.GrowthBytes)/(1<<20), f.Entries, f.Requests, f.Seconds)
		growth.Status = verdict(false, f.GrowthBytes <= floodTargetMiB<<20)
		partner.Shown = fmt.Sprintf("%d of %d complete, median %.2f s", f.PartnerDone, f.PartnerDone+f.PartnerFailed, f.PartnerMedianS)
		partner.Status = verdict(false, f.PartnerFailed == 0 && f.PartnerDone > 0)
	}
	return []*checkResult{growth, partner}
}

// floodTable renders the flood's rows below the URL measures.
func floodTable(b *strings.Builder, checks []*checkResult, length string) {
	title := fmt.Sprintf("flood: %s, %d addresses, bad hashes, %d KB user agents", length, floodAddresses, floodAgentBytes/1000)
	rows := [][]string{{title, "result", "target", "OK/MISS"}}
	for _, cr := range checks {
		if cr.Measure == floodMeasure {
			rows = append(rows, []string{"", cr.Shown, cr.Target, cr.Status})
		}
	}
	if len(rows) > 1 {
		rows[1][0] = floodMeasure
		writeTable(b, rows)
	}
}
