package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
	"github.com/custexport/custexport/internal/dirfiles"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/linksign"
	"github.com/custexport/custexport/internal/password"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/web"
)

// demoCustomers is how many customers serve --demo seeds into an empty database.
const demoCustomers = 10_000

func runServe(ctx context.Context, c *commandLine, args []string) error {
	fs, io, getenv, cfg := c.flags, c.io, c.getenv, &c.store
	addr := fs.String("addr", envOr(getenv, "CUSTEXPORT_ADDR", ":8080"), "listen address (env CUSTEXPORT_ADDR; with --demo the default is "+demoAddr+")")
	publicURL := fs.String("public-url", getenv("CUSTEXPORT_PUBLIC_URL"), "the address partners use, for printed links (env CUSTEXPORT_PUBLIC_URL; default http://localhost:PORT)")
	trusted := fs.String("trusted-proxies", getenv("CUSTEXPORT_TRUSTED_PROXIES"), "proxies whose X-Forwarded-For is believed: addresses and CIDR ranges (env CUSTEXPORT_TRUSTED_PROXIES)")
	demo := fs.Bool("demo", false, "make an empty database a demo shop (demo customers, an admin user, a demo partner) and print sample links; refuses a database that holds a shop of its own")
	shutdownWait := registerDuration(fs, getenv, "shutdown-timeout", "CUSTEXPORT_SHUTDOWN_TIMEOUT", 30*time.Second, 0, "how long running exports may finish after a stop signal")
	retention := registerDuration(fs, getenv, "log-retention", "CUSTEXPORT_LOG_RETENTION", 400*24*time.Hour, 1, "how long access-log entries are kept")
	files := registerFileFlags(fs, getenv)
	maxConns := registerInt(fs, getenv, "max-conns-per-client", "CUSTEXPORT_MAX_CONNS_PER_CLIENT", 64, 1, "connections one client address (an IPv6 /64) may hold open at once; trusted proxies are not limited")
	formTimeout := registerDuration(fs, getenv, "form-timeout", "CUSTEXPORT_FORM_TIMEOUT", web.DefaultFormTimeout, time.Second, "how long a client may take to send a form (uploads need about 1 KiB/s instead)")
	leaseTTL := registerDuration(fs, getenv, "lease-ttl", "CUSTEXPORT_LEASE_TTL", exporter.DefaultLeaseTTL, time.Second, "how long a crashed instance's export slot stays taken")
	if err := c.parse(args); err != nil {
		return err
	}
	loc := c.loc
	proxies, err := clientip.ParseList(*trusted)
	if err != nil {
		return usagef("--trusted-proxies: %v", err)
	}
	*addr = listenAddr(c, *addr, *demo)
	logger := slog.New(slog.NewJSONHandler(io.err, nil))

	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	var demoPartner *custexport.Partner
	if *demo {
		if demoPartner, err = claimDemoShop(ctx, db); err != nil {
			return err
		}
	}
	signer := c.signer
	// An upload cut short by a crash left its spool file; no upload runs before serve does.
	if err := cleanUploads(filepath.Join(cfg.dataDir, "uploads")); err != nil {
		return err
	}
	fileStore, filesWhere, err := files.open(ctx, cfg.dataDir)
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	// Innermost the cap on connections per client, so that the request-line limit's connection
	// is the one the server sees (RequestLineConnContext).
	listener = web.LimitConnsPerClient(listener, *maxConns, proxies, func(peer net.Addr) {
		logger.Warn("too many connections from one client: answered 429 and closed", "peer", peer.String(), "max", *maxConns)
	})
	listener = web.LimitRequestLines(listener, web.MaxRequestLine, func(peer net.Addr, start []byte) {
		logger.Warn("request line too long: answered 414 and closed", "peer", peer.String(), "start", string(start))
	})
	base := *publicURL
	if base == "" {
		base = "http://" + localAddress(listener.Addr())
	}
	if *demo {
		if err := prepareDemo(ctx, io, db, signer, base, demoPartner); err != nil {
			listener.Close()
			return err
		}
	}
	baseCtx, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()

	engine := newEngine(db, loc)
	engine.Logger = logger
	engine.LeaseTTL = *leaseTTL
	// Exports run on baseCtx, which outlives the stop signal by the shutdown timeout: running
	// downloads and admin jobs may finish, and are cancelled (freeing their slots) only after
	// that.
	jobs := &exporter.Jobs{Engine: engine, Store: db, Files: fileStore, Logger: logger}
	server := &web.Server{
		Engine: engine, Store: db, Jobs: jobs, Signer: signer,
		Clients: clientip.NewResolver(proxies), Location: loc, Logger: logger, Ready: db.Ping,
		Limiter:   &web.FailureLimiter{Max: 20, Window: time.Minute},
		PublicURL: base, Lifetime: sessionLifetime,
		VerifyPassword: password.Verify, VerifyDummy: password.VerifyDummy,
		CheckPassword: password.Check, HashPassword: password.Hash, MinPasswordLength: password.MinLength,
		JobContext:       baseCtx,
		UploadDir:        filepath.Join(cfg.dataDir, "uploads"),
		LoginLimiter:     web.NewLoginLimiter(20, 5, 15*time.Minute),
		MaxPasswordBytes: password.MaxBytes,
		Slow:             web.SlowClientLimits{FormTimeout: *formTimeout},
	}
	go jobs.CleanEvery(baseCtx, exporter.CleanInterval)
	go cleanSessions(baseCtx, db, logger)
	httpServer := &http.Server{
		Handler:           server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      60 * time.Second, // downloads lift it for themselves
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ConnContext:       web.RequestLineConnContext,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go pruneAccessLog(baseCtx, db, *retention, logger)
	go server.RunRefusalLog(baseCtx)
	logger.Info("listening", "addr", listener.Addr().String(), "public_url", base, "database", db.Describe(), "files", filesWhere)
	if _, shared := db.(*postgres.DB); shared {
		if _, local := fileStore.(*dirfiles.Store); local {
			logger.Warn("admin export files are kept in a local directory: with several instances, a job started on one cannot be downloaded from another; set --files s3://bucket/prefix (docs/scaling.md)", "files", filesWhere)
		}
	}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(listener) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("stopping: waiting for running exports", "timeout", shutdownWait.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *shutdownWait)
	defer cancel()
	err = httpServer.Shutdown(shutdownCtx)
	if err == nil {
		err = jobs.Wait(shutdownCtx)
	}
	if err != nil {
		logger.Warn("exports still running at the shutdown timeout; cancelling them", "err", err)
		cancelBase()
		httpServer.Close()
		// A cancelled export stops within a second; give it time to free its slot and log.
		waitCtx, cancelWait := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancelWait()
		if err := errors.Join(server.WaitForExports(waitCtx), jobs.Wait(waitCtx)); err != nil {
			logger.Error("exports did not stop; their slots free themselves when the lease expires", "err", err)
		}
	}
	// The counts of refused attempts not yet written (SPEC section 7: one entry per address and
	// window) go into the log before the database closes.
	server.FlushRefusals(context.Background())
	// A copy of the log's head as it stands at the stop (the checkpoint rule's "and at shutdown").
	keepCtx, cancelKeep := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelKeep()
	if err := db.KeepAccessHead(keepCtx); err != nil {
		logger.Error("keeping the access log's head at the stop", "err", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// cleanUploads empties the directory of spooled uploads: at the start of serve, whatever is
// there was left by an upload that a crash cut short. The directory itself stays. (One serve
// per data directory; instances sharing a database have data directories of their own.)
func cleanUploads(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cleaning the upload spool: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("cleaning the upload spool: %w", err)
		}
	}
	return nil
}

// sessionLifetime: a session ends after 30 minutes without a request, and 12 hours after
// login at the latest (a working day), whichever comes first.
var sessionLifetime = custexport.SessionLifetime{Idle: 30 * time.Minute, MaxAge: 12 * time.Hour}

// cleanSessions deletes ended sessions hourly; they are refused anyway, this only keeps the
// table small.
func cleanSessions(ctx context.Context, db database, logger *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if _, err := db.DeleteExpiredSessions(ctx, sessionLifetime, time.Now()); err != nil && ctx.Err() == nil {
			logger.Warn("deleting ended sessions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pruneAccessLog deletes entries older than the retention at start and then daily. The oldest
// entry left anchors the hash chain, so `log verify` still checks everything that remains.
func pruneAccessLog(ctx context.Context, db database, retention time.Duration, logger *slog.Logger) {
	tick := time.NewTicker(24 * time.Hour)
	defer tick.Stop()
	for {
		n, err := db.DeleteAccessBefore(ctx, time.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			logger.Error("access log retention failed", "err", err)
		} else if n > 0 {
			logger.Info("access log entries past retention deleted", "entries", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// localAddress turns a listen address such as [::]:8080 into one a browser on this machine
// can open.
func localAddress(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// demoAdmin is the admin user serve --demo creates.
const demoAdmin = "admin"

// prepareDemoAdmin creates the admin user with a generated password, printed this once; a
// later --demo start on the same data only says that the user exists.
func prepareDemoAdmin(ctx context.Context, io *stdio, db database, base string) error {
	login := strings.TrimSuffix(base, "/") + "/login"
	if _, err := db.UserByName(ctx, demoAdmin); err == nil {
		fmt.Fprintf(io.out, "Admin UI: %s  user %q (its password was printed when it was created;\n  set a new one with: custexport user passwd %s)\n\n", login, demoAdmin, demoAdmin)
		return nil
	} else if custexport.ErrorCode(err) != custexport.CodeNotFound {
		return err
	}
	pw := password.Generate()
	u := &custexport.User{Name: demoAdmin, PasswordHash: password.Hash(pw)}
	if err := db.AddUser(ctx, u, custexport.Principal{Kind: custexport.PrincipalOperator, Name: "demo"}); err != nil {
		return err
	}
	fmt.Fprintf(io.out, "Admin UI: %s\n  user:     %s\n  password: %s   (shown this once; change it with: custexport user passwd %s)\n\n", login, demoAdmin, pw, demoAdmin)
	return nil
}

// demoSince is the dateFrom of the filtered demo link: about the last two years of the demo
// customers, whose registrations end on the seed's fixed reference date.
const demoSince = "2025-01-01"

// listenAddr is the address serve listens on: --addr or CUSTEXPORT_ADDR when either is set;
// otherwise :8080, or for the demo 127.0.0.1:8080, because the demo prints links and an admin
// password for anyone who reaches it to use.
func listenAddr(c *commandLine, addr string, demo bool) string {
	if demo && !c.given("addr") && c.getenv("CUSTEXPORT_ADDR") == "" {
		return demoAddr
	}
	return addr
}

// demoAddr is where serve --demo listens unless --addr or CUSTEXPORT_ADDR says otherwise.
const demoAddr = "127.0.0.1:8080"

// The demo partner is also the mark of a demo shop: serve --demo creates it first, in an empty
// database, and works on a database with customers, users or partners only when it finds it.
const (
	demoPartnerName = "Demo partner"
	demoShopMark    = "demo shop: made by serve --demo in an empty database; its customers are generated"
)

// claimDemoShop returns the demo partner of the demo shop db is, making db one when it is empty.
// A database that holds anything else is a real shop: --demo would add an admin user and a
// partner whose printed links download its customers, so it is refused (exit 2).
func claimDemoShop(ctx context.Context, db database) (*custexport.Partner, error) {
	partners, err := db.Partners(ctx)
	if err != nil {
		return nil, err
	}
	for i := range partners {
		if partners[i].Name == demoPartnerName && partners[i].Note == demoShopMark {
			return &partners[i], nil
		}
	}
	customers, err := db.CountCustomers(ctx)
	if err != nil {
		return nil, err
	}
	users, err := db.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	if customers > 0 || len(users) > 0 || len(partners) > 0 {
		return nil, usagef("--demo: %s holds a shop that serve --demo did not make (%d customers, %d users, %d partners); "+
			"the demo would add an admin user and a partner whose links download all of its customers. "+
			"Run serve without --demo, or give the demo a directory of its own: --data-dir DIR", db.Describe(), customers, len(users), len(partners))
	}
	salt, err := linksign.NewSalt()
	if err != nil {
		return nil, err
	}
	partner := &custexport.Partner{Name: demoPartnerName, Note: demoShopMark, LinkSalt: salt}
	if err := db.CreatePartner(ctx, partner, custexport.Principal{Kind: custexport.PrincipalOperator, Name: "demo"}); err != nil {
		return nil, err
	}
	return partner, nil
}

// prepareDemo seeds the demo shop's customers when it has none yet, makes sure its admin user
// exists, and prints a working link for each format.
func prepareDemo(ctx context.Context, io *stdio, db database, signer *linksign.Signer, base string, partner *custexport.Partner) error {
	n, err := db.CountCustomers(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(io.out, "demo: seeding %d customers…\n", demoCustomers)
		if err := seedCustomers(ctx, db, demoCustomers, 1); err != nil {
			return err
		}
	}
	fmt.Fprintf(io.out, "custexport demo is running at %s\n\n", base)
	if err := prepareDemoAdmin(ctx, io, db, base); err != nil {
		return err
	}
	fmt.Fprintf(io.out, "Demo partner links (they download the demo customers):\n")
	sign := func(f custexport.Format, params url.Values) string {
		return signer.SignedURL(strings.TrimSuffix(base, "/"), partner.ID, partner.LinkSalt, "/export/customers."+string(f), params)
	}
	for _, f := range []custexport.Format{custexport.FormatCSV, custexport.FormatXML, custexport.FormatXLSX} {
		fmt.Fprintf(io.out, "  %-4s  %s\n", f, sign(f, url.Values{}))
	}
	// A link with a filter too: changing its dateFrom without signing it anew gets 403.
	fmt.Fprintf(io.out, "\nCSV of the customers registered since %s, in windows-1250:\n  %s\n\n", demoSince,
		sign(custexport.FormatCSV, url.Values{"dateFrom": {demoSince}, "encoding": {"windows-1250"}}))
	return nil
}
