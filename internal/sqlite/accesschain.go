package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

var errNoLogKey = custexport.ErrNoLogKey

// SetLogKey gives the store the key that MACs the access log.
func (db *DB) SetLogKey(k *custexport.LogKey) { db.logKey.Store(k) }

// chainHeadTx returns the chain's signed head, starting the keyed chain when it has none: the
// entries written before (a plain chain) are carried over by a signed start checkpoint. A log
// with checkpoints or a recorded master key but no head is refused (ErrHeadMissing).
func (db *DB) chainHeadTx(ctx context.Context, tx *sql.Tx, key *custexport.LogKey) (*custexport.Checkpoint, error) {
	head, err := storerow.ScanCheckpoint(tx.QueryRowContext(ctx, `SELECT `+storerow.HeadColumns+` FROM access_head WHERE id = 1`).Scan)
	if err == nil || !errors.Is(err, sql.ErrNoRows) {
		return head, err
	}
	var keyed bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM access_checkpoint) OR EXISTS (SELECT 1 FROM master_key)`).Scan(&keyed); err != nil {
		return nil, err
	}
	if keyed {
		return nil, custexport.ErrHeadMissing
	}
	var count int64
	var anchor, last sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM access_log),
		(SELECT prev_hash FROM access_log ORDER BY id LIMIT 1), (SELECT hash FROM access_log ORDER BY id DESC LIMIT 1)`).Scan(&count, &anchor, &last); err != nil {
		return nil, err
	}
	start, h := key.StartChain(count, anchor.String, last.String, db.clock.Now())
	if err := db.insertCheckpointTx(ctx, tx, &start); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO access_head (id, at, entries, last_hash, mac) VALUES (1, ?, ?, ?, ?)`,
		h.At.UnixMilli(), h.Count, h.Last, h.MAC); err != nil {
		return nil, err
	}
	return &h, nil
}

// setHeadTx stores the new head and, as custexport.KeepCheckpoint says, a copy of it.
func (db *DB) setHeadTx(ctx context.Context, tx *sql.Tx, head *custexport.Checkpoint) error {
	if _, err := tx.ExecContext(ctx, `UPDATE access_head SET at = ?, entries = ?, last_hash = ?, mac = ? WHERE id = 1`,
		head.At.UnixMilli(), head.Count, head.Last, head.MAC); err != nil {
		return err
	}
	newest, err := storerow.ScanCheckpoint(tx.QueryRowContext(ctx, `SELECT `+storerow.CheckpointColumns+
		` FROM access_checkpoint ORDER BY id DESC LIMIT 1`).Scan)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if custexport.KeepCheckpoint(head, newest) {
		c := *head
		return db.insertCheckpointTx(ctx, tx, &c)
	}
	return nil
}

func (db *DB) insertCheckpointTx(ctx context.Context, tx *sql.Tx, c *custexport.Checkpoint) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO access_checkpoint (kind, at, entries, last_hash, anchor, cut_off, mac)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, storerow.CheckpointValues(c)...)
	if err != nil {
		return err
	}
	c.ID, err = res.LastInsertId()
	return err
}

// AccessHead returns the signed head, nil when the keyed chain has not started.
func (db *DB) AccessHead(ctx context.Context) (*custexport.Checkpoint, error) {
	head, err := storerow.ScanCheckpoint(db.sql.QueryRowContext(ctx, `SELECT `+storerow.HeadColumns+` FROM access_head WHERE id = 1`).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return head, err
}

// AccessCheckpoints calls fn for every checkpoint kept, oldest first.
func (db *DB) AccessCheckpoints(ctx context.Context, fn func(*custexport.Checkpoint) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+storerow.CheckpointColumns+` FROM access_checkpoint ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	return storerow.Each(rows, storerow.ScanCheckpoint, fn)
}

// KeepAccessHead copies the head into a checkpoint unless the newest checkpoint is at it.
func (db *DB) KeepAccessHead(ctx context.Context) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	head, err := storerow.ScanCheckpoint(tx.QueryRowContext(ctx, `SELECT `+storerow.HeadColumns+` FROM access_head WHERE id = 1`).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	var newest sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(entries) FROM access_checkpoint`).Scan(&newest); err != nil {
		return err
	}
	if newest.Valid && newest.Int64 >= head.Count {
		return nil
	}
	if err := db.insertCheckpointTx(ctx, tx, head); err != nil {
		return err
	}
	return tx.Commit()
}

// MasterKeyCheck returns the stored check value of the master key, "" when none.
func (db *DB) MasterKeyCheck(ctx context.Context) (string, error) {
	var check string
	err := db.sql.QueryRowContext(ctx, `SELECT check_value FROM master_key WHERE id = 1`).Scan(&check)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return check, err
}

// SetMasterKeyCheck records the shop's master key; see custexport.AccessChain.
func (db *DB) SetMasterKeyCheck(ctx context.Context, check string, event *custexport.AccessEntry) error {
	key := db.logKey.Load()
	if key == nil {
		return errNoLogKey
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var stored string
	if err := tx.QueryRowContext(ctx, `SELECT check_value FROM master_key WHERE id = 1`).Scan(&stored); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	replace, err := custexport.MasterKeyChange(stored, check, event)
	if err != nil || stored == check {
		return err
	}
	if replace {
		if err := db.resignTx(ctx, tx, key); err != nil {
			return err
		}
	} else if _, err := db.chainHeadTx(ctx, tx, key); err != nil {
		return err
	}
	now := db.clock.Now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO master_key (id, check_value, created_at) VALUES (1, ?1, ?2)
		ON CONFLICT (id) DO UPDATE SET check_value = ?1, created_at = ?2`, check, now.UnixMilli()); err != nil {
		return err
	}
	if event != nil {
		if err := db.appendAccessTx(ctx, tx, event); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// resignTx signs every checkpoint and the head anew with key, and marks the change of key.
func (db *DB) resignTx(ctx context.Context, tx *sql.Tx, key *custexport.LogKey) error {
	rows, err := tx.QueryContext(ctx, `SELECT `+storerow.CheckpointColumns+` FROM access_checkpoint ORDER BY id`)
	if err != nil {
		return err
	}
	all, err := storerow.Collect(rows, storerow.ScanCheckpoint)
	if err != nil {
		return err
	}
	head, err := db.chainHeadTx(ctx, tx, key)
	if err != nil {
		return err
	}
	mark, next := key.NewKey(all, head, db.clock.Now())
	for i := range all {
		if _, err := tx.ExecContext(ctx, `UPDATE access_checkpoint SET mac = ? WHERE id = ?`, all[i].MAC, all[i].ID); err != nil {
			return err
		}
	}
	if err := db.insertCheckpointTx(ctx, tx, &mark); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE access_head SET at = ?, mac = ? WHERE id = 1`, next.At.UnixMilli(), next.MAC)
	return err
}
