package sqlite

import (
	"context"
	"math"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
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

const (
	// streamSQL reads the stored customers after a position in export order: id first (the
	// duplicate check's key), then the columns of the export query.
	streamSQL = `SELECT id, ` + exportColumns + ` FROM customer
WHERE (registration_date, guid) > (?1, ?2) ORDER BY registration_date, guid`
	streamInts = 1 + intColumns
	// seekAfterLookups: the stream restarts further on (which reads a few batches ahead) at
	// most once per this many lookups by guid, unless the last restart paid off. A file in
	// random order then costs a few per cent more than lookups alone, not a restart per row.
	seekAfterLookups = 1024
	seekPaidOff      = 16
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

	cur      *batch // the batch holding the head, nil when none is at hand
	row      int    // the head's row in cur
	textAt   uint32 // offset of the head's first text in cur.arena
	ended    bool   // the stream has no more rows
	disabled bool   // the stream failed; lookups carry on alone

	hitsSinceSeek, lookupsSinceSeek int
	hits                            int // rows matched at the head, for the tests

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
	s.hitsSinceSeek = seekPaidOff // the first jump ahead (a filtered export's file) is free
	s.start(math.MinInt64, "")
	return s, nil
}

// start runs the producer from the first row after (date, guid).
func (s *storedStream) start(date int64, guid string) {
	s.stmt.Reset()
	s.stmt.BindInt64(1, date)
	s.stmt.BindText(2, guid)
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.producing, s.ended = cancel, true, false
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

// head makes sure a row is at the head; false at the end of the stream.
func (s *storedStream) head() bool {
	if s.disabled || s.ended {
		return false
	}
	if s.cur != nil && s.row < s.cur.rows {
		return true
	}
	s.release()
	b, ok := <-s.batches
	if !ok {
		s.ended = true
		s.producing = false
		if err := <-s.scanErr; err != nil {
			s.disabled = true // lookups by guid still answer every row
		}
		return false
	}
	s.cur, s.row, s.textAt = b, 0, 0
	return true
}

func (s *storedStream) headKey() (int64, []byte) {
	start := s.textAt
	return s.cur.ints[s.row*streamInts+1], s.cur.arena[start:s.cur.ends[s.row*textColumns]]
}

// advance moves the head to the next row.
func (s *storedStream) advance() {
	s.textAt = s.cur.ends[(s.row+1)*textColumns-1]
	s.row++
}

// take returns the head as a customer, with its id, if its guid is guid, and moves on.
func (s *storedStream) take(guid string) (*custexport.Customer, int64, bool) {
	if !s.head() {
		return nil, 0, false
	}
	if _, g := s.headKey(); string(g) != guid {
		return nil, 0, false
	}
	ints := s.cur.ints[s.row*streamInts : (s.row+1)*streamInts]
	// One string holds the row's texts: a single allocation, and the customer stays valid
	// after the batch goes back to the producer.
	end := s.cur.ends[(s.row+1)*textColumns-1]
	all := string(s.cur.arena[s.textAt:end])
	c := &s.taken
	*c = custexport.Customer{
		RegistrationDate: time.Unix(ints[1], 0).UTC(),
		PriceRatio:       custexport.PriceRatio(ints[2]),
		DisabledOrders:   ints[3] != 0,
		ChangeTime:       time.Unix(ints[4], 0).UTC(),
	}
	var d custexport.Address
	birth := setTexts(c, &d, all, s.textAt, s.textAt, s.cur.ends[s.row*textColumns:(s.row+1)*textColumns])
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
	s.advance()
	s.hitsSinceSeek++
	s.hits++
	return c, id, true
}

// passed tells the stream that a lookup found the customer at (date, guid): when that is ahead
// of the head, the file skipped some customers (a filtered export, rows deleted from the file)
// and the stream follows. Within the batch at hand that is free; further on it costs reading,
// so it is done only while following pays off (see seekPaidOff): a file in random order must
// not make the stream read ahead for every row.
func (s *storedStream) passed(date int64, guid string) {
	s.lookupsSinceSeek++
	if s.disabled {
		return
	}
	payingOff := s.hitsSinceSeek >= seekPaidOff || s.lookupsSinceSeek >= seekAfterLookups
	for skipped := 0; s.head(); skipped++ {
		if d, g := s.headKey(); d > date || d == date && string(g) > guid {
			return // the head is after it already
		}
		lastInBatch := s.row == s.cur.rows-1
		if lastInBatch && !payingOff || skipped == batchesInFlight*rowsPerBatch {
			break
		}
		s.advance()
	}
	if !payingOff {
		return
	}
	// Far ahead, or after the end: start again just after the customer found.
	if err := s.stop(); err != nil {
		s.disabled = true
		return
	}
	s.hitsSinceSeek, s.lookupsSinceSeek = 0, 0
	s.start(date, guid)
}

func (s *storedStream) close() {
	s.stop()
	s.stmt.Close()
	s.conn.Exec(`ROLLBACK`)
	s.conn.Close()
}
