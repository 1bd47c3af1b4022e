package csvimport

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/custexport/custexport"
)

// Revert undoes the applied import id (SPEC section 10, undo) in one transaction through store:
// every field it changed gets its old value back, and every customer it created is removed,
// unless it was changed again since (the current value is no longer the import's new value, a
// created customer's record no longer the one created): those are listed in rec as skipped
// rows and left alone. The revert is an import of its own: it keeps its own change list, is
// logged (rec.Reverts = id), and with opts.DryRun only previews. An import is reverted once;
// a revert, a dry run or a refused file is not reverted (custexport.RevertRefusal).
//
// The changes are undone from the last to the first: an e-mail the import moved from one
// customer to another goes back in the order that frees it first.
func Revert(ctx context.Context, store custexport.ImportStore, id int64, opts Options, rec *custexport.ImportRecord) error {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	rec.DryRun, rec.Reverts = opts.DryRun, id
	orig, err := store.ImportByID(ctx, id)
	if err != nil {
		return err
	}
	if rec.File == "" {
		rec.File = orig.File
	}
	rec.Encoding, rec.Delimiter = orig.Encoding, orig.Delimiter
	if err := revertable(orig); err != nil {
		return err
	}
	ch, err := newChanges(opts)
	if err != nil {
		return err
	}
	rv := &reverter{rec: rec, changes: ch, now: time.Now().UTC().Truncate(time.Second)}
	err = store.Import(ctx, !opts.DryRun, func(tx custexport.ImportTx) error {
		rv.ctx, rv.tx = ctx, tx
		// Asked again now that this transaction holds the import lock: a revert that committed
		// since the first answer (another user, another process) is seen here, and this one
		// is refused instead of being logged as a second revert.
		if orig, err := store.ImportByID(ctx, id); err != nil || revertable(orig) != nil {
			return errors.Join(err, revertable(orig))
		}
		q := custexport.ChangeQuery{ImportID: id, Limit: -1, Reverse: true}
		if err := store.ImportChanges(ctx, q, rv.add); err != nil {
			return err
		}
		if err := rv.flush(ctx); err != nil {
			return err
		}
		return ch.finish(ctx, tx, rec)
	})
	ch.done(rec, err)
	if err != nil {
		rec.Created, rec.Updated, rec.Unchanged, rec.Removed = 0, 0, 0, 0
	}
	return err
}

// revertable refuses an import that cannot be reverted (custexport.RevertRefusal).
func revertable(r *custexport.ImportRecord) error {
	if r == nil {
		return nil
	}
	if key, reason := custexport.RevertRefusal(r); key != "" {
		e := custexport.Errorf(custexport.CodeConflict, "import #%d cannot be reverted: %s", r.ID, reason)
		e.Reason, e.Value = key, fmt.Sprint(r.ID)
		return e
	}
	return nil
}

// reverter gathers one customer's entries (they are consecutive: one row of the file each),
// then undoes them together.
type reverter struct {
	ctx     context.Context
	tx      custexport.ImportTx
	rec     *custexport.ImportRecord
	changes *changes
	now     time.Time
	guid    string
	line    int
	entries []custexport.FieldChange // the customer's, bounded by the number of columns
}

func (rv *reverter) add(ch *custexport.FieldChange) error {
	if ch.GUID != rv.guid && rv.guid != "" {
		if err := rv.flush(rv.ctx); err != nil {
			return err
		}
	}
	rv.guid, rv.line = ch.GUID, ch.Line
	rv.entries = append(rv.entries, *ch)
	return nil
}

// skip lists an entry left alone.
func (rv *reverter) skip(ch *custexport.FieldChange, key, reason string, args ...string) {
	rv.rec.Skipped++
	if len(rv.rec.SkippedRows) < custexport.MaxReportedSkips {
		rv.rec.SkippedRows = append(rv.rec.SkippedRows, custexport.SkippedRow{Line: ch.Line, Column: ch.Column,
			Key: key, Args: append([]string{ch.GUID}, args...), Reason: reason})
	}
}

// flush undoes the gathered customer's entries.
func (rv *reverter) flush(ctx context.Context) error {
	entries := rv.entries
	rv.entries, rv.guid = rv.entries[:0], ""
	if len(entries) == 0 {
		return nil
	}
	rv.rec.Rows++
	guid := entries[0].GUID
	stored, _, err := rv.tx.Customer(ctx, guid)
	if err != nil {
		return err
	}
	if stored == nil {
		for i := range entries {
			rv.skip(&entries[i], "revert_gone", fmt.Sprintf("customer %s no longer exists", guid))
		}
		return nil
	}
	if len(entries) == 1 && entries[0].Kind == custexport.ChangeCreated {
		e := &entries[0]
		if custexport.RecordDigest(stored) != e.Digest {
			rv.skip(e, "revert_created_changed", fmt.Sprintf("customer %s, which the import created, was changed since: kept", guid))
			return nil
		}
		if err := rv.changes.record(ctx, rv.tx, &custexport.FieldChange{Line: e.Line, GUID: guid, Kind: custexport.ChangeRemoved}); err != nil {
			return err
		}
		rv.rec.Removed++
		return rv.tx.Delete(ctx, guid)
	}
	c := *stored
	c.Delivery = append([]custexport.Address(nil), stored.Delivery...)
	loc := rv.changes.loc
	changed := false
	for i := range entries {
		e := &entries[i]
		col, ok := custexport.ColumnByTag(e.Column)
		if e.Kind != custexport.ChangeField || !ok {
			continue
		}
		if now := custexport.ChangeValue(stored, col, loc); now != e.New && !sameInstant(stored, col, e.New) {
			rv.skip(e, "revert_changed_since", fmt.Sprintf("changed since the import (now %q): kept", now), now)
			continue
		}
		if col == custexport.ColEmail && e.Old != "" {
			owner, err := rv.tx.EmailOwner(ctx, e.Old)
			if err != nil {
				return err
			}
			if owner != "" && owner != guid {
				rv.skip(e, "revert_email_taken", fmt.Sprintf("e-mail %s now belongs to customer %s: kept", e.Old, owner), e.Old, owner)
				continue
			}
		}
		if err := custexport.SetChangeValue(&c, col, e.Old); err != nil {
			return err
		}
		changed = true
	}
	if !changed {
		rv.rec.Unchanged++
		return nil
	}
	c.ChangeTime = rv.now // a real change, stamped as every write path stamps it
	if err := rv.changes.updated(ctx, rv.tx, rv.line, stored, &c); err != nil {
		return err
	}
	rv.rec.Updated++
	return rv.tx.Update(ctx, &c)
}

// sameInstant reports whether a recorded date-time is the customer's, whatever the time zone
// it was written in.
func sameInstant(c *custexport.Customer, col custexport.Column, v string) bool {
	if col.Kind() != custexport.KindDateTime {
		return false
	}
	var probe custexport.Customer
	if custexport.SetChangeValue(&probe, col, v) != nil {
		return false
	}
	return probe.RegistrationDate.Equal(c.RegistrationDate)
}
