package csvimport

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/custexport/custexport"
)

// The change list of an import (SPEC section 10, preview and undo). An applied import writes
// it through its transaction (ImportTx.RecordChange); a dry run, whose transaction keeps
// nothing, writes it to a spool file instead (bounded by disk, not memory), which RecordImport
// then stores with the log entry.

// changes records an import's changes, to its transaction or to a spool.
type changes struct {
	loc   *time.Location
	spool *spool // a dry run's; nil when the transaction keeps them
}

// record adds one entry.
func (c *changes) record(ctx context.Context, tx custexport.ImportTx, ch *custexport.FieldChange) error {
	if c.spool != nil {
		return c.spool.add(ch)
	}
	return tx.RecordChange(ctx, ch)
}

// updated records the fields that turn stored into c.
func (c *changes) updated(ctx context.Context, tx custexport.ImportTx, line int, stored, updated *custexport.Customer) error {
	return custexport.FieldChanges(stored, updated, c.loc, func(col custexport.Column, o, n string) error {
		return c.record(ctx, tx, &custexport.FieldChange{Line: line, GUID: updated.GUID, Kind: custexport.ChangeField, Column: col.Tag(), Old: o, New: n})
	})
}

// created records a new customer.
func (c *changes) created(ctx context.Context, tx custexport.ImportTx, line int, created *custexport.Customer) error {
	return c.record(ctx, tx, &custexport.FieldChange{Line: line, GUID: created.GUID, Kind: custexport.ChangeCreated, Digest: custexport.RecordDigest(created)})
}

// spool is a change list in a temporary file, unlinked at once: it goes when it is closed, or
// with the process.
type spool struct {
	f   *os.File
	w   *bufio.Writer
	n   int64
	buf []byte
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "custexport-changes-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return &spool{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// add appends ch: its line, then kind, guid, column, old, new and digest, each with its length.
func (s *spool) add(ch *custexport.FieldChange) error {
	s.n++
	b := binary.AppendUvarint(s.buf[:0], uint64(ch.Line))
	for _, v := range []string{string(ch.Kind), ch.GUID, ch.Column, ch.Old, ch.New, ch.Digest} {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	s.buf = b[:0]
	_, err := s.w.Write(b)
	return err
}

// EachChange reads the spool back once, in order, and closes it (custexport.ChangeSource).
func (s *spool) EachChange(fn func(*custexport.FieldChange) error) error {
	defer s.Close()
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(s.f, 64<<10)
	var ch custexport.FieldChange
	for seq := int64(1); seq <= s.n; seq++ {
		line, err := binary.ReadUvarint(r)
		if err != nil {
			return spoolError(err)
		}
		var vals [6]string
		for i := range vals {
			n, err := binary.ReadUvarint(r)
			if err != nil {
				return spoolError(err)
			}
			if n > 1<<24 {
				return errors.New("the change spool is damaged")
			}
			b := make([]byte, n)
			if _, err := io.ReadFull(r, b); err != nil {
				return spoolError(err)
			}
			vals[i] = string(b)
		}
		ch = custexport.FieldChange{Seq: seq, Line: int(line), Kind: custexport.ChangeKind(vals[0]), GUID: vals[1],
			Column: vals[2], Old: vals[3], New: vals[4], Digest: vals[5]}
		if err := fn(&ch); err != nil {
			return err
		}
	}
	return nil
}

func spoolError(err error) error {
	return fmt.Errorf("reading the change spool: %w", err)
}

// Close removes the spool.
func (s *spool) Close() error { return s.f.Close() }

// newChanges starts the change list of an import with opts.
func newChanges(opts Options) (*changes, error) {
	c := &changes{loc: opts.Location}
	if opts.DryRun {
		s, err := newSpool()
		if err != nil {
			return nil, fmt.Errorf("a dry run's change list: %w", err)
		}
		c.spool = s
	}
	return c, nil
}

// finish ends the import's transaction: an applied import writes its log entry in it, with the
// change list.
func (c *changes) finish(ctx context.Context, tx custexport.ImportTx, rec *custexport.ImportRecord) error {
	if c.spool != nil {
		return nil
	}
	return tx.LogImport(ctx, rec)
}

// done hands the list to the record once the transaction has ended with err: a dry run's spool
// to be stored with the log entry; nothing, and no log entry, when the transaction was rolled
// back.
func (c *changes) done(rec *custexport.ImportRecord, err error) {
	switch {
	case err != nil:
		rec.ID, rec.Changes, rec.Pending = 0, 0, nil
		if c.spool != nil {
			c.spool.Close()
		}
	case c.spool != nil:
		rec.Changes, rec.Pending = c.spool.n, c.spool
	}
}
