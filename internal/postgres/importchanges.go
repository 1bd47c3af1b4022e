package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// An import's change list (SPEC section 10, preview and undo), as in the SQLite store: written
// in the import's own transaction, so that the customers' changes and the list of them land
// together or not at all. The first entry (or LogImport) adds the import's log entry in the
// transaction, LogImport completes it. Entries are copied in batches, as staged rows are.

var changeCopyColumns = append([]string{"import_id"}, strings.Fields(strings.ReplaceAll(storerow.ChangeColumns, ",", " "))...)

// changeLog is an import transaction's part of the change list.
type changeLog struct {
	id      int64 // the import's log entry, 0 until written
	seq     int64
	pending [][]any
}

// entry writes the import's log entry once, as a placeholder LogImport completes.
func (t *importTx) entry(ctx context.Context, r *custexport.ImportRecord) error {
	if t.log.id != 0 {
		return nil
	}
	return t.tx.QueryRow(ctx, storerow.ImportInsertSQL("$"), storerow.ImportValues(r, t.now())...).Scan(&t.log.id)
}

func (t *importTx) RecordChange(ctx context.Context, ch *custexport.FieldChange) error {
	if err := t.entry(ctx, &custexport.ImportRecord{Error: "the import did not finish"}); err != nil {
		return err
	}
	t.log.seq++
	ch.Seq = t.log.seq
	t.log.pending = append(t.log.pending, storerow.ChangeValues(t.log.id, ch))
	if len(t.log.pending) >= stageBatch {
		return t.flushChanges(ctx)
	}
	return nil
}

func (t *importTx) flushChanges(ctx context.Context) error {
	if len(t.log.pending) == 0 {
		return nil
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"import_change"}, changeCopyColumns, pgx.CopyFromRows(t.log.pending))
	t.log.pending = t.log.pending[:0]
	return err
}

func (t *importTx) LogImport(ctx context.Context, r *custexport.ImportRecord) error {
	if err := t.flushChanges(ctx); err != nil {
		return err
	}
	r.Changes = t.log.seq
	if err := t.entry(ctx, r); err != nil {
		return err
	}
	r.ID = t.log.id
	_, err := t.tx.Exec(ctx, storerow.ImportUpdateSQL("$"), append([]any{r.ID}, storerow.ImportValues(r, t.now())...)...)
	return err
}

func (t *importTx) Delete(ctx context.Context, guid string) error {
	_, err := t.tx.Exec(ctx, `DELETE FROM customer WHERE guid = $1`, guid)
	return err
}

// RecordImport writes an import to the log and sets its ID; a dry run's pending change list
// goes with it, in one transaction. An entry its import's transaction wrote (r.ID set) is
// brought up to date.
func (db *DB) RecordImport(ctx context.Context, r *custexport.ImportRecord) error {
	now := db.clock.Now()
	if r.ID != 0 {
		_, err := db.pool.Exec(ctx, storerow.ImportUpdateSQL("$"), append([]any{r.ID}, storerow.ImportValues(r, now)...)...)
		return err
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var id int64
	if err := tx.QueryRow(ctx, storerow.ImportInsertSQL("$"), storerow.ImportValues(r, now)...).Scan(&id); err != nil {
		return err
	}
	if r.Pending != nil {
		var n int64
		var batch [][]any
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"import_change"}, changeCopyColumns, pgx.CopyFromRows(batch))
			batch = batch[:0]
			return err
		}
		if err := r.Pending.EachChange(func(ch *custexport.FieldChange) error {
			n++
			ch.Seq = n
			batch = append(batch, storerow.ChangeValues(id, ch))
			if len(batch) >= stageBatch {
				return flush()
			}
			return nil
		}); err != nil {
			return err
		}
		if err := flush(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE import_log SET changes = $1 WHERE id = $2`, n, id); err != nil {
			return err
		}
		r.Changes = n
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	r.ID = id
	return nil
}

// ImportByID returns one import's log entry.
func (db *DB) ImportByID(ctx context.Context, id int64) (*custexport.ImportRecord, error) {
	r, err := storerow.ScanImport(db.pool.QueryRow(ctx, `SELECT `+storerow.ImportColumns+` FROM import_log WHERE id = $1`, id).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, custexport.Errorf(custexport.CodeNotFound, "there is no import #%d", id)
	}
	return r, err
}

// ImportChanges streams an import's change list in its order; a negative limit means all.
func (db *DB) ImportChanges(ctx context.Context, q custexport.ChangeQuery, fn func(*custexport.FieldChange) error) error {
	var lim *int
	if q.Limit >= 0 {
		lim = &q.Limit
	}
	rows, err := db.pool.Query(ctx, `SELECT `+storerow.ChangeColumns+` FROM import_change
		WHERE import_id = $1 AND seq > $2 ORDER BY seq `+storerow.ChangeOrder(q.Reverse)+` LIMIT $3`, q.ImportID, q.After, lim)
	if err != nil {
		return err
	}
	defer rows.Close()
	return storerow.EachChange(rows, fn)
}
