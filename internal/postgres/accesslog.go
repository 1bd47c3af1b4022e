package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// accessLogLock is the advisory lock key ("custexL") under which entries are appended one at a
// time, by every instance sharing the database.
const accessLogLock = migrationLock<<8 | 'L'

// lockAccessLog makes the transaction the only appender until it ends. Taking it again in the
// same transaction is harmless.
func lockAccessLog(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(accessLogLock))
	return err
}

// AppendAccess stores e after the newest entry. Without the lock two instances could read the
// same newest entry and both chain to it: a fork that verification reports as tampering.
//
// The transaction is READ COMMITTED whatever the server's default: each statement then reads
// what was committed when it started, so the newest entry is read after the lock is held and
// sees the previous holder's entry. Under REPEATABLE READ the snapshot would date from the
// lock statement, taken before the wait.
func (db *DB) AppendAccess(ctx context.Context, e *custexport.AccessEntry) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := db.appendAccessTx(ctx, tx, e); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (db *DB) appendAccessTx(ctx context.Context, tx pgx.Tx, e *custexport.AccessEntry) error {
	key := db.logKey.Load()
	if key == nil {
		return custexport.ErrNoLogKey
	}
	if err := lockAccessLog(ctx, tx); err != nil {
		return err
	}
	e.Bound() // what a request can add to the log is bounded, whichever channel wrote it
	if e.At.IsZero() {
		e.At = db.clock.Now()
	}
	e.At = e.At.UTC().Truncate(time.Millisecond)
	head, err := db.chainHeadTx(ctx, tx, key)
	if err != nil {
		return err
	}
	next := key.Chain(head, e, db.clock.Now())
	if err := tx.QueryRow(ctx, `INSERT INTO access_log (at, principal_kind, principal_id, principal_name,
		channel, client_ip, user_agent, format, encoding, filter, outcome, reason, rows, bytes, duration_ms,
		replaced, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
		RETURNING id`,
		e.At.UnixMilli(), string(e.Principal.Kind), e.Principal.ID, e.Principal.Name,
		string(e.Channel), e.ClientIP, rawText(e.UserAgent), string(e.Format), string(e.Encoding), e.Filter,
		string(e.Outcome), e.Reason, e.Rows, e.Bytes, e.Duration.Milliseconds(), e.Replaced, e.PrevHash, e.Hash).Scan(&e.ID); err != nil {
		return err
	}
	return db.setHeadTx(ctx, tx, &next)
}

// rawText is s as the bytes of a bytea column; never nil, which pgx would send as NULL.
func rawText(s string) []byte {
	if s == "" {
		return []byte{}
	}
	return []byte(s)
}

// AccessEntries calls fn for the entries at or after since, oldest first.
func (db *DB) AccessEntries(ctx context.Context, since time.Time, fn func(*custexport.AccessEntry) error) error {
	rows, err := db.pool.Query(ctx, `SELECT `+storerow.AccessColumns+` FROM access_log WHERE at >= $1 ORDER BY id`, since.UnixMilli())
	if err != nil {
		return err
	}
	return eachAccess(rows, fn)
}

func eachAccess(rows pgx.Rows, fn func(*custexport.AccessEntry) error) error {
	defer rows.Close()
	return storerow.Each(rows, storerow.ScanAccess, fn)
}

// DeleteAccessBefore drops the oldest entries up to the first one at or after t (retention):
// a prefix of the chain, and a signed retention marker says where the kept entries start.
func (db *DB) DeleteAccessBefore(ctx context.Context, t time.Time) (int64, error) {
	key := db.logKey.Load()
	if key == nil {
		return 0, custexport.ErrNoLogKey
	}
	var removed int64
	err := db.logTx(ctx, func(tx pgx.Tx) error {
		head, err := db.chainHeadTx(ctx, tx, key)
		if err != nil {
			return err
		}
		var cut *int64
		if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT min(id) FROM access_log WHERE at >= $1),
			(SELECT max(id) + 1 FROM access_log))`, t.UnixMilli()).Scan(&cut); err != nil || cut == nil {
			return err
		}
		var total int64
		var last *string
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM access_log WHERE id < $1), (SELECT count(*) FROM access_log),
			(SELECT hash FROM access_log WHERE id < $1 ORDER BY id DESC LIMIT 1)`, *cut).Scan(&removed, &total, &last); err != nil {
			return err
		}
		if removed == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM access_log WHERE id < $1`, *cut); err != nil {
			return err
		}
		marker := key.RetentionMarker(head.Count-total+removed, *last, t, db.clock.Now())
		if err := insertCheckpoint(ctx, tx, &marker); err != nil {
			return err
		}
		// Older markers and copies of the head inside the deleted part say nothing any more.
		_, err = tx.Exec(ctx, `DELETE FROM access_checkpoint WHERE (kind = 'head' AND entries <= $1)
			OR (kind = 'retention' AND id <> $2)`, marker.Count, marker.ID)
		return err
	})
	if err != nil {
		return 0, err
	}
	return removed, nil
}

var _ custexport.AccessLog = (*DB)(nil)
