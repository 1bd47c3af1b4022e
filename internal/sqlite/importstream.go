package sqlite

import (
	"context"
	"math"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/importlookup"
)

// An import's file is most often an export of the shop: its rows come in export order. Looking
// each row's customer up by guid cost a B-tree descent per row (a million-row round trip spent
// most of its time there), while reading the customers in export order costs a step per row, on
// a goroutine of its own. So the import reads the stored customers as a stream in export order
// beside the file and matches them as they come; a row the stream's head does not match falls
// back to the lookup by guid, which also tells where the stream should go on.
//
// The stream reads on its own connection, pinned while the import holds the write lock, so it
// sees the database as the import found it. A row it returns is one the import has not written
// yet: the import asks for each guid once (a second time is a duplicate row, refused before any
// write), and writes a customer only after asking for it.

// streamSQL reads the stored customers after a position in export order: id first (the
// duplicate check's key), then the columns of the export query.
const (
	streamSQL = `SELECT id, ` + exportColumns + ` FROM customer
WHERE (registration_date, guid) > (?1, ?2) ORDER BY registration_date, guid`
	streamInts = 1 + intColumns
)

type storedStream struct {
	conn *sqlite3.Conn
	stmt *sqlite3.Stmt

	// The producer goroutine and its channels; producing is false once it has stopped.
	cancel    context.CancelFunc
	free      chan *batch
	batches   chan *batch
	scanErr   chan error
	producing bool

	cur    *batch // the batch holding the head, nil when none is at hand
	cursor *importlookup.Cursor

	// The customer take returns, reused: it is valid until the next call, which the import's
	// copy of it allows, and saves two allocations a row.
	taken         custexport.Customer
	takenDelivery [1]custexport.Address
}

// openStoredStream opens the stream's connection and pins it; the caller holds the write lock,
// so the snapshot is the one the import's transaction starts from.
func openStoredStream(path string) (*storedStream, error) {
	conn, err := openReader(path)
	if err != nil {
		return nil, err
	}
	if err := pin(conn); err != nil {
		conn.Close()
		return nil, err
	}
	stmt, _, err := conn.Prepare(streamSQL)
	if err != nil {
		conn.Exec(`ROLLBACK`)
		conn.Close()
		return nil, err
	}
	s := &storedStream{conn: conn, stmt: stmt, free: newFreeList(textColumns)}
	s.cursor = importlookup.New(s)
	s.start(math.MinInt64, "")
	return s, nil
}

// start runs the producer from the first row after (date, guid).
func (s *storedStream) start(date int64, guid string) {
	s.stmt.Reset()
	s.stmt.BindInt64(1, date)
	s.stmt.BindText(2, guid)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.producing = cancel, true
	s.batches = make(chan *batch, batchesInFlight)
	s.scanErr = make(chan error, 1)
	go func(stmt *sqlite3.Stmt, batches chan<- *batch, scanErr chan<- error) {
		defer close(batches)
		scanErr <- s.produce(ctx, stmt, batches)
	}(s.stmt, s.batches, s.scanErr)
}

func (s *storedStream) produce(ctx context.Context, stmt *sqlite3.Stmt, out chan<- *batch) error {
	for {
		b, err := receive(ctx, s.free)
		if err != nil {
			return nil // stopped
		}
		full, err := fillBatch(stmt, streamInts, textColumns, b, rowsPerBatch)
		if err != nil {
			s.free <- b
			return err
		}
		if b.rows == 0 {
			s.free <- b
			return nil
		}
		if err := send(ctx, out, b); err != nil {
			s.free <- b
			return nil
		}
		if !full {
			return nil
		}
	}
}

// stop ends the producer and takes every batch back.
func (s *storedStream) stop() error {
	if !s.producing {
		return nil
	}
	s.cancel()
	s.release()
	for b := range s.batches {
		s.free <- b
	}
	s.producing = false
	return <-s.scanErr
}

// release gives the head's batch back to the producer.
func (s *storedStream) release() {
	if s.cur != nil {
		s.free <- s.cur
		s.cur = nil
	}
}

// Next gives the head's batch back and receives the next one (importlookup.Batches).
func (s *storedStream) Next() (int, error) {
	s.release()
	b, ok := <-s.batches
	if !ok {
		s.producing = false
		return 0, <-s.scanErr
	}
	s.cur = b
	return b.rows, nil
}

// Key is row's place in export order (importlookup.Batches).
func (s *storedStream) Key(row int) (int64, []byte) {
	return s.cur.ints[row*streamInts+1], s.cur.arena[s.textStart(row):s.cur.ends[row*textColumns]]
}

// textStart is the offset of row's first text in cur.arena.
func (s *storedStream) textStart(row int) uint32 {
	if row == 0 {
		return 0
	}
	return s.cur.ends[row*textColumns-1]
}

// Restart reads again from just after (date, guid) (importlookup.Batches).
func (s *storedStream) Restart(date int64, guid string) error {
	if err := s.stop(); err != nil {
		return err
	}
	s.start(date, guid)
	return nil
}

// take returns the head as a customer, with its id, if its guid is guid, and moves on.
func (s *storedStream) take(guid string) (*custexport.Customer, int64, bool) {
	row, ok := s.cursor.Match(guid)
	if !ok {
		return nil, 0, false
	}
	ints := s.cur.ints[row*streamInts : (row+1)*streamInts]
	// One string holds the row's texts: a single allocation, and the customer stays valid
	// after the batch goes back to the producer.
	start, end := s.textStart(row), s.cur.ends[(row+1)*textColumns-1]
	all := string(s.cur.arena[start:end])
	c := &s.taken
	*c = custexport.Customer{
		RegistrationDate: time.Unix(ints[1], 0).UTC(),
		PriceRatio:       custexport.PriceRatio(ints[2]),
		DisabledOrders:   ints[3] != 0,
		ChangeTime:       time.Unix(ints[4], 0).UTC(),
	}
	var d custexport.Address
	birth := setTexts(c, &d, all, start, start, s.cur.ends[row*textColumns:(row+1)*textColumns])
	if !d.IsZero() {
		s.takenDelivery[0] = d
		c.Delivery = s.takenDelivery[:]
	}
	if birth != "" {
		date, err := custexport.ParseDate(birth)
		if err != nil {
			return nil, 0, false // left to the lookup, which reports it
		}
		c.BirthDate = date
	}
	id := ints[0]
	s.cursor.Advance()
	return c, id, true
}

func (s *storedStream) close() {
	s.stop()
	s.stmt.Close()
	s.conn.Exec(`ROLLBACK`)
	s.conn.Close()
}
