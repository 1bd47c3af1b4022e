package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/csvfile"
	"github.com/custexport/custexport/internal/exporter"
	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/sqlite"
	"github.com/custexport/custexport/internal/xlsxfile"
	"github.com/custexport/custexport/internal/xmlfile"
)

// errHelpShown ends a command after --help printed its usage.
var errHelpShown = errors.New("help shown")

// storeConfig is the configuration every command that opens the database shares. Each flag has
// an environment variable; a flag given on the command line wins.
type storeConfig struct {
	dataDir  string
	db       string
	dbRead   string
	dbWait   *time.Duration
	timezone string
	getenv   func(string) string
}

func (c *storeConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.dataDir, "data-dir", envOr(getenv, "CUSTEXPORT_DATA_DIR", "./data"), "data directory (env CUSTEXPORT_DATA_DIR)")
	// The database addresses are read from the environment only when used (database,
	// readDatabase), never as flag defaults: a postgres:// URL may hold a password, and --help
	// prints defaults.
	c.getenv = getenv
	fs.StringVar(&c.db, "db", "", "SQLite database file, or a postgres:// URL; prefer the environment for a URL with a password (env CUSTEXPORT_DB; default DATA-DIR/custexport.db)")
	c.dbWait = registerDuration(fs, getenv, "db-wait", "CUSTEXPORT_DB_WAIT", 30*time.Second, 1, "how long to retry an unreachable PostgreSQL server at start")
	fs.StringVar(&c.dbRead, "db-read", "", "postgres:// URL of a read replica that exports read from (env CUSTEXPORT_DB_READ)")
	fs.StringVar(&c.timezone, "timezone", envOr(getenv, "CUSTEXPORT_TIMEZONE", "Europe/Prague"), "the shop's time zone (env CUSTEXPORT_TIMEZONE)")
}

func envOr(getenv func(string) string, name, fallback string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return fallback
}

func (c *storeConfig) location() (*time.Location, error) {
	loc, err := time.LoadLocation(c.timezone)
	if err != nil {
		return nil, usagef("--timezone (env CUSTEXPORT_TIMEZONE): unknown time zone %q; write e.g. Europe/Prague or UTC", c.timezone)
	}
	return loc, nil
}

// database is --db, or else CUSTEXPORT_DB.
func (c *storeConfig) database() string {
	if c.db == "" && c.getenv != nil {
		return c.getenv("CUSTEXPORT_DB")
	}
	return c.db
}

// readDatabase is --db-read, or else CUSTEXPORT_DB_READ.
func (c *storeConfig) readDatabase() string {
	if c.dbRead == "" && c.getenv != nil {
		return c.getenv("CUSTEXPORT_DB_READ")
	}
	return c.dbRead
}

func (c *storeConfig) dbPath() string {
	if db := c.database(); db != "" {
		return db
	}
	return filepath.Join(c.dataDir, "custexport.db")
}

// errNoShop is the advice for a command pointed at a database without a shop.
const errNoShop = "run `custexport serve`, `seed` or `migrate` to create one"

// requireShop refuses a SQLite file that does not exist and a PostgreSQL database without the
// schema, before anything is created: a mistyped --data-dir or --db, or a command run from
// another directory (./data is relative), must not read an empty shop that opening would make.
func (c *storeConfig) requireShop(ctx context.Context) error {
	db := c.database()
	if postgres.IsDSN(db) {
		exists, name, err := postgres.HasShop(ctx, db, *c.dbWait)
		if err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("no shop in the PostgreSQL database %s (%s)", name, errNoShop)
		}
		return nil
	}
	if postgres.LooksLikeURL(db) {
		return nil // open refuses it, without repeating it
	}
	path := c.dbPath()
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		return fmt.Errorf("no shop at %s (%s)", path, errNoShop)
	}
	return nil
}

// database is a store as main uses it: either store, with the migrations its opening applied.
type database interface {
	custexport.Database
	AppliedMigrations() []int
}

// open opens the PostgreSQL database --db names, or else the SQLite file, creating the data
// directory (private to the shop: mode 0700) when the default location is used.
func (c *storeConfig) open(ctx context.Context) (database, error) {
	db, read := c.database(), c.readDatabase()
	if postgres.IsDSN(db) {
		if read != "" && !postgres.IsDSN(read) {
			return nil, usagef("--db-read: expected a postgres:// URL")
		}
		return postgres.Open(ctx, db, postgres.Options{ReadDSN: read, ConnectFor: *c.dbWait})
	}
	if postgres.LooksLikeURL(db) {
		// Not repeated: the address may hold a password.
		return nil, usagef("--db: an address with :// must be a postgres:// (or postgresql://) URL; anything else is a SQLite file name")
	}
	if read != "" {
		return nil, usagef("--db-read needs a PostgreSQL --db: a SQLite file has no replica")
	}
	path := c.dbPath()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return sqlite.Open(ctx, path)
}

// newEngine wires the export engine to the store.
func newEngine(db database, loc *time.Location) *exporter.Engine {
	host, _ := os.Hostname()
	return &exporter.Engine{
		Store:    db,
		Encoders: encoders(),
		Location: loc,
		Leases:   db,
		Log:      db,
		Partners: db,
		Holder:   fmt.Sprintf("%s:%d", host, os.Getpid()),
	}
}

// operatorPrincipal is whoever runs the CLI: one principal for all CLI use on this database,
// named after the login for the access log.
func operatorPrincipal(getenv func(string) string) custexport.Principal {
	name := getenv("USER")
	if name == "" {
		name = "operator"
	}
	return custexport.Principal{Kind: custexport.PrincipalOperator, Name: name}
}

// encoders wires the three file formats into the export engine.
func encoders() map[custexport.Format]exporter.EncoderFunc {
	return map[custexport.Format]exporter.EncoderFunc{
		custexport.FormatCSV: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder {
			return csvfile.New(w, o)
		},
		custexport.FormatXML: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder {
			return xmlfile.New(w, o)
		},
		custexport.FormatXLSX: func(w io.Writer, o custexport.EncodeOptions) custexport.Encoder {
			return xlsxfile.New(w, xlsxfile.Options{EncodeOptions: o})
		},
	}
}
