// Package postgres is the PostgreSQL store, for shops that run several custexport instances:
// customers, partners, leases, sessions, jobs, imports and the access log all live in one
// PostgreSQL database that every instance shares. It uses pgx's native API and its connection
// pool.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clock"
	"github.com/custexport/custexport/internal/migration"
)

// DB is an open custexport PostgreSQL database.
type DB struct {
	// pool serves everything but export reads: leases, the log, sessions, imports. It is never
	// held for the length of a download, so a server busy with exports still renews its leases
	// and answers logins.
	pool *pgxpool.Pool
	// read serves export snapshots, one connection per running export: a pool of its own, on
	// the replica when one is configured.
	read    *pgxpool.Pool
	replica bool   // read is on another server (--db-read)
	name    string // host and database, for logs; never the password
	applied []int
	clock   clock.Clock // the time stamped on what the store writes
	logKey  atomic.Pointer[custexport.LogKey]
}

// SetClock makes the store stamp times (creations, changes, heartbeats, log entries, leases)
// from now instead of the system clock, so that tests control time. Call it before the store is
// used; nil restores the system clock.
func (db *DB) SetClock(now func() time.Time) { db.clock.Set(now) }

// exportConns is how many exports one instance reads at once; one more waits up to
// exportConnWait for a connection, then is refused as busy. With the control pool's 8, an
// instance opens at most 40 connections: size the server's max_connections for the instances.
const (
	exportConns    = 32
	exportConnWait = 10 * time.Second
)

// Options configure Open.
type Options struct {
	// ReadDSN, when set, names a read replica that export snapshots read from.
	ReadDSN string
	// ConnectFor is how long Open keeps retrying an unreachable server (default 30 s); a wrong
	// password, an unknown database or a malformed DSN is reported at once.
	ConnectFor time.Duration
}

// IsDSN reports whether s names a PostgreSQL database rather than a SQLite file.
func IsDSN(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}

// LooksLikeURL reports an address with a scheme, which must not be taken for a file name: a
// mistyped "postgress://user:pass@host/db" would otherwise become a SQLite file of that name.
func LooksLikeURL(s string) bool { return strings.Contains(s, "://") }

// Open connects to the database dsn names, retrying with a growing pause while the server is
// unreachable, and brings its schema up to date. Every error names the host and database.
func Open(ctx context.Context, dsn string, o Options) (*DB, error) {
	pool, name, err := connect(ctx, dsn, o.ConnectFor, 8)
	if err != nil {
		return nil, err
	}
	db := &DB{pool: pool, name: name}
	if db.applied, err = db.Migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database %s: %w", name, err)
	}
	readDSN := dsn
	if o.ReadDSN != "" {
		readDSN = o.ReadDSN
	}
	read, readName, err := connect(ctx, readDSN, o.ConnectFor, exportConns)
	if err != nil {
		pool.Close()
		return nil, err
	}
	db.read, db.replica = read, o.ReadDSN != ""
	if o.ReadDSN != "" {
		if err := db.checkVersion(ctx, read); err != nil {
			db.Close()
			return nil, fmt.Errorf("read database %s: %w", readName, err)
		}
	}
	return db, nil
}

// connect opens a pool of up to conns connections (unless the DSN sets pool_max_conns).
func connect(ctx context.Context, dsn string, wait time.Duration, conns int32) (*pgxpool.Pool, string, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included: say only what is wrong.
		return nil, "", custexport.Errorf(custexport.CodeInvalid, "the PostgreSQL address is not a valid postgres:// URL (postgres://user:password@host:5432/database)")
	}
	name := describe(cfg.ConnConfig)
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	// The store's transactions are written for READ COMMITTED (a migration's or a lease's
	// statement must see what the lock it waited for let through); a server or DSN default of
	// REPEATABLE READ would turn those waits into serialization failures. Exports ask for their
	// own isolation.
	cfg.ConnConfig.RuntimeParams["default_transaction_isolation"] = "read committed"
	if !strings.Contains(dsn, "pool_max_conns") {
		cfg.MaxConns = conns
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	if wait <= 0 {
		wait = 30 * time.Second
	}
	deadline := time.Now().Add(wait)
	for pause := 100 * time.Millisecond; ; pause = min(2*pause, 3*time.Second) {
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err == nil {
			err = pool.Ping(ctx)
			if err == nil {
				return pool, name, nil
			}
			pool.Close()
		}
		if !retryable(err) || time.Now().Add(pause).After(deadline) || ctx.Err() != nil {
			return nil, name, fmt.Errorf("PostgreSQL at %s: %s", name, connectMessage(err))
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, name, fmt.Errorf("PostgreSQL at %s: %w", name, ctx.Err())
		case <-t.C:
		}
	}
}

// describe names host, port and database, without user or password.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("%s/%s", net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))), c.Database)
}

// retryable reports an error that a later attempt may not meet: the server is down, starting or
// unreachable. Authentication and unknown databases are answered by a running server and will
// not change by waiting.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 57P03: the database system is starting up.
		return pgErr.Code == "57P03"
	}
	return true
}

// connectMessage is the reason a connection failed, without pgx's repetition of the DSN.
func connectMessage(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return netErr.Err.Error()
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// AppliedMigrations lists the schema versions that Open applied.
func (db *DB) AppliedMigrations() []int { return db.applied }

// Describe names the database: host, port and database name.
func (db *DB) Describe() string { return db.name }

// Close closes the pools.
func (db *DB) Close() error {
	db.read.Close()
	db.pool.Close()
	return nil
}

// Ping checks that the database, and the read replica when there is one, answers a query. The
// replica is asked only when one of its connections is free: with every one serving an export
// it evidently answers, and waiting for a connection would make a busy instance look down.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.pool.QueryRow(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return err
	}
	if st := db.read.Stat(); db.replica && st.AcquiredConns() < st.MaxConns() {
		return db.read.Ping(ctx)
	}
	return nil
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// LatestVersion is the schema version this program brings a database to.
func LatestVersion() int { return migration.Latest(migrationFiles, "migrations") }

// migrationLock is the advisory lock key under which instances apply migrations one at a time.
const migrationLock = 0x637573746578 // "custex"

// Migrate applies the migrations the database lacks, in one transaction that holds an advisory
// lock: instances starting together wait for each other, and the second finds the schema
// current. It returns the versions it applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := migration.Load(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, err
	}
	var current int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return nil, err
	}
	applied, err := migration.Apply(ms, current, func(sql string) error {
		_, err := tx.Exec(ctx, sql)
		return err
	}, func(m migration.Migration) error {
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return applied, tx.Commit(ctx)
}

// checkVersion refuses a read database whose schema is not the one this program knows.
func (db *DB) checkVersion(ctx context.Context, pool *pgxpool.Pool) error {
	var current int
	if err := pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("reading its schema version: %w", err)
	}
	if latest := LatestVersion(); current > latest {
		return migration.NewerSchema(current, latest)
	} else if current < latest {
		return custexport.Errorf(custexport.CodeInvalid, "schema version %d is older than this custexport's %d; let the replica catch up with its primary", current, latest)
	}
	return nil
}
