package custexport

import (
	"context"
	"time"
)

// CustomerStore keeps the shop's customers.
type CustomerStore interface {
	// OpenSnapshot starts one consistent read of the customers registered within r. The count
	// and every row come from the same snapshot, whatever is written meanwhile. The caller must
	// Close the snapshot.
	OpenSnapshot(ctx context.Context, q SnapshotQuery) (CustomerSnapshot, error)
	// InsertCustomers adds new customers in one transaction; one without a ChangeTime gets the
	// store's clock.
	InsertCustomers(ctx context.Context, customers []Customer) error
	// CountCustomers returns the number of stored customers.
	CountCustomers(ctx context.Context) (int64, error)
}

// SnapshotQuery says which customers an export reads and how much of each.
type SnapshotQuery struct {
	Range Range
	// AllDelivery loads every delivery address (XML); otherwise only the default one is
	// loaded (CSV, XLSX), which saves a second read.
	AllDelivery bool
}

// CustomerSnapshot is an open, consistent read of customers.
type CustomerSnapshot interface {
	// Total is the number of customers the snapshot holds.
	Total() int64
	// Each calls fn for every customer, ordered by registration date, then guid. The
	// *Customer and its strings are valid only during the call: stores reuse their buffers
	// so that an export does not allocate per row. Copy (strings.Clone) what must outlive it.
	// Each stops at the first error from fn or from the context and returns it.
	Each(fn func(*Customer) error) error
	// Close ends the read.
	Close() error
}

// Database is the whole store contract: everything the server, the CLI and the export engine
// read and write. The embedded SQLite store and the PostgreSQL store both implement it, and one
// conformance suite (internal/storetest) holds them to it.
type Database interface {
	CustomerStore
	PartnerStore
	LeaseStore
	AccessLog
	AccessChain
	UserStore
	SessionStore
	JobStore
	ImportStore
	// SearchCustomers returns one page of the admin UI's customer list.
	SearchCustomers(ctx context.Context, s CustomerSearch) (CustomerPage, error)
	// CountAccess and QueryAccess read the access log as the admin UI filters it.
	CountAccess(ctx context.Context, q AccessQuery) (int64, error)
	QueryAccess(ctx context.Context, q AccessQuery, fn func(*AccessEntry) error) error
	// DeleteAccessBefore drops the oldest access-log entries up to the first one at or after t
	// (retention) and returns how many: the log loses a prefix, never an entry in its middle,
	// and a signed retention marker (CheckpointRetention) says where the kept entries start. (Entries are not strictly in
	// time order: an export's entry carries its start, and instances' clocks differ.)
	DeleteAccessBefore(ctx context.Context, t time.Time) (int64, error)
	// Ping checks that the database answers (readiness).
	Ping(ctx context.Context) error
	// Describe names the database for logs and messages, without credentials.
	Describe() string
	Close() error
}
