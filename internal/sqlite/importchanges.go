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

// An import's change list (SPEC section 10, preview and undo). RecordChange stages each entry
// in a temporary table of the import's own connection (bounded by disk, not memory); LogImport
// says what the log entry will be; applyChanges, in the transaction that writes the import's
// customers, writes the log entry and moves the staged list under its id. So the customers'
// changes, the list of them and the log entry land together or not at all, and the list is
// written by the one short write that applies the import, wherever the rows are staged.

const (
	stageChangesSQL = `CREATE TEMP TABLE import_change_stage (seq INTEGER PRIMARY KEY, line INTEGER, customer_guid TEXT,
		kind TEXT, col TEXT, old_value TEXT, new_value TEXT, digest TEXT)`
	insertStagedChangeSQL = `INSERT INTO temp.import_change_stage (` + storerow.ChangeColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	moveStagedChangesSQL  = `INSERT INTO import_change (import_id, ` + storerow.ChangeColumns + `)
		SELECT ?, ` + storerow.ChangeColumns + ` FROM temp.import_change_stage ORDER BY seq`
	insertChangeSQL = `INSERT INTO import_change (import_id, ` + storerow.ChangeColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	deleteCustomer  = `DELETE FROM customer WHERE guid = ?`
)

// changeLog is an import transaction's part of the change list.
type changeLog struct {
	seq    int64
	insert *sqlite3.Stmt            // into the staging table, once it exists
	rec    *custexport.ImportRecord // what LogImport was given
}

func (l *changeLog) close() {
	if l.insert != nil {
		l.insert.Close()
	}
}

func (t *importTx) RecordChange(ctx context.Context, ch *custexport.FieldChange) error {
	if t.log.insert == nil {
		if err := t.conn.Exec(stageChangesSQL); err != nil {
			return err
		}
		s, _, err := t.conn.Prepare(insertStagedChangeSQL)
		if err != nil {
			return err
		}
		t.log.insert = s
	}
	t.log.seq++
	ch.Seq = t.log.seq
	s := t.log.insert
	defer s.Reset()
	if err := bindValues(s, storerow.ChangeValues(0, ch)[1:]); err != nil {
		return err
	}
	return s.Exec()
}

// LogImport keeps r for applyChanges, which writes it with the import.
func (t *importTx) LogImport(ctx context.Context, r *custexport.ImportRecord) error {
	r.Changes = t.log.seq
	t.log.rec = r
	return nil
}

// applyChanges writes the log entry LogImport was given and moves the staged list under its
// id, on the connection that is about to commit the import, and sets the entry's ID.
func (t *importTx) applyChanges() error {
	r := t.log.rec
	if r == nil {
		if t.log.seq > 0 {
			return errors.New("an import recorded changes but no log entry (LogImport)")
		}
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
	id := s.ColumnInt64(0)
	s.Reset()
	if t.log.insert != nil {
		t.log.insert.Close()
		t.log.insert = nil
		m, _, err := t.conn.Prepare(moveStagedChangesSQL)
		if err != nil {
			return err
		}
		defer m.Close()
		m.BindInt64(1, id)
		if err := m.Exec(); err != nil {
			return err
		}
		// The connection goes back to the pool: its temporary table goes with the commit.
		if err := t.conn.Exec(`DROP TABLE temp.import_change_stage`); err != nil {
			return err
		}
	}
	r.ID = id
	return nil
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
