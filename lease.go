package custexport

import (
	"context"
	"time"
)

// Lease is a principal's one export slot while it is held: a row in the database, so that the
// rule holds between the server, the CLI and every server instance sharing the database. Fence
// grows with every acquisition; a holder whose heartbeat finds another fence has lost the slot.
type Lease struct {
	Principal string // Principal.Key()
	Holder    string // which process and export holds it, for operators
	Fence     int64
	Expires   time.Time
	// Note is what the holder needs written to the access log if its process dies: the export
	// engine's description of the running export (opaque to the store).
	Note string
}

// LeaseStore hands out export slots. A lease not renewed before it expires is free again, so a
// crashed process never blocks a principal for longer than the lease's time to live.
type LeaseStore interface {
	// AcquireLease takes the principal's slot, keeping note with it, or returns a CodeBusy
	// error while someone else holds an unexpired one, or an expired one whose note has not
	// been recovered yet (RecoverLeases), so that no crashed export goes unlogged.
	AcquireLease(ctx context.Context, principal, holder string, ttl time.Duration, note string) (Lease, error)
	// RenewLease extends a held lease; CodeBusy when the lease was lost (expired and taken).
	RenewLease(ctx context.Context, l Lease, ttl time.Duration) (Lease, error)
	// ReleaseLease frees the slot if l still holds it, and drops its note.
	ReleaseLease(ctx context.Context, l Lease) error
	// RecoverLeases returns the expired leases that still carry a note (their process died
	// holding them) and drops the notes, so that each is returned once, to one caller.
	RecoverLeases(ctx context.Context) ([]Lease, error)
}
