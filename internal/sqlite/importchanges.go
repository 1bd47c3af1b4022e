package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// An import's change list (SPEC section 10, preview and undo): written on the import's own
// connection, in its transaction, so that the customers' changes and the list of them land
// together or not at all. The list needs the import's log id, so the first entry (or LogImport)
// adds the log entry in the transaction too, and LogImport completes it.

const (
	insertChangeSQL = `INSERT INTO import_change (import_id, ` + storerow.ChangeColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	deleteCustomer  = `DELETE FROM customer WHERE guid = ?`
)

// changeLog is an import transaction's part of the change list.
type changeLog struct {
	id     int64 // the import's log entry, 0 until written
	seq    int64
	insert *sqlite3.Stmt
}

func (l *changeLog) close() {
	if l.insert != nil {
		l.insert.Close()
	}
}

// entry writes the import's log entry once, as a placeholder LogImport completes.
func (t *importTx) entry(r *custexport.ImportRecord) error {
	if t.log.id != 0 {
		return nil
	}
	s, _, err := t.conn.Prepare(storerow.ImportInsertSQL("?"))
	if err != nil {
		return err
	}
	defer s.Close()
	if err := bindValues(s, storerow.ImportValues(r, t.now())); err != nil {
		return err
	}
	if !s.Step() {
		return errors.Join(s.Err(), errors.New("the import log entry returned no id"))
	}
	t.log.id = s.ColumnInt64(0)
	return s.Err()
}

func (t *importTx) RecordChange(ctx context.Context, ch *custexport.FieldChange) error {
	if err := t.entry(&custexport.ImportRecord{Error: "the import did not finish"}); err != nil {
		return err
	}
	if t.log.insert == nil {
		s, _, err := t.conn.Prepare(insertChangeSQL)
		if err != nil {
			return err
		}
		t.log.insert = s
	}
	t.log.seq++
	ch.Seq = t.log.seq
	s := t.log.insert
	defer s.Reset()
	if err := bindValues(s, storerow.ChangeValues(t.log.id, ch)); err != nil {
		return err
	}
	return s.Exec()
}

func (t *importTx) LogImport(ctx context.Context, r *custexport.ImportRecord) error {
	r.Changes = t.log.seq
	if err := t.entry(r); err != nil {
		return err
	}
	r.ID = t.log.id
	s, _, err := t.conn.Prepare(storerow.ImportUpdateSQL("?"))
	if err != nil {
		return err
	}
	defer s.Close()
	if err := bindValues(s, append([]any{r.ID}, storerow.ImportValues(r, t.now())...)); err != nil {
		return err
	}
	return s.Exec()
}

func (t *importTx) Delete(ctx context.Context, guid string) error {
	s, _, err := t.conn.Prepare(deleteCustomer)
	if err != nil {
		return err
	}
	defer s.Close()
	s.BindText(1, guid)
	return s.Exec()
}

// bindValues binds the values storerow gives (int64, string, bool) to ?1 … in order.
func bindValues(s *sqlite3.Stmt, vals []any) error {
	for i, v := range vals {
		var err error
		switch v := v.(type) {
		case int64:
			err = s.BindInt64(i+1, v)
		case string:
			err = s.BindText(i+1, v)
		case bool:
			err = s.BindBool(i+1, v)
		default:
			err = fmt.Errorf("cannot bind %T", v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// RecordImport writes an import to the log and sets its ID; a dry run's pending change list
// goes with it, in one transaction. An entry its import's transaction wrote (r.ID set) is
// brought up to date.
func (db *DB) RecordImport(ctx context.Context, r *custexport.ImportRecord) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if r.ID != 0 {
		if _, err := tx.ExecContext(ctx, storerow.ImportUpdateSQL("?"), append([]any{r.ID}, storerow.ImportValues(r, db.clock.Now())...)...); err != nil {
			return err
		}
		return tx.Commit()
	}
	var id int64
	if err := tx.QueryRowContext(ctx, storerow.ImportInsertSQL("?"), storerow.ImportValues(r, db.clock.Now())...).Scan(&id); err != nil {
		return err
	}
	if r.Pending != nil {
		stmt, err := tx.PrepareContext(ctx, insertChangeSQL)
		if err != nil {
			return err
		}
		defer stmt.Close()
		var n int64
		if err := r.Pending.EachChange(func(ch *custexport.FieldChange) error {
			n++
			ch.Seq = n
			_, err := stmt.ExecContext(ctx, storerow.ChangeValues(id, ch)...)
			return err
		}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE import_log SET changes = ? WHERE id = ?`, n, id); err != nil {
			return err
		}
		r.Changes = n
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	r.ID = id
	return nil
}

// ImportByID returns one import's log entry.
func (db *DB) ImportByID(ctx context.Context, id int64) (*custexport.ImportRecord, error) {
	r, err := storerow.ScanImport(db.sql.QueryRowContext(ctx, `SELECT `+storerow.ImportColumns+` FROM import_log WHERE id = ?`, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, custexport.Errorf(custexport.CodeNotFound, "there is no import #%d", id)
	}
	return r, err
}

// ImportChanges streams an import's change list in its order.
func (db *DB) ImportChanges(ctx context.Context, q custexport.ChangeQuery, fn func(*custexport.FieldChange) error) error {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+storerow.ChangeColumns+` FROM import_change
		WHERE import_id = ? AND seq > ? ORDER BY seq `+storerow.ChangeOrder(q.Reverse)+` LIMIT ?`, q.ImportID, q.After, q.Limit)
	if err != nil {
		return err
	}
	defer rows.Close()
	return storerow.EachChange(rows, fn)
}
