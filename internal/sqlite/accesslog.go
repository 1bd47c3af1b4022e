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
	e.Bound() // what a request can add to the log is bounded, whichever channel wrote it
	if e.At.IsZero() {
		e.At = db.clock.Now()
	}
	e.At = e.At.UTC().Truncate(time.Millisecond)
	err := tx.QueryRowContext(ctx, `SELECT hash FROM access_log ORDER BY id DESC LIMIT 1`).Scan(&e.PrevHash)
	if err == sql.ErrNoRows {
		e.PrevHash = ""
	} else if err != nil {
		return err
	}
	e.Hash = e.ComputeHash()
	res, err := tx.ExecContext(ctx, `INSERT INTO access_log (at, principal_kind, principal_id, principal_name,
		channel, client_ip, user_agent, format, encoding, filter, outcome, reason, rows, bytes, duration_ms,
		replaced, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.At.UnixMilli(), string(e.Principal.Kind), e.Principal.ID, e.Principal.Name,
		string(e.Channel), e.ClientIP, e.UserAgent, string(e.Format), string(e.Encoding), e.Filter,
		string(e.Outcome), e.Reason, e.Rows, e.Bytes, e.Duration.Milliseconds(), e.Replaced, e.PrevHash, e.Hash)
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
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
// a prefix of the chain, so the entries kept still verify from the first of them.
func (db *DB) DeleteAccessBefore(ctx context.Context, t time.Time) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM access_log WHERE id < coalesce(
		(SELECT min(id) FROM access_log WHERE at >= ?), (SELECT max(id) + 1 FROM access_log))`, t.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

var _ custexport.AccessLog = (*DB)(nil)
