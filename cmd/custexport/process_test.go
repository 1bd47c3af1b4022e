package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/linksign"
	"github.com/custexport/custexport/internal/sqlite"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// custexportBinary builds the command once for the tests that need real processes.
func custexportBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "custexport-bin")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "custexport")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = &exec.ExitError{Stderr: out}
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v", buildErr)
	}
	return binary
}

// Two CLI processes exporting at once on one database: the second is refused with exit code 3.
func TestSecondCLIExportIsBusy(t *testing.T) {
	bin := custexportBinary(t)
	dir := t.TempDir()
	if out, err := exec.Command(bin, "seed", "--customers", "20000", "--data-dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	first := exec.Command(bin, "export", "--format", "xml", "--data-dir", dir)
	stdout, _ := first.StdoutPipe()
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Reading one line proves the export runs; not reading on keeps it blocked on the pipe.
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	second := exec.Command(bin, "export", "--format", "csv", "--data-dir", dir, "-o", filepath.Join(dir, "c.csv"))
	out, err := second.CombinedOutput()
	exitErr, _ := err.(*exec.ExitError)
	if exitErr == nil || exitErr.ExitCode() != exitBusy || !strings.Contains(string(out), "already running") {
		t.Fatalf("second export: %v\n%s\nwant exit 3 saying an export is already running", err, out)
	}
	first.Process.Kill()
	first.Wait()
}

// serverFixture is a seeded data directory with one partner and the link signer.
type serverFixture struct {
	t       *testing.T
	bin     string
	dir     string
	partner *custexport.Partner
	signer  *linksign.Signer
}

func newServerFixture(t *testing.T) *serverFixture {
	bin := custexportBinary(t)
	dir := t.TempDir()
	if out, err := exec.Command(bin, "seed", "--customers", "20000", "--data-dir", dir).CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	key, err := linksign.LoadMasterKey(filepath.Join(dir, "master.key")) // seed made it
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := linksign.New(key)
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "custexport.db"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetLogKey(signer.LogKey())
	salt, _ := linksign.NewSalt()
	partner := &custexport.Partner{Name: "Sklad", LinkSalt: salt}
	if err := db.CreatePartner(context.Background(), partner, custexport.Principal{Kind: custexport.PrincipalOperator}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return &serverFixture{t: t, bin: bin, dir: dir, partner: partner, signer: signer}
}

// start runs `serve` on a free port with the extra flags and waits until it answers.
func (f *serverFixture) start(flags ...string) (*exec.Cmd, string) {
	return serveOnFreePort(f.t, f.bin, nil, append([]string{"--data-dir", f.dir}, flags...)...)
}

// serveOnFreePort runs `bin serve` with the arguments and the extra environment on a loopback
// port of the process's own choosing and waits until its log says it listens. When the test
// ends the process is killed and, if the test failed, its log shown.
func serveOnFreePort(t *testing.T, bin string, env []string, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	log := newServeLog()
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var addr string
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("serve on %s said:\n%s", addr, log)
		}
	})
	addr = log.waitListening(t, 30*time.Second)
	return cmd, addr
}

// serveLog is a serve process's standard error, its JSON log. It keeps every line, for failure
// messages and checks, and passes on the address of the "listening" line. serve writes that
// line once its listener is bound: from then on a connection is accepted (queued until the
// server takes it), so waiting for the line replaces polling the port.
type serveLog struct {
	mu        sync.Mutex
	text      bytes.Buffer
	scanned   int         // the length of text looked at for whole lines
	listening chan string // the listen address, sent once
}

func newServeLog() *serveLog { return &serveLog{listening: make(chan string, 1)} }

func (l *serveLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text.Write(p)
	for {
		rest := l.text.Bytes()[l.scanned:]
		end := bytes.IndexByte(rest, '\n')
		if end < 0 {
			return len(p), nil
		}
		l.scanned += end + 1
		var entry struct{ Msg, Addr string }
		if json.Unmarshal(rest[:end], &entry) == nil && entry.Msg == "listening" {
			select {
			case l.listening <- entry.Addr:
			default: // a second "listening" line would be a bug; the first counts
			}
		}
	}
}

func (l *serveLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text.String()
}

// waitListening returns the address serve listens on as soon as its log says so, and fails the
// test if that has not happened within timeout (the process failed to start, or hangs).
func (l *serveLog) waitListening(t *testing.T, timeout time.Duration) string {
	t.Helper()
	select {
	case addr := <-l.listening:
		return addr
	case <-time.After(timeout):
		t.Fatalf("serve did not say it listens within %s; its log:\n%s", timeout, l)
		return ""
	}
}

// waitUntil calls done every `every` until it returns true, and returns false if it has not
// within timeout. It is the one wait of these tests that is not on an event, and is only for
// what another process does in its own time and cannot signal to the test: a killed server's
// lease running out in the database after its TTL, leases renewed by another instance's
// heartbeat, an admin job or an import progressing in a serve or import process, seen in the
// shared database or file. What the test can observe as an event (a log line, the end of a
// response) it waits for as that.
func waitUntil(timeout, every time.Duration, done func() bool) bool {
	for deadline := time.Now().Add(timeout); !done(); time.Sleep(every) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

func (f *serverFixture) link(addr string) string {
	return f.signer.SignedURL("http://"+addr, f.partner.ID, f.partner.LinkSalt, "/export/customers.xml", url.Values{})
}

// downloadStatus downloads link whole and returns the answer's status.
func downloadStatus(t *testing.T, link string) int {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// openDownload starts a download and reads only the headers, leaving the export running.
func (f *serverFixture) openDownload(addr string) net.Conn {
	t := f.t
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req, _ := http.NewRequest(http.MethodGet, f.link(addr), nil)
	req.Write(conn)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("first download: %v %v", resp, err)
	}
	return conn
}

// A serve process killed with SIGKILL in the middle of a download cannot release its slot; the
// lease expires and the partner can download again from another instance.
func TestKilledServerFreesTheSlot(t *testing.T) {
	f := newServerFixture(t)
	first, addr := f.start("--lease-ttl", "5s")
	f.openDownload(addr)
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	killedAt := time.Now()

	_, addr2 := f.start("--lease-ttl", "5s")
	link2 := f.link(addr2)
	sawBusy := false
	status := 0
	if !waitUntil(60*time.Second-time.Since(killedAt), 100*time.Millisecond, func() bool {
		resp, err := http.Get(link2)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		status = resp.StatusCode
		sawBusy = sawBusy || status == 429
		return status == 200
	}) {
		t.Fatalf("the killed server's slot is still taken after 60 s (status %d)", status)
	}
	if !sawBusy {
		t.Fatal("the partner was never refused after the kill: the dead server's slot was not held")
	}
}

// A download cut by a SIGKILL of its server leaves a trace (issue 16 item 6): its started entry
// was written before the first byte, and when its expired slot is recovered (here by this test's
// engine with the store's clock past the lease; in production by the next download of the
// partner or serve's sweeper) the download ends as failed, "process died".
func TestKilledDownloadIsLogged(t *testing.T) {
	f := newServerFixture(t)
	first, addr := f.start("--lease-ttl", "5s")
	conn := f.openDownload(addr)
	// Some of the file has reached the client before the kill.
	if _, err := io.ReadFull(conn, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()

	db, err := sqlite.Open(context.Background(), filepath.Join(f.dir, "custexport.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetLogKey(f.signer.LogKey())
	partnerLog := func() []custexport.AccessEntry {
		var out []custexport.AccessEntry
		db.AccessEntries(context.Background(), time.Time{}, func(e *custexport.AccessEntry) error {
			if e.Principal.Kind == custexport.PrincipalPartner {
				out = append(out, *e)
			}
			return nil
		})
		return out
	}
	if got := partnerLog(); len(got) != 1 || got[0].Outcome != custexport.OutcomeStarted || got[0].Format != custexport.FormatXML {
		t.Fatalf("after the kill the partner's log is %+v; want the download's started entry", got)
	}
	engine := &exporter.Engine{Leases: db, Log: db}
	// Before the lease expires the slot is the dead server's, and nothing is recovered.
	if err := engine.RecoverDied(context.Background()); err != nil || len(partnerLog()) != 1 {
		t.Fatalf("recovered a live lease: %v, %+v", err, partnerLog())
	}
	db.SetClock(func() time.Time { return time.Now().Add(6 * time.Second) })
	if err := engine.RecoverDied(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := partnerLog()
	if len(got) != 2 || got[1].Outcome != custexport.OutcomeFailed || !strings.HasPrefix(got[1].Reason, exporter.ReasonProcessDied) ||
		got[1].Principal != got[0].Principal || got[1].ClientIP != got[0].ClientIP || got[1].At.Sub(got[0].At).Abs() > time.Second {
		t.Fatalf("after recovery the partner's log is %+v; want started, then failed (process died) for the same download", got)
	}
	if err := engine.RecoverDied(context.Background()); err != nil || len(partnerLog()) != 2 {
		t.Fatalf("a second recovery logged again: %v, %+v", err, partnerLog())
	}
	c := &cli{t: t, dataDir: f.dir}
	if out, _ := c.mustRun("log", "verify"); !strings.HasPrefix(out, "access log intact") {
		t.Fatalf("log verify after the recovery: %q", out)
	}
}

// An upload cut short by a crash left its spool file in data/uploads: serve removes it at start.
func TestServeCleansTheUploadSpool(t *testing.T) {
	f := newServerFixture(t)
	spool := filepath.Join(f.dir, "uploads")
	if err := os.MkdirAll(filepath.Join(spool, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"upload-123.csv", "sub/x"} {
		if err := os.WriteFile(filepath.Join(spool, name), []byte("guid;email\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f.start() // returns once serve listens, after its start-up clean-up
	if left, err := os.ReadDir(spool); err != nil || len(left) != 0 {
		t.Fatalf("the upload spool after serve started: %v, %v; want it empty", left, err)
	}
}

// A stop signal lets running exports finish up to the shutdown timeout, then cancels them and
// frees their slots: another instance serves the partner at once, long before the lease would
// have expired.
func TestGracefulShutdownFreesTheSlot(t *testing.T) {
	f := newServerFixture(t)
	first, addr := f.start("--lease-ttl", "60s", "--shutdown-timeout", "1s")
	f.openDownload(addr) // never read on: the export stays blocked until cancelled
	first.Process.Signal(syscall.SIGTERM)
	if err := first.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	_, addr2 := f.start("--lease-ttl", "60s")
	if status := downloadStatus(t, f.link(addr2)); status != 200 {
		t.Fatalf("after a graceful stop the partner got %d, want 200 (the slot must have been released)", status)
	}
	db, err := sqlite.Open(context.Background(), filepath.Join(f.dir, "custexport.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var outcomes []string
	db.AccessEntries(context.Background(), time.Time{}, func(e *custexport.AccessEntry) error {
		if e.Principal.Kind == custexport.PrincipalPartner {
			outcomes = append(outcomes, string(e.Outcome))
		}
		return nil
	})
	if strings.Join(outcomes, ",") != "started,aborted,started,served" {
		t.Fatalf("partner log outcomes %v, want the cut-off export aborted, then the new one served", outcomes)
	}
}

// `serve --demo` on an empty data directory seeds customers, makes a partner and prints links
// that work; the filtered one is refused once its dateFrom is changed without signing anew.
func TestDemoPrintsWorkingLinks(t *testing.T) {
	bin := custexportBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "serve", "--demo", "--data-dir", dir, "--addr", "127.0.0.1:0")
	stdout, _ := cmd.StdoutPipe()
	log := newServeLog()
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("serve --demo said:\n%s", log)
		}
	})
	var links []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && len(links) < 4 {
		if _, link, ok := strings.Cut(sc.Text(), "http://"); ok && strings.Contains(link, "hash=") {
			links = append(links, "http://"+strings.TrimSpace(link))
		}
	}
	if len(links) != 4 {
		t.Fatalf("serve --demo printed %d links, want 4 (csv, xml, xlsx, filtered csv)", len(links))
	}
	get := func(link string) (int, []byte) {
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	// The links are printed before the server says it listens.
	log.waitListening(t, 20*time.Second)
	wantStart := []string{"\ufeff\"guid\";", "<?xml", "PK", "\"guid\";"}
	var allRows, sinceRows int
	for i, link := range links {
		status, body := get(link)
		if status != 200 || !strings.HasPrefix(string(body), wantStart[i]) {
			t.Fatalf("link %d %s: %d %q…", i+1, link, status, body[:min(len(body), 40)])
		}
		switch i {
		case 0:
			allRows = len(csvRows(t, body)) - 1
		case 3:
			sinceRows = len(csvRows(t, body)) - 1
		}
	}
	if allRows != 10000 || sinceRows == 0 || sinceRows >= allRows {
		t.Fatalf("CSV rows: all %d, filtered %d; want 10000 and a non-empty part of them", allRows, sinceRows)
	}
	changed := strings.Replace(links[3], "dateFrom=2025-01-01", "dateFrom=2024-01-01", 1)
	if changed == links[3] {
		t.Fatalf("the filtered link has no dateFrom=2025-01-01: %s", links[3])
	}
	if status, _ := get(changed); status != 403 {
		t.Fatalf("the filtered link with dateFrom changed: %d, want 403", status)
	}
}

// csvRows parses a semicolon CSV export (byte-order mark skipped) and returns its records.
func csvRows(t *testing.T, body []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	r.Comma = ';'
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	return records
}
