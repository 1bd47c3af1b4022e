package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// AcquireLease takes the principal's export slot: an insert, or a take-over of an expired lease,
// in one statement, so two processes racing for it cannot both win.
// An expired lease that still has a note is taken only after RecoverLeases has logged it.
func (db *DB) AcquireLease(ctx context.Context, principal, holder string, ttl time.Duration, note string) (custexport.Lease, error) {
	now := db.clock.Now()
	l := custexport.Lease{Principal: principal, Holder: holder, Expires: now.Add(ttl), Note: note}
	err := db.sql.QueryRowContext(ctx, `INSERT INTO export_lease (principal, holder, fence, expires_at, note)
		VALUES (?1, ?2, 1, ?3, ?5)
		ON CONFLICT (principal) DO UPDATE SET holder = excluded.holder, fence = export_lease.fence + 1,
			expires_at = excluded.expires_at, note = excluded.note
		WHERE export_lease.expires_at <= ?4 AND export_lease.note = ''
		RETURNING fence`, principal, holder, l.Expires.UnixMilli(), now.UnixMilli(), note).Scan(&l.Fence)
	if errors.Is(err, sql.ErrNoRows) {
		return custexport.Lease{}, custexport.Errorf(custexport.CodeBusy, "an export of %s is already running; wait until it finishes", principal)
	}
	return l, err
}

// RenewLease extends a lease that is still this holder's (same fence).
func (db *DB) RenewLease(ctx context.Context, l custexport.Lease, ttl time.Duration) (custexport.Lease, error) {
	expires := db.clock.Now().Add(ttl)
	res, err := db.sql.ExecContext(ctx, `UPDATE export_lease SET expires_at = ? WHERE principal = ? AND fence = ?`,
		expires.UnixMilli(), l.Principal, l.Fence)
	if err != nil {
		return l, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return l, custexport.Errorf(custexport.CodeBusy, "the export slot of %s was lost", l.Principal)
	}
	l.Expires = expires
	return l, nil
}

// ReleaseLease frees the slot if l still holds it. The row stays, expired, so that the fence
// keeps growing: a deleted row would start the next holder at fence 1 again.
func (db *DB) ReleaseLease(ctx context.Context, l custexport.Lease) error {
	_, err := db.sql.ExecContext(ctx, `UPDATE export_lease SET expires_at = 0, note = '' WHERE principal = ? AND fence = ?`, l.Principal, l.Fence)
	return err
}

// RecoverLeases returns the expired leases that still have a note and drops their notes, in
// one write transaction, so two processes never both recover one.
func (db *DB) RecoverLeases(ctx context.Context) ([]custexport.Lease, error) {
	// Every export start asks; almost always there is nothing, which a read tells without
	// taking the write lock.
	var some bool
	if err := db.sql.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM export_lease WHERE note <> '' AND expires_at <= ?)`,
		db.clock.Now().UnixMilli()).Scan(&some); err != nil || !some {
		return nil, err
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// A write transaction (BEGIN IMMEDIATE, the driver's default): read and drop the notes
	// with no other writer between. (RETURNING would give the notes as dropped.)
	rows, err := tx.QueryContext(ctx, `SELECT `+storerow.LeaseColumns+` FROM export_lease
		WHERE note <> '' AND expires_at <= ?`, db.clock.Now().UnixMilli())
	if err != nil {
		return nil, err
	}
	dead, err := storerow.Collect(rows, storerow.ScanLease)
	if err != nil {
		return nil, err
	}
	for _, l := range dead {
		if _, err := tx.ExecContext(ctx, `UPDATE export_lease SET note = '' WHERE principal = ? AND fence = ?`, l.Principal, l.Fence); err != nil {
			return nil, err
		}
	}
	return dead, tx.Commit()
}

var _ custexport.LeaseStore = (*DB)(nil)
