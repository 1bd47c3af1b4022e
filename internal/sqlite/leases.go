package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/custexport/custexport"
)

// AcquireLease takes the principal's export slot: an insert, or a take-over of an expired lease,
// in one statement, so two processes racing for it cannot both win.
func (db *DB) AcquireLease(ctx context.Context, principal, holder string, ttl time.Duration) (custexport.Lease, error) {
	now := db.clock.Now()
	l := custexport.Lease{Principal: principal, Holder: holder, Expires: now.Add(ttl)}
	err := db.sql.QueryRowContext(ctx, `INSERT INTO export_lease (principal, holder, fence, expires_at)
		VALUES (?1, ?2, 1, ?3)
		ON CONFLICT (principal) DO UPDATE SET holder = excluded.holder, fence = export_lease.fence + 1,
			expires_at = excluded.expires_at
		WHERE export_lease.expires_at <= ?4
		RETURNING fence`, principal, holder, l.Expires.UnixMilli(), now.UnixMilli()).Scan(&l.Fence)
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
	_, err := db.sql.ExecContext(ctx, `UPDATE export_lease SET expires_at = 0 WHERE principal = ? AND fence = ?`, l.Principal, l.Fence)
	return err
}

var _ custexport.LeaseStore = (*DB)(nil)
