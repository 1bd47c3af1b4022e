package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// AcquireLease takes the principal's export slot: an insert, or a take-over of an expired lease,
// in one statement, so two instances racing for it cannot both win. When both arrive together,
// PostgreSQL makes the second wait for the first's row and checks the expiry again on the row
// the first wrote, which is live: the second gets no row back and is told the slot is busy.
//
// Expiry is judged by this process's clock, as in SQLite, where the CLI and the server share
// one: instances write and judge expiries with their own clocks, so their clocks must agree
// (NTP) to well within the lease's time to live.
//
// An expired lease that still has a note is taken only after RecoverLeases has logged it.
func (db *DB) AcquireLease(ctx context.Context, principal, holder string, ttl time.Duration, note string) (custexport.Lease, error) {
	now := db.clock.Now()
	l := custexport.Lease{Principal: principal, Holder: holder, Expires: now.Add(ttl), Note: note}
	err := db.pool.QueryRow(ctx, `INSERT INTO export_lease (principal, holder, fence, expires_at, note)
		VALUES ($1, $2, 1, $3, $5)
		ON CONFLICT (principal) DO UPDATE SET holder = excluded.holder, fence = export_lease.fence + 1,
			expires_at = excluded.expires_at, note = excluded.note
		WHERE export_lease.expires_at <= $4 AND export_lease.note = ''
		RETURNING fence`, principal, holder, l.Expires.UnixMilli(), now.UnixMilli(), note).Scan(&l.Fence)
	if errors.Is(err, pgx.ErrNoRows) {
		return custexport.Lease{}, custexport.Errorf(custexport.CodeBusy, "an export of %s is already running; wait until it finishes", principal)
	}
	return l, err
}

// RenewLease extends a lease that is still this holder's (same fence).
func (db *DB) RenewLease(ctx context.Context, l custexport.Lease, ttl time.Duration) (custexport.Lease, error) {
	expires := db.clock.Now().Add(ttl)
	tag, err := db.pool.Exec(ctx, `UPDATE export_lease SET expires_at = $1 WHERE principal = $2 AND fence = $3`,
		expires.UnixMilli(), l.Principal, l.Fence)
	if err != nil {
		return l, err
	}
	if tag.RowsAffected() == 0 {
		return l, custexport.Errorf(custexport.CodeBusy, "the export slot of %s was lost", l.Principal)
	}
	l.Expires = expires
	return l, nil
}

// ReleaseLease frees the slot if l still holds it. The row stays, expired, so that the fence
// keeps growing: a deleted row would start the next holder at fence 1 again.
func (db *DB) ReleaseLease(ctx context.Context, l custexport.Lease) error {
	_, err := db.pool.Exec(ctx, `UPDATE export_lease SET expires_at = 0, note = '' WHERE principal = $1 AND fence = $2`, l.Principal, l.Fence)
	return err
}

// RecoverLeases returns the expired leases that still have a note and drops their notes. The
// rows are locked (FOR UPDATE SKIP LOCKED) while read, so that of two instances recovering at
// once each lease goes to one; the notes returned are the ones read before the update.
func (db *DB) RecoverLeases(ctx context.Context) ([]custexport.Lease, error) {
	rows, err := db.pool.Query(ctx, `WITH dead AS (
			SELECT principal, fence, note FROM export_lease WHERE note <> '' AND expires_at <= $1 FOR UPDATE SKIP LOCKED)
		UPDATE export_lease l SET note = '' FROM dead WHERE l.principal = dead.principal AND l.fence = dead.fence
		RETURNING l.principal, l.holder, l.fence, l.expires_at, dead.note`, db.clock.Now().UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return storerow.Collect(rows, storerow.ScanLease)
}

var _ custexport.LeaseStore = (*DB)(nil)
