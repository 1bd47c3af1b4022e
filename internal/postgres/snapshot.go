package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sqlparam"
	"github.com/custexport/custexport/internal/storerow"
)

const (
	exportWhere    = ` FROM customer WHERE registration_date >= $1 AND registration_date < $2`
	exportOrder    = ` ORDER BY registration_date, guid`
	exportCountSQL = `SELECT count(*)` + exportWhere
)

var (
	// exportColumns reads disabled_orders as a number so that the four leading columns share
	// one binary decoding.
	exportColumns       = strings.Replace(storerow.ExportColumns, "disabled_orders", "disabled_orders::int::bigint", 1)
	exportSQL           = `SELECT ` + exportColumns + exportWhere + exportOrder
	exportWithExtrasSQL = `SELECT ` + exportColumns + `, delivery_extra` + exportWhere + exportOrder
)

// exportResultFormats asks for the integers in binary (8 bytes each, no parsing) and the texts
// as text, which is their UTF-8 bytes as stored.
var exportResultFormats = func() []int16 {
	f := make([]int16, storerow.IntColumns+storerow.TextColumns+1)
	for i := range storerow.IntColumns {
		f[i] = pgx.BinaryFormatCode
	}
	return f
}()

// OpenSnapshot starts a REPEATABLE READ, READ ONLY transaction on its own connection (from the
// read replica when one is configured): the count and every row see the same database state
// while imports commit beside it.
func (db *DB) OpenSnapshot(ctx context.Context, q custexport.SnapshotQuery) (custexport.CustomerSnapshot, error) {
	conn, err := acquireExportConn(ctx, db.read)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		conn.Release()
		return nil, fmt.Errorf("export transaction: %w", err)
	}
	s := &snapshot{ctx: ctx, query: q, conn: conn, tx: tx}
	s.from, s.until = sqlparam.RegistrationBounds(q.Range)
	if err := tx.QueryRow(ctx, exportCountSQL, s.from, s.until).Scan(&s.total); err != nil {
		s.Close()
		return nil, fmt.Errorf("count customers: %w", err)
	}
	return s, nil
}

// acquireExportConn waits a while for one of the export connections; when every one serves a
// running export, the caller is told to come back rather than queued behind downloads that may
// last minutes.
func acquireExportConn(ctx context.Context, pool *pgxpool.Pool) (*pgxpool.Conn, error) {
	waitCtx, cancel := context.WithTimeout(ctx, exportConnWait)
	defer cancel()
	conn, err := pool.Acquire(waitCtx)
	if err != nil && ctx.Err() == nil && waitCtx.Err() != nil {
		return nil, custexport.Errorf(custexport.CodeBusy, "this server is running as many exports as it can (%d); try again in a minute", exportConns)
	}
	if err != nil {
		return nil, fmt.Errorf("export connection: %w", err)
	}
	return conn, nil
}

type snapshot struct {
	ctx         context.Context
	query       custexport.SnapshotQuery
	conn        *pgxpool.Conn
	tx          pgx.Tx
	from, until int64
	total       int64
}

func (s *snapshot) Total() int64 { return s.total }

func (s *snapshot) Close() error {
	if s.conn == nil {
		return nil
	}
	// A read-only transaction has nothing to undo; a connection broken mid-read is dropped by
	// the pool on release.
	s.tx.Rollback(context.WithoutCancel(s.ctx))
	s.conn.Release()
	s.conn = nil
	return nil
}

var errSnapshotClosed = errors.New("snapshot is closed")

// Each streams the rows through pgconn's result reader: each row's values are slices of the
// connection's read buffer, handed to fn as strings without a copy. They stay valid until the
// next row is read, which is after fn returns, as the CustomerSnapshot contract allows.
func (s *snapshot) Each(fn func(*custexport.Customer) error) error {
	if s.conn == nil {
		return errSnapshotClosed
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	sqlText, columns := exportSQL, storerow.IntColumns+storerow.TextColumns
	if s.query.AllDelivery {
		sqlText, columns = exportWithExtrasSQL, columns+1
	}
	params := [][]byte{
		binary.BigEndian.AppendUint64(nil, uint64(s.from)),
		binary.BigEndian.AppendUint64(nil, uint64(s.until)),
	}
	rr := s.conn.Conn().PgConn().ExecParams(ctx, sqlText, params,
		[]uint32{pgtype.Int8OID, pgtype.Int8OID}, []int16{pgx.BinaryFormatCode, pgx.BinaryFormatCode},
		exportResultFormats[:columns])
	var c custexport.Customer
	var fnErr error
	for rr.NextRow() {
		if fnErr = decodeRow(&c, rr.Values()); fnErr == nil {
			fnErr = fn(&c)
		}
		if fnErr != nil {
			// Cancelling stops the server's query at once; reading out the rest of a million
			// rows first would not. The connection is then broken and the pool drops it.
			cancel()
			break
		}
	}
	_, err := rr.Close()
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("reading customers: %w", err)
	}
	return s.ctx.Err()
}

// decodeRow sets c from one row of exportColumns (and delivery_extra when present), reusing c's
// delivery slice.
func decodeRow(c *custexport.Customer, vals [][]byte) error {
	if len(vals) < storerow.IntColumns+storerow.TextColumns {
		return fmt.Errorf("export query returned %d columns", len(vals))
	}
	var ints [storerow.IntColumns]int64
	for i := range ints {
		if len(vals[i]) != 8 {
			return fmt.Errorf("export query: column %d is not a bigint", i)
		}
		ints[i] = int64(binary.BigEndian.Uint64(vals[i]))
	}
	delivery := storerow.StartCustomer(c, ints[:])
	var d custexport.Address
	var birth, extra string
	texts := vals[storerow.IntColumns:]
	for i := range storerow.TextColumns {
		v := bytesString(texts[i])
		if i == storerow.BirthDateText {
			birth = v
			continue
		}
		*storerow.TextField[i](c, &d) = v
	}
	if len(texts) > storerow.TextColumns {
		extra = bytesString(texts[storerow.TextColumns])
	}
	return storerow.FinishCustomer(c, delivery, &d, birth, extra)
}

// bytesString views b as a string without copying; the caller keeps b unchanged while the string
// is in use.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
