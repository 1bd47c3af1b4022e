package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The URL measures of SPEC section 13: the product's own server on loopback, serving the data
// set to partners by signed link. Targets: the first byte of a 1M-customer URL export within
// 300 ms, and 16 partners downloading the 1M CSV at once all completing, with the server's peak
// memory at most 256 MiB.
const (
	ttfbTargetMS       = 300
	concurrentPartners = 16
	serverMaxRSSMiB    = 256
	// benchPartnerPrefix names the partners the harness makes in the bench database (once; they
	// are reused by later runs).
	benchPartnerPrefix = "bench-partner-"
)

// serverResult is what results.json holds of the URL measures.
type serverResult struct {
	TTFBMillis   []float64 `json:"ttfb_ms"` // per sequential download
	MedianTTFB   float64   `json:"median_ttfb_ms"`
	SingleSecs   []float64 `json:"single_download_seconds"`
	Concurrent   int       `json:"concurrent_downloads"`
	Completed    int       `json:"completed"` // 200 and every byte of the single download
	ConcurrentS  float64   `json:"concurrent_seconds"`
	ServerPeakMB float64   `json:"server_peak_rss_mib"` // VmHWM of the serve process
	Bytes        int64     `json:"bytes_per_download"`
	// The hash alone (hashalone.go): HEAD times of a plain link and of its hash alone.
	PlainHeadMS      []float64 `json:"plain_link_head_ms"`
	HashAloneMS      []float64 `json:"hash_alone_head_ms"`
	HashAloneExtraMS float64   `json:"hash_alone_extra_ms"` // median difference
	Error            string    `json:"error,omitempty"`
}

// measureServer starts `custexport serve` on the bench data set, makes sure concurrentPartners
// partners exist, times c.runs single downloads (first byte and whole file), then starts every
// partner's download at once. The server is stopped (SIGTERM) at the end.
func measureServer(c *config) *serverResult {
	res := &serverResult{Concurrent: concurrentPartners}
	if err := res.measure(c); err != nil {
		res.Error = err.Error()
		fmt.Fprintf(os.Stderr, "[server] FAILED: %v\n", err)
	}
	return res
}

func (res *serverResult) measure(c *config) error {
	ids, err := benchPartners(c)
	if err != nil {
		return err
	}
	if err := ensurePartners(c, hashAlonePartners); err != nil {
		return err
	}
	srv, err := startServer(c)
	if err != nil {
		return err
	}
	defer srv.stop()

	links := make([]string, len(ids))
	for i, id := range ids {
		out, err := productOutput(c, "partner", "url", strconv.FormatInt(id, 10), "--format", "csv",
			"--public-url", "http://"+srv.addr)
		if err != nil {
			return err
		}
		links[i] = strings.TrimSpace(out)
	}

	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: concurrentPartners}}
	for r := range c.runs {
		if c.settle > 0 {
			settle(c.settle)
		}
		d, err := download(client, links[0])
		if err != nil {
			return fmt.Errorf("single download: %w", err)
		}
		res.TTFBMillis = append(res.TTFBMillis, float64(d.firstByte.Microseconds())/1000)
		res.SingleSecs = append(res.SingleSecs, d.total.Seconds())
		res.Bytes = d.bytes
		fmt.Fprintf(os.Stderr, "[server %d/%d] URL export: first byte %7.1f ms, whole %6.3f s, %d bytes\n",
			r+1, c.runs, res.TTFBMillis[r], d.total.Seconds(), d.bytes)
	}
	res.MedianTTFB, _ = median(res.TTFBMillis)
	if err := res.measureHashAlone(c, client, links[0]); err != nil {
		return fmt.Errorf("hash alone: %w", err)
	}

	if c.settle > 0 {
		settle(c.settle)
	}
	start := time.Now()
	var wg sync.WaitGroup
	results := make([]struct {
		d   downloadResult
		err error
	}, len(links))
	for i, link := range links {
		wg.Go(func() { results[i].d, results[i].err = download(client, link) })
	}
	wg.Wait()
	res.ConcurrentS = time.Since(start).Seconds()
	var errs []error
	for i, r := range results {
		switch {
		case r.err != nil:
			errs = append(errs, fmt.Errorf("partner %d: %w", ids[i], r.err))
		case r.d.bytes != res.Bytes:
			errs = append(errs, fmt.Errorf("partner %d: got %d bytes, the single download had %d", ids[i], r.d.bytes, res.Bytes))
		default:
			res.Completed++
		}
	}
	peak, err := peakRSSKiB(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	res.ServerPeakMB = float64(peak) / 1024
	fmt.Fprintf(os.Stderr, "[server] %d concurrent downloads: %d complete in %.3f s; server peak RSS %.1f MiB\n",
		len(links), res.Completed, res.ConcurrentS, res.ServerPeakMB)
	return errors.Join(errs...)
}

// benchPartners returns the ids of the bench partners, adding the missing ones.
func benchPartners(c *config) ([]int64, error) {
	out, err := productOutput(c, "partner", "list", "--format", "json")
	if err != nil {
		return nil, err
	}
	// One JSON object per line (JSON Lines).
	byName := map[string]int64{}
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var p struct {
			ID    int64  `json:"id"`
			Name  string `json:"name"`
			State string `json:"state"`
		}
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("partner list --format json: %w", err)
		}
		if p.State == "active" {
			byName[p.Name] = p.ID
		}
	}
	ids := make([]int64, concurrentPartners)
	for i := range ids {
		name := benchPartnerPrefix + strconv.Itoa(i+1)
		if id, ok := byName[name]; ok {
			ids[i] = id
			continue
		}
		out, err := productOutput(c, "partner", "add", name, "--note", "made by make bench")
		if err != nil {
			return nil, err
		}
		if ids[i], err = strconv.ParseInt(strings.TrimSpace(out), 10, 64); err != nil {
			return nil, fmt.Errorf("partner add printed %q, not an id", out)
		}
	}
	return ids, nil
}

// productOutput runs a product command on the bench data set and returns its standard output.
func productOutput(c *config, args ...string) (string, error) {
	return productOutputIn(c, c.dataDir, args...)
}

// productOutputIn runs a product command on the data in dir.
func productOutputIn(c *config, dir string, args ...string) (string, error) {
	cmd := exec.Command(c.bin, append(args, "--data-dir", dir)...)
	cmd.Env = childEnv()
	var stderr tailBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("custexport %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

type server struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

// startServer starts `custexport serve` on a free loopback port and waits for its "listening"
// log line, which names the port, and then for /readyz.
func startServer(c *config) (*server, error) { return startServerOn(c, c.dataDir) }

// startServerOn starts the server on the data in dir.
func startServerOn(c *config, dir string) (*server, error) {
	cmd := exec.Command(c.bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
	cmd.Env = childEnv()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan error, 1)}
	addrs := make(chan string, 1)
	go func() {
		// Read the log to its end so the server never blocks on a full pipe.
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addrs <- line.Addr
			}
		}
		s.done <- cmd.Wait()
	}()
	select {
	case s.addr = <-addrs:
	case err := <-s.done:
		return nil, fmt.Errorf("custexport serve ended before listening: %v", err)
	case <-time.After(time.Minute):
		s.stop()
		return nil, errors.New("custexport serve did not log its address within a minute")
	}
	resp, err := http.Get("http://" + s.addr + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		s.stop()
		return nil, fmt.Errorf("custexport serve is not ready: %v", errOrStatus(err, resp))
	}
	resp.Body.Close()
	return s, nil
}

func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

func errOrStatus(err error, resp *http.Response) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

type downloadResult struct {
	firstByte, total time.Duration
	bytes            int64
}

// download fetches one URL export to its end, timing the first byte of the answer.
func download(client *http.Client, link string) (downloadResult, error) {
	var d downloadResult
	start := time.Now()
	trace := &httptrace.ClientTrace{GotFirstResponseByte: func() { d.firstByte = time.Since(start) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, link, nil)
	if err != nil {
		return d, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return d, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return d, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if d.bytes, err = io.Copy(io.Discard, resp.Body); err != nil {
		return d, err
	}
	d.total = time.Since(start)
	return d, nil
}

// peakRSSKiB reads a running process's peak resident set size (VmHWM) from /proc.
func peakRSSKiB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}
