package sqlite

import (
	"context"
	"math"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlparam"
)

// Reading a row costs the export more than writing it (SQLite decodes every column, and each
// value crosses into Go), so large exports read with two connections at once. They must see
// the same snapshot, and the SQLite build does not offer sqlite3_snapshot_open; WAL gives the
// same guarantee another way: while one connection holds the write lock, no commit can land,
// so every read transaction pinned in that moment sees the same last commit. The lock is held
// only while three connections read one row each, a few milliseconds.
//
// The rows are cut into chunks of rowsPerBatch rows. A third connection walks the covering
// index (registration_date, guid), cheap because it never touches the table, and hands the
// bounds of chunk i to scanner i%2; the consumer takes chunk i from scanner i%2, so the file is
// written in order while memory stays bounded by the batches in flight.

const (
	// parallelMinRows: below this, opening two more connections costs more than it saves.
	parallelMinRows = 16 * rowsPerBatch
	// lockWait is how long an export waits for the write lock before reading with one
	// connection instead: an import holding it must not delay the export.
	lockWait = 100 * time.Millisecond

	chunkWhere              = ` FROM customer WHERE (registration_date, guid) >= (?1, ?2) AND (registration_date, guid) < (?3, ?4)`
	exportChunkSQL          = `SELECT ` + exportColumns + chunkWhere + exportOrder
	exportChunkWithExtraSQL = `SELECT ` + exportColumns + `, delivery_extra` + chunkWhere + exportOrder
	chunkKeysSQL            = `SELECT registration_date, guid` + exportWhere + exportOrder
)

// pinParallelReaders pins main and two new read connections to one snapshot and returns the
// new ones, or none (and main unpinned) when the write lock is not free within lockWait.
func pinParallelReaders(path string, main *sqlite3.Conn) ([]*sqlite3.Conn, error) {
	lock, err := sqlite3.Open(path)
	if err != nil {
		return nil, nil // e.g. a read-only file system: read with one connection
	}
	defer lock.Close()
	lock.BusyTimeout(lockWait)
	if err := lock.Exec(`BEGIN IMMEDIATE`); err != nil {
		return nil, nil
	}
	defer lock.Exec(`ROLLBACK`)

	var helpers []*sqlite3.Conn
	fail := func(err error) ([]*sqlite3.Conn, error) {
		for _, c := range helpers {
			c.Close()
		}
		return nil, err
	}
	for range 2 {
		c, err := openReader(path)
		if err != nil {
			return fail(err)
		}
		helpers = append(helpers, c)
	}
	for _, c := range append([]*sqlite3.Conn{main}, helpers...) {
		if err := pin(c); err != nil {
			return fail(err)
		}
	}
	return helpers, nil
}

// rowKey is a position in export order.
type rowKey struct {
	date int64
	guid string
}

// chunkBounds is the half-open key range [lo, hi) of one chunk.
type chunkBounds struct{ lo, hi rowKey }

func (s *snapshot) eachParallel(ctx context.Context, cancel context.CancelFunc, fn func(*custexport.Customer) error) error {
	texts := s.textCount()
	chunkSQL := exportChunkSQL
	if s.query.AllDelivery {
		chunkSQL = exportChunkWithExtraSQL
	}
	var (
		chunks [2]chan chunkBounds
		free   [2]chan *batch
		out    [2]chan *batch
	)
	for i := range 2 {
		chunks[i] = make(chan chunkBounds, batchesInFlight)
		free[i] = newFreeList(texts)
		out[i] = make(chan *batch, batchesInFlight)
	}
	errs := make(chan error, 3)
	go func() { errs <- s.walkChunks(ctx, chunks) }()
	for i := range 2 {
		go func() {
			defer close(out[i])
			errs <- scanChunks(ctx, s.conns[i], chunkSQL, texts, chunks[i], free[i], out[i])
		}()
	}

	var c custexport.Customer
	var consumeErr error
	for i := 0; ; i++ {
		b, ok := <-out[i%2]
		if !ok {
			break
		}
		if err := consumeBatch(b, texts, &c, fn); err != nil {
			consumeErr = err
			cancel()
			break
		}
		free[i%2] <- b
	}
	// After an error every goroutine still running is blocked on a channel or a step that the
	// cancelled context releases; the failed one has already reported.
	var scanErr error
	for range 3 {
		if err := <-errs; err != nil && scanErr == nil {
			scanErr = err
		}
		if scanErr != nil {
			cancel()
		}
	}
	return firstError(ctx, consumeErr, scanErr)
}

// walkChunks reads the keys in export order from the index alone and sends the bounds of chunk
// i to chunks[i%2]; it closes both channels when done.
func (s *snapshot) walkChunks(ctx context.Context, chunks [2]chan chunkBounds) error {
	defer close(chunks[0])
	defer close(chunks[1])
	stmt, err := s.prepareInRange(s.conns[2], chunkKeysSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	_, until := sqlparam.RegistrationBounds(s.query.Range)
	var lo rowKey
	n, i := 0, 0
	for stmt.Step() {
		if n%rowsPerBatch == 0 {
			k := rowKey{stmt.ColumnInt64(0), stmt.ColumnText(1)}
			if n > 0 {
				if err := send(ctx, chunks[i%2], chunkBounds{lo, k}); err != nil {
					return err
				}
				i++
			}
			lo = k
		}
		n++
	}
	if err := stmt.Err(); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	// Every guid sorts after "", so (until, "") ends the last chunk exactly at the range's end.
	last := rowKey{date: until}
	if until == math.MaxInt64 {
		last.guid = "\U0010FFFF"
	}
	return send(ctx, chunks[i%2], chunkBounds{lo, last})
}

// scanChunks reads each chunk it is handed into one batch.
func scanChunks(ctx context.Context, conn *sqlite3.Conn, chunkSQL string, texts int, chunks <-chan chunkBounds, free <-chan *batch, out chan<- *batch) error {
	stmt, _, err := conn.Prepare(chunkSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for ch := range chunks {
		if err := stmt.Reset(); err != nil {
			return err
		}
		stmt.BindInt64(1, ch.lo.date)
		stmt.BindText(2, ch.lo.guid)
		stmt.BindInt64(3, ch.hi.date)
		stmt.BindText(4, ch.hi.guid)
		b, err := receive(ctx, free)
		if err != nil {
			return err
		}
		// A chunk holds rowsPerBatch rows (the last one fewer); the limit only guards the batch.
		if _, err := fillBatch(stmt, intColumns, texts, b, math.MaxInt); err != nil {
			return err
		}
		if err := send(ctx, out, b); err != nil {
			return err
		}
	}
	return nil
}
