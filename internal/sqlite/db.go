// Package sqlite is the embedded SQLite store, the default storage of custexport: one file in
// the data directory, nothing to install. It uses github.com/ncruces/go-sqlite3 (no cgo)
// through database/sql for ordinary reads and writes, and its direct API for export scans,
// where per-row overhead decides the speed of the whole export.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clock"
)

// busyTimeout is how long a statement waits for another connection's write lock before it
// fails; imports and the seed hold the lock for seconds at most.
const busyTimeout = 10 * time.Second

// DB is an open custexport SQLite database.
type DB struct {
	path    string
	sql     *sql.DB
	applied []int // migrations this Open applied
	// writeCacheKiB, when set, is the page cache InsertCustomers asks for (see
	// UseBulkWriteCache).
	writeCacheKiB int
	clock         clock.Clock // the time stamped on what the store writes
	logKey        atomic.Pointer[custexport.LogKey]
}

// SetClock makes the store stamp times (creations, changes, heartbeats, log entries, leases)
// from now instead of the system clock, so that tests control time. Call it before the store is
// used; nil restores the system clock.
func (db *DB) SetClock(now func() time.Time) { db.clock.Set(now) }

// UseBulkWriteCache gives InsertCustomers a page cache of kib KiB. Inserting into the random
// guid and e-mail indexes with SQLite's default 2 MB cache re-reads and re-writes pages for
// every row once the indexes outgrow it: seeding a million customers spent most of its time in
// pread and pwrite. A bulk loader (seed) turns it on; a server does not, because the memory of
// a connection never shrinks.
func (db *DB) UseBulkWriteCache(kib int) { db.writeCacheKiB = kib }

// Open opens (creating if needed) the database file at path and brings its schema up to date.
// A file that is not a SQLite database, a SQLite database that is not custexport's, or a schema
// newer than this program knows is refused with an error that says so; nothing is reset.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := checkHeader(path); err != nil {
		return nil, err
	}
	db, err := driver.Open("file:"+path, configureConn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &DB{path: path, sql: db}
	// Processes opening a new database together can be refused at once, without the busy
	// handler waiting: SQLite does so where waiting could deadlock (switching to WAL, upgrading
	// a read lock). Those attempts are retried with a growing pause, for busyTimeout at most.
	deadline := time.Now().Add(busyTimeout)
	for pause := 5 * time.Millisecond; ; pause = min(2*pause, 200*time.Millisecond) {
		s.applied, err = s.Migrate(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			break
		}
		if sleepErr := sleepCtx(ctx, pause); sleepErr != nil {
			err = sleepErr
			break
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return s, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// isBusy reports a "database is locked" refusal.
func isBusy(err error) bool {
	return errors.Is(err, sqlite3.BUSY) || errors.Is(err, sqlite3.LOCKED)
}

// configureConn sets every new connection up: WAL so that exports read a snapshot while imports
// write, a busy timeout instead of immediate "database is locked" errors, foreign keys on, and
// NORMAL sync, which in WAL mode is durable across application crashes.
//
// A database this creates gets pages of pageSize bytes. The page size is fixed when the file is
// made (it must precede WAL mode), so for an existing database the pragma does nothing.
func configureConn(c *sqlite3.Conn) error {
	if err := c.BusyTimeout(busyTimeout); err != nil {
		return err
	}
	return c.Exec(`PRAGMA page_size = ` + strconv.Itoa(pageSize) + `; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL`)
}

// pageSize is 16 KiB instead of SQLite's 4 KiB. An export reads every page of the customer table
// and of the date index, one read(2) each: with 16 KiB pages the 1M-customer CSV export took
// 2.1 s instead of 2.35 s (bench data set, same rows), most of the difference being system calls
// and page set-up. Larger pages gained little more (64 KiB: 2.05 s) and make every small commit
// (a lease renewal, an access log entry) write more.
const pageSize = 16384

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// checkHeader refuses an existing, non-empty file that is not a SQLite database before SQLite
// gets to touch it.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	n, _ := f.Read(head)
	if n == 0 {
		return nil
	}
	if n < len(head) || string(head) != sqliteMagic {
		return custexport.Errorf(custexport.CodeInvalid, "%s is not a SQLite database; refusing to use it (move it away or point --db elsewhere)", path)
	}
	return nil
}

// AppliedMigrations lists the schema versions that Open applied (empty when the schema was
// already current).
func (db *DB) AppliedMigrations() []int { return db.applied }

// Path is the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.sql.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one)
}

// Checkpoint copies the write-ahead log into the database file and truncates it; large imports
// and the seed call it so the WAL does not stay hundreds of megabytes large.
func (db *DB) Checkpoint(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// Describe names the database for logs: its file.
func (db *DB) Describe() string { return db.path }

var _ custexport.Database = (*DB)(nil)

// withRawConn runs fn on a connection of the pool through the driver's direct API (which binds
// values without database/sql's per-argument conversions), interrupted when ctx ends.
func (db *DB) withRawConn(ctx context.Context, fn func(c *sqlite3.Conn) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c := dc.(driver.Conn).Raw()
		old := c.SetInterrupt(ctx)
		defer c.SetInterrupt(old)
		return fn(c)
	})
}
