package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
)

// The export query's columns: first the integer ones, then the text ones in the order
// textField lists them. Keeping the two lists side by side is what ties the SQL to the scan.
const (
	exportColumns = `registration_date, price_ratio, disabled_orders, change_time,
    guid, email,
    billing_full_name, billing_company, billing_street, billing_house_number, billing_city,
    billing_district, billing_additional, billing_zip, billing_country_code,
    company_id, vat_id, tax_id, phone,
    delivery_full_name, delivery_company, delivery_street, delivery_house_number, delivery_city,
    delivery_district, delivery_additional, delivery_zip, delivery_country_code,
    customer_group, price_list, birth_date, remark`
	exportWhere = ` FROM customer WHERE registration_date >= ?1 AND registration_date < ?2`
	exportOrder = ` ORDER BY registration_date, guid`

	exportSQL            = `SELECT ` + exportColumns + exportWhere + exportOrder
	exportWithExtrasSQL  = `SELECT ` + exportColumns + `, delivery_extra` + exportWhere + exportOrder
	exportCountSQL       = `SELECT count(*)` + exportWhere
	intColumns           = 4
	textColumns          = 28
	rowsPerBatch         = 512
	batchesInFlight      = 4
	extraDeliveryTextIdx = textColumns // delivery_extra, when selected
)

// textField says where each text column of the export query goes.
var textField = [textColumns]func(c *custexport.Customer, d *custexport.Address) *string{
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.GUID },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Email },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Billing.FullName },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Billing.Company },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Billing.Street },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Billing.HouseNumber },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Billing.City },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Billing.District },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Billing.Additional },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Billing.Zip },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Billing.CountryCode },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.CompanyID },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.VatID },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.TaxID },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Phone },
	func(_ *custexport.Customer, d *custexport.Address) *string { return &d.FullName },
	func(_ *custexport.Customer, d *custexport.Address) *string { return &d.Company },
	func(_ *custexport.Customer, d *custexport.Address) *string { return &d.Street },
	func(_ *custexport.Customer, d *custexport.Address) *string { return &d.HouseNumber },
	func(_ *custexport.Customer, d *custexport.Address) *string { return &d.City },
	func(_ *custexport.Customer, d *custexport.Address) *string { return &d.District },
	func(_ *custexport.Customer, d *custexport.Address) *string { return &d.Additional },
	func(_ *custexport.Customer, d *custexport.Address) *string { return &d.Zip },
	func(_ *custexport.Customer, d *custexport.Address) *string { return &d.CountryCode },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.CustomerGroup },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.PriceList },
	nil, // birth_date is parsed, not copied
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.Remark },
}

const birthDateTextIdx = 26

// OpenSnapshot starts a consistent read of the customers in q.Range on a connection of its own:
// a deferred read transaction whose snapshot is fixed by the count query, so the count and every
// row that follows see the same database state while imports commit beside it.
func (db *DB) OpenSnapshot(ctx context.Context, q custexport.SnapshotQuery) (custexport.CustomerSnapshot, error) {
	conn, err := sqlite3.OpenFlags(db.path, sqlite3.OPEN_READONLY)
	if err != nil {
		return nil, fmt.Errorf("open export connection: %w", err)
	}
	s := &snapshot{conn: conn, ctx: ctx, query: q}
	if err := s.begin(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

type snapshot struct {
	conn  *sqlite3.Conn
	ctx   context.Context
	query custexport.SnapshotQuery
	total int64
	inTx  bool
}

func rangeBounds(r custexport.Range) (int64, int64) {
	from, until := int64(math.MinInt64), int64(math.MaxInt64)
	if !r.From.IsZero() {
		from = r.From.Unix()
	}
	if !r.Until.IsZero() {
		until = r.Until.Unix()
	}
	return from, until
}

func (s *snapshot) begin() error {
	if err := s.conn.BusyTimeout(busyTimeout); err != nil {
		return err
	}
	if err := s.conn.Exec(`BEGIN DEFERRED`); err != nil {
		return describeOpenError(err)
	}
	s.inTx = true
	stmt, _, err := s.conn.Prepare(exportCountSQL)
	if err != nil {
		return describeOpenError(err)
	}
	defer stmt.Close()
	from, until := rangeBounds(s.query.Range)
	stmt.BindInt64(1, from)
	stmt.BindInt64(2, until)
	if !stmt.Step() {
		return fmt.Errorf("count customers: %w", stmt.Err())
	}
	s.total = stmt.ColumnInt64(0)
	return nil
}

func (s *snapshot) Total() int64 { return s.total }

func (s *snapshot) Close() error {
	if s.conn == nil {
		return nil
	}
	if s.inTx {
		s.conn.Exec(`ROLLBACK`)
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// batch carries up to rowsPerBatch rows from the scanning goroutine to the caller's. Text
// values are copied into one arena; the strings made from it stay valid until the batch goes
// back to the scanner, which is why a *Customer and its strings are valid only during the
// callback.
type batch struct {
	arena []byte
	ends  []uint32 // end offset in arena of each text value, row after row
	ints  []int64  // intColumns per row
	rows  int
}

// Each reads the rows on a goroutine of its own while fn runs on the caller's: stepping SQLite
// and encoding a file cost about the same, and on two cores the export then takes the time of
// the slower of the two instead of their sum.
func (s *snapshot) Each(fn func(*custexport.Customer) error) error {
	if s.conn == nil {
		return errSnapshotClosed
	}
	sqlText, texts := exportSQL, textColumns
	if s.query.AllDelivery {
		sqlText, texts = exportWithExtrasSQL, textColumns+1
	}
	stmt, _, err := s.conn.Prepare(sqlText)
	if err != nil {
		return err
	}
	defer stmt.Close()
	from, until := rangeBounds(s.query.Range)
	stmt.BindInt64(1, from)
	stmt.BindInt64(2, until)

	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	old := s.conn.SetInterrupt(ctx)
	defer s.conn.SetInterrupt(old)

	// Every batch is in exactly one of: free, batches, or the hands of one goroutine, so
	// neither channel send can block once both goroutines have stopped.
	free := make(chan *batch, batchesInFlight+1)
	for range batchesInFlight + 1 {
		free <- &batch{
			arena: make([]byte, 0, 128<<10),
			ends:  make([]uint32, 0, rowsPerBatch*texts),
			ints:  make([]int64, 0, rowsPerBatch*intColumns),
		}
	}
	batches := make(chan *batch, batchesInFlight)
	scanErr := make(chan error, 1)
	go func() {
		defer close(batches)
		scanErr <- scanRows(ctx, stmt, texts, free, batches)
	}()

	var c custexport.Customer
	var consumeErr error
	for b := range batches {
		if consumeErr == nil { // after an error, only drain so the scanner can finish
			if err := consumeBatch(b, texts, &c, fn); err != nil {
				consumeErr = err
				cancel()
			}
		}
		free <- b
	}
	err = <-scanErr
	if consumeErr != nil {
		return consumeErr
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// scanRows fills batches taken from free and sends them to out. The batches circulate between
// the two goroutines, so a whole export allocates a handful of them instead of one per 512 rows:
// without the recycling the garbage collector ran every few megabytes and cost a tenth of the
// export's time.
func scanRows(ctx context.Context, stmt *sqlite3.Stmt, texts int, free <-chan *batch, out chan<- *batch) error {
	for {
		var b *batch
		select {
		case b = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		b.arena, b.ends, b.ints, b.rows = b.arena[:0], b.ends[:0], b.ints[:0], 0
		for b.rows < rowsPerBatch && stmt.Step() {
			for i := 0; i < intColumns; i++ {
				b.ints = append(b.ints, stmt.ColumnInt64(i))
			}
			for i := 0; i < texts; i++ {
				b.arena = append(b.arena, stmt.ColumnRawText(intColumns+i)...)
				b.ends = append(b.ends, uint32(len(b.arena)))
			}
			b.rows++
		}
		if err := stmt.Err(); err != nil {
			return err
		}
		if b.rows > 0 {
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if b.rows < rowsPerBatch {
			return nil
		}
	}
}

func consumeBatch(b *batch, texts int, c *custexport.Customer, fn func(*custexport.Customer) error) error {
	var all string
	if len(b.arena) > 0 {
		all = unsafe.String(&b.arena[0], len(b.arena))
	}
	var start uint32
	for r := 0; r < b.rows; r++ {
		ints := b.ints[r*intColumns : (r+1)*intColumns]
		ends := b.ends[r*texts : (r+1)*texts]
		delivery := c.Delivery[:0]
		*c = custexport.Customer{
			RegistrationDate: time.Unix(ints[0], 0),
			PriceRatio:       custexport.PriceRatio(ints[1]),
			DisabledOrders:   ints[2] != 0,
			ChangeTime:       time.Unix(ints[3], 0),
		}
		var d custexport.Address
		for i := 0; i < textColumns; i++ {
			v := all[start:ends[i]]
			start = ends[i]
			if i == birthDateTextIdx {
				if v != "" {
					date, err := custexport.ParseDate(v)
					if err != nil {
						return fmt.Errorf("customer %s: stored birth date %q: %w", c.GUID, v, err)
					}
					c.BirthDate = date
				}
				continue
			}
			*textField[i](c, &d) = v
		}
		if !d.IsZero() {
			delivery = append(delivery, d)
		}
		if texts > textColumns {
			extra := all[start:ends[extraDeliveryTextIdx]]
			start = ends[extraDeliveryTextIdx]
			var err error
			if delivery, err = appendExtraDelivery(delivery, extra); err != nil {
				return fmt.Errorf("customer %s: %w", c.GUID, err)
			}
		}
		c.Delivery = delivery
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// errSnapshotClosed is returned when Each is called after Close.
var errSnapshotClosed = errors.New("snapshot is closed")

var _ custexport.CustomerStore = (*DB)(nil)
