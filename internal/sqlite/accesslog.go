package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// AppendAccess stores e after the newest entry. The write transaction (BEGIN IMMEDIATE, the
// driver's default) serialises appends from every process, so the chain has no forks.
func (db *DB) AppendAccess(ctx context.Context, e *custexport.AccessEntry) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.appendAccessTx(ctx, tx, e); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) appendAccessTx(ctx context.Context, tx *sql.Tx, e *custexport.AccessEntry) error {
	key := db.logKey.Load()
	if key == nil {
		return errNoLogKey
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
	res, err := tx.ExecContext(ctx, `INSERT INTO access_log (at, principal_kind, principal_id, principal_name,
		channel, client_ip, user_agent, format, encoding, filter, outcome, reason, rows, bytes, duration_ms,
		replaced, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.At.UnixMilli(), string(e.Principal.Kind), e.Principal.ID, e.Principal.Name,
		string(e.Channel), e.ClientIP, e.UserAgent, string(e.Format), string(e.Encoding), e.Filter,
		string(e.Outcome), e.Reason, e.Rows, e.Bytes, e.Duration.Milliseconds(), e.Replaced, e.PrevHash, e.Hash)
	if err != nil {
		return err
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return db.setHeadTx(ctx, tx, &next)
}

// AccessEntries calls fn for the entries at or after since, oldest first.
func (db *DB) AccessEntries(ctx context.Context, since time.Time, fn func(*custexport.AccessEntry) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+storerow.AccessColumns+` FROM access_log WHERE at >= ? ORDER BY id`, since.UnixMilli())
	if err != nil {
		return err
	}
	defer rows.Close()
	return storerow.Each(rows, storerow.ScanAccess, fn)
}

// DeleteAccessBefore drops the oldest entries up to the first one at or after t (retention):
// a prefix of the chain, and a signed retention marker says where the kept entries start.
func (db *DB) DeleteAccessBefore(ctx context.Context, t time.Time) (int64, error) {
	key := db.logKey.Load()
	if key == nil {
		return 0, errNoLogKey
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	head, err := db.chainHeadTx(ctx, tx, key)
	if err != nil {
		return 0, err
	}
	var cut sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce((SELECT min(id) FROM access_log WHERE at >= ?),
		(SELECT max(id) + 1 FROM access_log))`, t.UnixMilli()).Scan(&cut); err != nil || !cut.Valid {
		return 0, err
	}
	var removed, total int64
	var last sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM access_log WHERE id < ?1), (SELECT count(*) FROM access_log),
		(SELECT hash FROM access_log WHERE id < ?1 ORDER BY id DESC LIMIT 1)`, cut.Int64).Scan(&removed, &total, &last); err != nil {
		return 0, err
	}
	if removed == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM access_log WHERE id < ?`, cut.Int64); err != nil {
		return 0, err
	}
	marker := key.RetentionMarker(head.Count-total+removed, last.String, t, db.clock.Now())
	if err := db.insertCheckpointTx(ctx, tx, &marker); err != nil {
		return 0, err
	}
	// Older markers and copies of the head inside the deleted part say nothing any more.
	if _, err := tx.ExecContext(ctx, `DELETE FROM access_checkpoint WHERE (kind = 'head' AND entries <= ?)
		OR (kind = 'retention' AND id <> ?)`, marker.Count, marker.ID); err != nil {
		return 0, err
	}
	return removed, tx.Commit()
}

var _ custexport.AccessLog = (*DB)(nil)
