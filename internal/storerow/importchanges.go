package storerow

import (
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
)

// revertedBySQL reads an import's applied revert, NULL when none, beside the columns of
// import_log (the outer query's table, unaliased).
const revertedBySQL = `(SELECT max(r.id) FROM import_log r WHERE r.reverts = import_log.id AND r.dry_run = false AND r.error = '')`

// ImportWriteColumns are the columns of import_log an import's entry writes, in the order of
// ImportValues; the id is the store's.
const ImportWriteColumns = `at, principal_kind, principal_id, principal_name, file, encoding, delimiter, dry_run,
	rows, created, updated, unchanged, skipped, unknown, skipped_rows, error, changes, reverts, removed`

// ImportValues are the values of ImportWriteColumns for r; now stamps a record without a time.
func ImportValues(r *custexport.ImportRecord, now time.Time) []any {
	unknown, skipped := ImportLists(r, now)
	return []any{r.At.UnixMilli(), string(r.Principal.Kind), r.Principal.ID, r.Principal.Name, r.File, string(r.Encoding),
		r.Delimiter, r.DryRun, r.Rows, r.Created, r.Updated, r.Unchanged, r.Skipped, unknown, skipped, r.Error,
		r.Changes, r.Reverts, r.Removed}
}

// ImportUpdateSQL rewrites the entry with id ?1 from ImportValues (?2 …); mark is the store's
// numbered-parameter sign ('?' for SQLite, '$' for PostgreSQL).
func ImportUpdateSQL(mark string) string {
	set := make([]string, len(importWriteColumns))
	for i, c := range importWriteColumns {
		set[i] = c + " = " + mark + strconv.Itoa(i+2)
	}
	return `UPDATE import_log SET ` + strings.Join(set, ", ") + ` WHERE id = ` + mark + `1`
}

// ImportInsertSQL adds an entry from ImportValues and returns its id.
func ImportInsertSQL(mark string) string {
	marks := make([]string, len(importWriteColumns))
	for i := range marks {
		marks[i] = mark + strconv.Itoa(i+1)
	}
	return `INSERT INTO import_log (` + ImportWriteColumns + `) VALUES (` + strings.Join(marks, ", ") + `) RETURNING id`
}

var importWriteColumns = strings.Fields(strings.ReplaceAll(ImportWriteColumns, ",", " "))

// ChangeColumns are the columns of import_change ScanChange reads and ChangeValues writes after
// the import's id, in their order.
const ChangeColumns = `seq, line, customer_guid, kind, col, old_value, new_value, digest`

// ScanChange reads a row of ChangeColumns into ch.
func ScanChange(scan Scanner, ch *custexport.FieldChange) error {
	var line int64
	var kind string
	if err := scan(&ch.Seq, &line, &ch.GUID, &kind, &ch.Column, &ch.Old, &ch.New, &ch.Digest); err != nil {
		return err
	}
	ch.Line, ch.Kind = int(line), custexport.ChangeKind(kind)
	return nil
}

// ChangeValues are the import's id and the values of ChangeColumns for ch.
func ChangeValues(importID int64, ch *custexport.FieldChange) []any {
	return []any{importID, ch.Seq, int64(ch.Line), ch.GUID, string(ch.Kind), ch.Column, ch.Old, ch.New, ch.Digest}
}

// ChangeOrder is the direction of a change list's ORDER BY seq.
func ChangeOrder(reverse bool) string {
	if reverse {
		return "DESC"
	}
	return "ASC"
}

// EachChange reads rows of ChangeColumns into one FieldChange and calls fn with it for each;
// the caller closes rows.
func EachChange(rows Rows, fn func(*custexport.FieldChange) error) error {
	var ch custexport.FieldChange
	for rows.Next() {
		if err := ScanChange(rows.Scan, &ch); err != nil {
			return err
		}
		if err := fn(&ch); err != nil {
			return err
		}
	}
	return rows.Err()
}
