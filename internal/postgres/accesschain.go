package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// SetLogKey gives the store the key that MACs the access log.
func (db *DB) SetLogKey(k *custexport.LogKey) { db.logKey.Store(k) }

// logTx runs fn in a READ COMMITTED transaction holding the access log's lock (see
// AppendAccess), and commits when fn returns nil.
func (db *DB) logTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := lockAccessLog(ctx, tx); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func readHead(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (*custexport.Checkpoint, error) {
	head, err := storerow.ScanCheckpoint(q.QueryRow(ctx, `SELECT `+storerow.HeadColumns+` FROM access_head WHERE id = 1`).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return head, err
}

// chainHeadTx returns the chain's signed head, starting the keyed chain when it has none: the
// entries written before (a plain chain) are carried over by a signed start checkpoint. A log
// with checkpoints or a recorded master key but no head is refused (ErrHeadMissing). The
// caller holds the log's lock.
func (db *DB) chainHeadTx(ctx context.Context, tx pgx.Tx, key *custexport.LogKey) (*custexport.Checkpoint, error) {
	head, err := readHead(ctx, tx)
	if head != nil || err != nil {
		return head, err
	}
	var keyed bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM access_checkpoint) OR EXISTS (SELECT 1 FROM master_key)`).Scan(&keyed); err != nil {
		return nil, err
	}
	if keyed {
		return nil, custexport.ErrHeadMissing
	}
	var count int64
	var anchor, last *string
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM access_log),
		(SELECT prev_hash FROM access_log ORDER BY id LIMIT 1), (SELECT hash FROM access_log ORDER BY id DESC LIMIT 1)`).Scan(&count, &anchor, &last); err != nil {
		return nil, err
	}
	start, h := key.StartChain(count, deref(anchor), deref(last), db.clock.Now())
	if err := insertCheckpoint(ctx, tx, &start); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO access_head (id, at, entries, last_hash, mac) VALUES (1, $1, $2, $3, $4)`,
		h.At.UnixMilli(), h.Count, h.Last, h.MAC); err != nil {
		return nil, err
	}
	return &h, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// setHeadTx stores the new head and, as custexport.KeepCheckpoint says, a copy of it.
func (db *DB) setHeadTx(ctx context.Context, tx pgx.Tx, head *custexport.Checkpoint) error {
	if _, err := tx.Exec(ctx, `UPDATE access_head SET at = $1, entries = $2, last_hash = $3, mac = $4 WHERE id = 1`,
		head.At.UnixMilli(), head.Count, head.Last, head.MAC); err != nil {
		return err
	}
	newest, err := storerow.ScanCheckpoint(tx.QueryRow(ctx, `SELECT `+storerow.CheckpointColumns+
		` FROM access_checkpoint ORDER BY id DESC LIMIT 1`).Scan)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if custexport.KeepCheckpoint(head, newest) {
		c := *head
		return insertCheckpoint(ctx, tx, &c)
	}
	return nil
}

func insertCheckpoint(ctx context.Context, tx pgx.Tx, c *custexport.Checkpoint) error {
	return tx.QueryRow(ctx, `INSERT INTO access_checkpoint (kind, at, entries, last_hash, anchor, cut_off, mac)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, storerow.CheckpointValues(c)...).Scan(&c.ID)
}

// AccessHead returns the signed head, nil when the keyed chain has not started.
func (db *DB) AccessHead(ctx context.Context) (*custexport.Checkpoint, error) {
	return readHead(ctx, db.pool)
}

// AccessCheckpoints calls fn for every checkpoint kept, oldest first.
func (db *DB) AccessCheckpoints(ctx context.Context, fn func(*custexport.Checkpoint) error) error {
	rows, err := db.pool.Query(ctx, `SELECT `+storerow.CheckpointColumns+` FROM access_checkpoint ORDER BY id`)
	if err != nil {
		return err
	}
	defer rows.Close()
	return storerow.Each(rows, storerow.ScanCheckpoint, fn)
}

// KeepAccessHead copies the head into a checkpoint unless the newest checkpoint is at it.
func (db *DB) KeepAccessHead(ctx context.Context) error {
	return db.logTx(ctx, func(tx pgx.Tx) error {
		head, err := readHead(ctx, tx)
		if head == nil || err != nil {
			return err
		}
		var newest *int64
		if err := tx.QueryRow(ctx, `SELECT max(entries) FROM access_checkpoint`).Scan(&newest); err != nil {
			return err
		}
		if newest != nil && *newest >= head.Count {
			return nil
		}
		return insertCheckpoint(ctx, tx, head)
	})
}

// MasterKeyCheck returns the stored check value of the master key, "" when none.
func (db *DB) MasterKeyCheck(ctx context.Context) (string, error) {
	var check string
	err := db.pool.QueryRow(ctx, `SELECT check_value FROM master_key WHERE id = 1`).Scan(&check)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return check, err
}

// SetMasterKeyCheck records the shop's master key; see custexport.AccessChain.
func (db *DB) SetMasterKeyCheck(ctx context.Context, check string, event *custexport.AccessEntry) error {
	key := db.logKey.Load()
	if key == nil {
		return custexport.ErrNoLogKey
	}
	return db.logTx(ctx, func(tx pgx.Tx) error {
		var stored string
		if err := tx.QueryRow(ctx, `SELECT check_value FROM master_key WHERE id = 1 FOR UPDATE`).Scan(&stored); err != nil && !errors.Is(err, pgx.ErrNoRows) {
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
		if _, err := tx.Exec(ctx, `INSERT INTO master_key (id, check_value, created_at) VALUES (1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET check_value = $1, created_at = $2`, check, db.clock.Now().UnixMilli()); err != nil {
			return err
		}
		if event != nil {
			return db.appendAccessTx(ctx, tx, event)
		}
		return nil
	})
}

// resignTx signs every checkpoint and the head anew with key, and marks the change of key.
func (db *DB) resignTx(ctx context.Context, tx pgx.Tx, key *custexport.LogKey) error {
	rows, err := tx.Query(ctx, `SELECT `+storerow.CheckpointColumns+` FROM access_checkpoint ORDER BY id`)
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
		if _, err := tx.Exec(ctx, `UPDATE access_checkpoint SET mac = $1 WHERE id = $2`, all[i].MAC, all[i].ID); err != nil {
			return err
		}
	}
	if err := insertCheckpoint(ctx, tx, &mark); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE access_head SET at = $1, mac = $2 WHERE id = 1`, next.At.UnixMilli(), next.MAC)
	return err
}
