package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/linksign"
	"github.com/custexport/custexport/internal/password"
	"github.com/custexport/custexport/internal/pgtest"
	"github.com/custexport/custexport/internal/postgres"
)

// pgShop is a PostgreSQL database seeded by the command, with a partner, an admin user and a
// master key that every instance shares (as docs/scaling.md tells operators to do).
type pgShop struct {
	t         *testing.T
	bin, dsn  string
	masterKey string
	partner   *custexport.Partner
	signer    *linksign.Signer
	extraEnv  []string
}

const (
	pgAdmin    = "anna"
	pgPassword = "correct horse battery staple"
)

func newPGShop(t *testing.T, customers int) *pgShop {
	bin := custexportBinary(t)
	dsn := pgtest.NewDatabase(t)
	// Every instance shares the shop's master key (CUSTEXPORT_MASTER_KEY), as they must.
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	signer, _ := linksign.New(key)
	seed := exec.Command(bin, "seed", "--customers", fmt.Sprint(customers), "--db", dsn, "--data-dir", t.TempDir())
	seed.Env = append(os.Environ(), "CUSTEXPORT_MASTER_KEY="+hex.EncodeToString(key))
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetLogKey(signer.LogKey())
	salt, _ := linksign.NewSalt()
	partner := &custexport.Partner{Name: "Sklad", LinkSalt: salt}
	operator := custexport.Principal{Kind: custexport.PrincipalOperator, Name: "test"}
	if err := db.CreatePartner(ctx, partner, operator); err != nil {
		t.Fatal(err)
	}
	if err := db.AddUser(ctx, &custexport.User{Name: pgAdmin, PasswordHash: password.Hash(pgPassword)}, operator); err != nil {
		t.Fatal(err)
	}
	return &pgShop{t: t, bin: bin, dsn: dsn, masterKey: hex.EncodeToString(key), partner: partner, signer: signer}
}

// start runs one `serve` instance with a data directory of its own on the shared database.
func (s *pgShop) start(flags ...string) (*exec.Cmd, string) {
	env := append([]string{masterKeyEnv + "=" + s.masterKey}, s.extraEnv...)
	return serveOnFreePort(s.t, s.bin, env, append([]string{"--db", s.dsn, "--data-dir", s.t.TempDir()}, flags...)...)
}

func (s *pgShop) link(addr string) string {
	return s.signer.SignedURL("http://"+addr, s.partner.ID, s.partner.LinkSalt, "/export/customers.xml", url.Values{})
}

// request sends a partner download on a connection of its own and reads only the status line
// and headers; the body is left unread, so a served export stays blocked, holding its slot.
func (s *pgShop) request(addr string) (int, net.Conn) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		s.t.Error(err)
		return 0, nil
	}
	s.t.Cleanup(func() { conn.Close() })
	req, _ := http.NewRequest(http.MethodGet, s.link(addr), nil)
	req.Write(conn)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		s.t.Error(err)
		return 0, conn
	}
	return resp.StatusCode, conn
}

// Two instances on one database: the partner asks both at the same moment, and exactly one
// serves while the other answers 429; the slot is one row in PostgreSQL, not in a process.
func TestInstancesShareTheExportSlot(t *testing.T) {
	shop := newPGShop(t, 20000)
	_, a := shop.start()
	_, b := shop.start()
	codes := make(chan int, 2)
	start := make(chan struct{})
	for _, addr := range []string{a, b} {
		go func() {
			<-start
			code, _ := shop.request(addr)
			codes <- code
		}()
	}
	close(start)
	got := map[int]int{}
	for range 2 {
		got[<-codes]++
	}
	if got[200] != 1 || got[429] != 1 {
		t.Fatalf("answers %v, want one 200 and one 429", got)
	}
}

// login signs in on addr and returns a client holding the session cookie.
func login(t *testing.T, addr string) *http.Client {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm("http://"+addr+"/login", url.Values{"user": {pgAdmin}, "password": {pgPassword}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), pgAdmin) {
		t.Fatalf("login on %s: %d\n%s", addr, resp.StatusCode, body)
	}
	return client
}

// withCookiesFor gives a client the cookies it holds for one instance on another address: the
// load balancer's one host name, in effect.
func withCookiesFor(t *testing.T, c *http.Client, from, to string) *http.Client {
	jar, _ := cookiejar.New(nil)
	fromURL, _ := url.Parse("http://" + from + "/")
	toURL, _ := url.Parse("http://" + to + "/")
	jar.SetCookies(toURL, c.Jar.Cookies(fromURL))
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// A session made on instance A works on instance B, and an admin export started on A is
// followed and downloaded on B. The instances share a file store (an S3 server here) as
// several instances must; with a local directory each, the file would be on A alone.
func TestSessionAndJobMoveBetweenInstances(t *testing.T) {
	shop := newPGShop(t, 5000)
	shop.extraEnv = s3TestEnv(t)
	_, a := shop.start()
	_, b := shop.start()
	onA := login(t, a)
	onB := withCookiesFor(t, onA, a, b)

	resp, err := onB.Get("http://" + b + "/customers")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), pgAdmin) {
		t.Fatalf("instance B with A's session: %d (want the customer list, not the login page)", resp.StatusCode)
	}

	resp, err = onA.PostForm("http://"+a+"/customers/export", url.Values{"format": {"csv"}, "encoding": {"utf-8"}, "guard": {"on"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("starting an export on A: %d", resp.StatusCode)
	}
	db, err := postgres.Open(context.Background(), shop.dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	user, err := db.UserByName(context.Background(), pgAdmin)
	if err != nil {
		t.Fatal(err)
	}
	job, err := db.LatestJob(context.Background(), user.ID)
	if err != nil || job == nil {
		t.Fatalf("the job started on A is not in the database: %v", err)
	}
	// The job runs in A and only the shared database tells B how far it is: B's status is
	// polled, as the page does.
	statusURL := fmt.Sprintf("http://%s/jobs/%d", b, job.ID)
	var status struct{ State, Error string }
	if !waitUntil(60*time.Second, 100*time.Millisecond, func() bool {
		resp, err := onB.Get(statusURL)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&status)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil {
			t.Fatalf("job status on B: %d %v", resp.StatusCode, err)
		}
		if status.State != string(custexport.JobDone) && status.State != string(custexport.JobRunning) {
			t.Fatalf("job status on B: %+v", status)
		}
		return status.State == string(custexport.JobDone)
	}) {
		t.Fatalf("job status on B after 60 s: %+v", status)
	}
	resp, err = onB.Get(statusURL + "/download")
	if err != nil {
		t.Fatal(err)
	}
	file, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("download on B: %d", resp.StatusCode)
	}
	if n := len(csvRows(t, file)); n != 5000+1 {
		t.Fatalf("the file downloaded from B has %d records, want 5000 customers and the header", n)
	}
}

// A SIGKILLed instance cannot release the slot of the download it was serving; its lease
// expires and the other instance then serves that partner.
func TestKilledInstanceLeaseExpiresOnPostgres(t *testing.T) {
	shop := newPGShop(t, 20000)
	first, a := shop.start("--lease-ttl", "5s")
	_, b := shop.start("--lease-ttl", "5s")
	if code, _ := shop.request(a); code != 200 {
		t.Fatalf("first download on A: %d", code)
	}
	if code, _ := shop.request(b); code != 429 {
		t.Fatalf("B while A serves: %d, want 429", code)
	}
	first.Process.Signal(syscall.SIGKILL)
	first.Wait()
	killedAt := time.Now()
	status := 0
	if !waitUntil(60*time.Second, 100*time.Millisecond, func() bool {
		status = downloadStatus(t, shop.link(b))
		if status != 200 && status != 429 {
			t.Fatalf("B after the kill: %d (%s since)", status, time.Since(killedAt))
		}
		return status == 200
	}) {
		t.Fatalf("B after the kill: %d (%s since)", status, time.Since(killedAt))
	}
}

// The copy command moves a seeded SQLite shop into PostgreSQL: the exports of both are
// byte-identical for the same filter, the partner's link and the admin's password carry over,
// and a second copy into the filled database is refused without a change.
func TestCopySQLiteShopToPostgres(t *testing.T) {
	c := newCLI(t)
	c.mustRun("seed", "--customers", "3000")
	ctx := context.Background()
	lite := c.openSQLite()
	operator := custexport.Principal{Kind: custexport.PrincipalOperator, Name: "test"}
	salt, _ := linksign.NewSalt()
	partner := &custexport.Partner{Name: "Účetní firma", Note: "faktury", LinkSalt: salt}
	user := &custexport.User{Name: pgAdmin, PasswordHash: password.Hash(pgPassword)}
	if err := lite.CreatePartner(ctx, partner, operator); err != nil {
		t.Fatal(err)
	}
	if err := lite.AddUser(ctx, user, operator); err != nil {
		t.Fatal(err)
	}
	var logBefore []custexport.AccessEntry
	lite.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		logBefore = append(logBefore, *e)
		return nil
	})
	lite.Close()
	dsn := pgtest.NewDatabase(t)
	out, _ := c.mustRun("copy", "--to", dsn)
	if !strings.Contains(out, "customer") || !strings.Contains(out, "3000 rows") {
		t.Fatalf("copy printed:\n%s", out)
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--format", "csv"},
		{"--format", "csv", "--encoding", "windows-1250", "--from", "2019-03-01", "--until", "2021-06-30"},
		{"--format", "csv", "--no-guard", "--from", "2020-01-01"},
		{"--format", "xml", "--until", "2022-12-31"},
	} {
		lite, pg := filepath.Join(dir, "lite"), filepath.Join(dir, "pg")
		c.mustRun(append([]string{"export", "-o", lite}, args...)...)
		c.mustRun(append([]string{"export", "--db", dsn, "-o", pg}, args...)...)
		a, _ := os.ReadFile(lite)
		b, _ := os.ReadFile(pg)
		if len(a) < 1000 || !bytes.Equal(a, b) {
			t.Fatalf("export %v: SQLite %d bytes, PostgreSQL %d bytes, not identical", args, len(a), len(b))
		}
	}
	code, _, errOut := c.run(context.Background(), "copy", "--to", dsn)
	if code == exitOK || !strings.Contains(errOut, "already holds rows") {
		t.Fatalf("second copy: exit %d\n%s", code, errOut)
	}
	db, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, _ := db.CountCustomers(ctx); n != 3000 {
		t.Fatalf("%d customers after the refused second copy, want 3000", n)
	}
	// The partner keeps its id and salt (its links stay valid), the user its password, and the
	// access log its entries and its chain.
	if p, err := db.Partner(ctx, partner.ID); err != nil || p.Name != partner.Name || p.Note != partner.Note || !bytes.Equal(p.LinkSalt, salt) {
		t.Fatalf("partner %d after the copy: %+v, %v", partner.ID, p, err)
	}
	if u, err := db.UserByName(ctx, pgAdmin); err != nil || u.ID != user.ID || u.PasswordHash != user.PasswordHash {
		t.Fatalf("user after the copy: %+v, %v", u, err)
	}
	if _, brk, err := custexport.VerifyAccessLog(ctx, db, c.signer().LogKey(), nil); brk != nil || err != nil {
		t.Errorf("the copied log does not verify: %+v, %v", brk, err)
	}
	c.mustRun("log", "verify", "--db", dsn)
	var logAfter []custexport.AccessEntry
	db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		logAfter = append(logAfter, *e)
		return nil
	})
	// The exports above appended to the copied log; the copied part comes first, unchanged.
	if len(logBefore) < 2 || len(logAfter) < len(logBefore) {
		t.Fatalf("access log: %d entries after the copy, %d before", len(logAfter), len(logBefore))
	}
	for i, e := range logBefore {
		if logAfter[i].Hash != e.Hash || logAfter[i].ID != e.ID {
			t.Fatalf("access log entry %d: %+v after the copy, %+v before", i, logAfter[i], e)
		}
	}
	// New rows continue after the copied ids.
	db.SetLogKey(c.signer().LogKey())
	next := &custexport.Partner{Name: "Sklad", LinkSalt: salt}
	if err := db.CreatePartner(ctx, next, operator); err != nil || next.ID <= partner.ID {
		t.Fatalf("a partner created after the copy: id %d (copied %d), %v", next.ID, partner.ID, err)
	}
}

// An unreachable server is retried for --db-wait, then refused with the host in the message and
// never the password; a wrong password is refused at once (waiting cannot fix it).
func TestUnreachablePostgres(t *testing.T) {
	c := newCLI(t)
	code, _, errOut := c.run(context.Background(), "export", "--format", "csv", "--db-wait", "1s",
		"--db", "postgres://shop:s3cret@127.0.0.1:1/shop")
	if code == exitOK || !strings.Contains(errOut, "127.0.0.1:1/shop") || strings.Contains(errOut, "s3cret") {
		t.Fatalf("unreachable server: exit %d\n%s", code, errOut)
	}
	u, _ := url.Parse(pgtest.NewDatabase(t))
	db := strings.TrimPrefix(u.Path, "/")
	u.User = url.UserPassword("no_such_role", "s3cret")
	code, _, errOut = c.run(context.Background(), "export", "--format", "csv", "--db", u.String())
	if code == exitOK || !strings.Contains(errOut, db) || !strings.Contains(errOut, "no_such_role") || strings.Contains(errOut, "s3cret") {
		t.Fatalf("unknown role: exit %d\n%s", code, errOut)
	}
}

// The database connection of a running download is cut (pg_terminate_backend, as a failover or
// a network fault would): the download ends as failed, the log says so, and the partner's slot
// is free again at once.
func TestLostConnectionFailsTheDownload(t *testing.T) {
	shop := newPGShop(t, 20000)
	_, addr := shop.start("--lease-ttl", "60s")
	code, conn := shop.request(addr)
	if code != 200 {
		t.Fatalf("download: %d", code)
	}
	ctx := context.Background()
	db, err := postgres.Open(ctx, shop.dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	admin, err := pgx.Connect(ctx, shop.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'SELECT registration_date%'`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("found %d export connections to cut, want 1", killed)
	}
	// Reading on lets the export go on to the cut connection; the response then ends without
	// its proper end (no closing chunk, no final XML element).
	body, _ := io.ReadAll(conn)
	if bytes.HasSuffix(bytes.TrimSpace(body), []byte("</customers>")) || bytes.HasSuffix(body, []byte("0\r\n\r\n")) {
		t.Fatalf("the download ended as if complete (%d bytes)", len(body))
	}
	// The server aborts the connection only after the export has ended, its slot released and
	// its log entry written: the end of the body is the event the checks below wait for.
	var outcomes []custexport.Outcome
	db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
		if e.Channel == custexport.ChannelURL {
			outcomes = append(outcomes, e.Outcome)
		}
		return nil
	})
	if len(outcomes) != 2 || outcomes[0] != custexport.OutcomeStarted || outcomes[1] != custexport.OutcomeFailed {
		t.Fatalf("access log outcomes %v, want [started failed]", outcomes)
	}
	if status := downloadStatus(t, shop.link(addr)); status != 200 {
		t.Fatalf("the next download: %d, want 200 (the slot freed)", status)
	}
}

// --db-read sends export reads to a replica. Pointed at a second database that holds other
// rows, the export returns the replica's rows, while the count of the primary is unchanged.
func TestExportReadsTheReplica(t *testing.T) {
	bin := custexportBinary(t)
	primary, replica := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	c := newCLI(t)
	for _, db := range []struct {
		dsn       string
		customers string
	}{{primary, "100"}, {replica, "250"}} {
		// One data directory, so one master key, for both (the replica is a copy of the primary).
		if out, err := exec.Command(bin, "seed", "--customers", db.customers, "--seed", db.customers, "--db", db.dsn, "--data-dir", c.dataDir).CombinedOutput(); err != nil {
			t.Fatalf("seed: %v\n%s", err, out)
		}
	}
	out := filepath.Join(t.TempDir(), "c.csv")
	c.mustRun("export", "--format", "csv", "--db", primary, "--db-read", replica, "-o", out)
	data, _ := os.ReadFile(out)
	if n := len(csvRows(t, data)); n != 250+1 {
		t.Fatalf("export with --db-read: %d records, want the replica's 250 and the header", n)
	}
	c.mustRun("export", "--format", "csv", "--db", primary, "-o", out)
	data, _ = os.ReadFile(out)
	if n := len(csvRows(t, data)); n != 100+1 {
		t.Fatalf("export without --db-read: %d records, want the primary's 100 and the header", n)
	}
}

// A database address may hold a password: --help does not print the one in the environment,
// and a mistyped scheme is refused without repeating it (rather than becoming a file name).
func TestDatabaseAddressStaysSecret(t *testing.T) {
	dir := t.TempDir()
	getenv := func(name string) string {
		switch name {
		case "CUSTEXPORT_DB", "CUSTEXPORT_DB_READ":
			return "postgres://shop:s3cret@db.example:5432/shop"
		case "CUSTEXPORT_DATA_DIR":
			return dir
		}
		return ""
	}
	for _, args := range [][]string{{"serve", "--help"}, {"export", "--help"}, {"copy", "--help"}} {
		var out, errOut bytes.Buffer
		run(context.Background(), args, &stdio{in: strings.NewReader(""), out: &out, err: &errOut}, getenv)
		if help := out.String() + errOut.String(); !strings.Contains(help, "-db-read") || strings.Contains(help, "s3cret") {
			t.Fatalf("custexport %s:\n%s", strings.Join(args, " "), help)
		}
	}
	c := newCLI(t)
	code, out, errOut := c.run(context.Background(), "migrate", "--db", "postgress://shop:s3cret@db.example/shop")
	if code != exitUsage || strings.Contains(out+errOut, "s3cret") || !strings.Contains(errOut, "postgres://") {
		t.Fatalf("a mistyped scheme: exit %d\n%s%s", code, out, errOut)
	}
	if entries, _ := os.ReadDir(c.dataDir); len(entries) != 0 {
		t.Fatalf("a mistyped scheme left %d files in the data directory", len(entries))
	}
}

// More running downloads than the store's control connections must not starve the lease
// renewals: every lease keeps being renewed past several of its lifetimes, another instance
// still refuses those partners, and the busy instance stays ready.
func TestManyDownloadsKeepTheirLeases(t *testing.T) {
	shop := newPGShop(t, 20000)
	ctx := context.Background()
	db, err := postgres.Open(ctx, shop.dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetLogKey(shop.signer.LogKey())
	partners := []*custexport.Partner{shop.partner}
	for i := range 11 {
		salt, _ := linksign.NewSalt()
		p := &custexport.Partner{Name: fmt.Sprintf("Partner %d", i), LinkSalt: salt}
		if err := db.CreatePartner(ctx, p, custexport.Principal{Kind: custexport.PrincipalOperator}); err != nil {
			t.Fatal(err)
		}
		partners = append(partners, p)
	}
	_, a := shop.start("--lease-ttl", "2s")
	_, b := shop.start("--lease-ttl", "2s")
	for _, p := range partners {
		shop.partner = p
		if code, _ := shop.request(a); code != 200 {
			t.Fatalf("download of partner %d on A: %d", p.ID, code)
		}
	}
	admin, err := pgx.Connect(ctx, shop.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var leases int
	var firstExpiry int64
	admin.QueryRow(ctx, `SELECT count(*), max(expires_at) FROM export_lease`).Scan(&leases, &firstExpiry)
	if leases != len(partners) {
		t.Fatalf("%d leases held, want %d", leases, len(partners))
	}
	// Wait until every lease has been renewed well past three lifetimes of the first expiry.
	var oldest int64
	if !waitUntil(60*time.Second, 100*time.Millisecond, func() bool {
		if err := admin.QueryRow(ctx, `SELECT min(expires_at) FROM export_lease`).Scan(&oldest); err != nil {
			t.Fatal(err)
		}
		return oldest > firstExpiry+6000
	}) {
		t.Fatalf("the leases were not renewed: the oldest expires at %d, the first expiry was %d", oldest, firstExpiry)
	}
	shop.partner = partners[0]
	if code, _ := shop.request(b); code != 429 {
		t.Fatalf("instance B for a partner downloading on A: %d, want 429", code)
	}
	resp, err := http.Get("http://" + a + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("instance A with %d running downloads: /readyz %d", len(partners), resp.StatusCode)
	}
}
