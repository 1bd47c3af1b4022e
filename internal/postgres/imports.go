package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/importlookup"
	"github.com/custexport/custexport/internal/storerow"
)

// An import runs in one transaction on one connection and holds the customer table in SHARE
// ROW EXCLUSIVE mode: exports (plain reads) go on beside it, another import or a seed waits
// for it. Rows are not written one by one: Insert and Update stage them, COPY moves them into a
// temporary table in batches, and at the end one merge applies them all. Until the merge, the
// customer table is as the import found it, so every lookup reads the stored values the file
// is compared with; the staging table answers for the file's own earlier rows (EmailOwner).
//
// Lookups by guid follow the file: a cursor reads the stored customers in export order, and an
// exported file comes in that order, so most rows match the cursor's head without a query of
// their own (see storedCursor).

const (
	// importLockWait is how long an import waits for another import (or a seed) to finish
	// before it is refused as busy.
	importLockWait = "10s"
	stageBatch     = 4096
)

var (
	// storedColumns: the export's columns, then id and delivery_extra.
	storedColumns   = exportColumns + `, id, delivery_extra`
	customerByGUID  = `SELECT ` + storedColumns + ` FROM customer WHERE guid = $1`
	storedCursorSQL = `DECLARE stored NO SCROLL CURSOR FOR SELECT ` + storedColumns +
		` FROM customer WHERE (registration_date, guid) > ($1, $2) ORDER BY registration_date, guid`
	storedFormats = func() []int16 {
		f := make([]int16, storerow.IntColumns+storerow.TextColumns+2)
		copy(f, exportResultFormats)
		f[storerow.IntColumns+storerow.TextColumns] = pgx.BinaryFormatCode // id
		return f
	}()
	stageColumns = append([]string{"seq", "is_new"}, customerColumns...)
)

// stageTableSQL makes the staging table: the customer table's columns (their types and the
// guid's collation, without its id and constraints) with the row's place in the file and
// whether it is new; and the table of keys seen in the file.
const stageTableSQL = `CREATE TEMP TABLE import_stage (LIKE customer) ON COMMIT DROP;
ALTER TABLE import_stage DROP COLUMN id, ADD COLUMN seq bigint NOT NULL, ADD COLUMN is_new boolean NOT NULL;
CREATE INDEX ON import_stage (email_key);
CREATE INDEX ON import_stage (guid);
CREATE TEMP TABLE import_seen (h1 bigint, h2 bigint, PRIMARY KEY (h1, h2)) ON COMMIT DROP`

// mergeSQL applies the staged rows: updates first, so that an e-mail an updated customer gave
// up is free for a new one. An update keeps delivery_extra unless Update replaced it (when it
// promoted a further address to the default one).
var mergeSQL = func() string {
	var set []string
	for _, col := range customerColumns {
		switch col {
		case "guid", "account_guid": // neither ever changes
		case "delivery_extra":
			set = append(set, `delivery_extra = CASE WHEN s.delivery_extra = '`+keepExtra+`' THEN c.delivery_extra ELSE s.delivery_extra END`)
		default:
			set = append(set, col+" = s."+col)
		}
	}
	cols := strings.Join(customerColumns, ", ")
	return `UPDATE customer c SET ` + strings.Join(set, ", ") + `
FROM import_stage s WHERE NOT s.is_new AND c.guid = s.guid;
INSERT INTO customer (` + cols + `) SELECT ` + cols + ` FROM import_stage WHERE is_new ORDER BY seq`
}()

// deliveryExtraValue is delivery_extra's place in customerValues.
var deliveryExtraValue = slices.Index(customerColumns, "delivery_extra")

// keepExtra in a staged update's delivery_extra means "leave the stored further addresses":
// '-' is never a stored value (” or a JSON array).
const keepExtra = "-"

// Import runs fn in one transaction and merges what it staged when fn succeeds and apply is set;
// otherwise (a dry run, an error, a lost connection) nothing is written.
func (db *DB) Import(ctx context.Context, apply bool, fn func(custexport.ImportTx) error) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := lockCustomers(ctx, tx, "SHARE ROW EXCLUSIVE"); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SET CONSTRAINTS customer_guid_unique, customer_email_unique DEFERRED;`+stageTableSQL); err != nil {
		return err
	}
	t := &importTx{tx: tx, conn: conn, seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(), now: db.clock.Now,
		pendingEmail: map[string]string{}, pendingGUID: map[string]struct{}{}}
	t.cursor = openStoredCursor(ctx, db, tx)
	defer t.cursor.close()
	if err := fn(t); err != nil {
		return err
	}
	if !apply {
		return nil
	}
	if err := t.flush(ctx); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, mergeSQL); err != nil {
		return describeWriteError(err)
	}
	if err := tx.Commit(ctx); err != nil {
		return describeWriteError(err)
	}
	return nil
}

const minDate = -1 << 63

type importTx struct {
	tx           pgx.Tx
	conn         *pgxpool.Conn
	cursor       *storedCursor
	seed1, seed2 maphash.Seed
	claimed      importlookup.ClaimSet
	seq          int64
	now          func() time.Time // the store's clock

	// Rows staged but not yet copied, with their e-mail keys and guids: EmailOwner looks at
	// them before the staging table.
	pending      [][]any
	pendingEmail map[string]string // email_key → guid
	pendingGUID  map[string]struct{}

	// The further delivery addresses of the customer Customer returned last: Update needs them
	// when the file empties the default delivery address.
	lastGUID, lastExtra string

	log changeLog // the change list (importchanges.go)
}

// Customer finds the stored customer with the guid: at the cursor's head when the file follows
// export order, else by its guid.
func (t *importTx) Customer(ctx context.Context, guid string) (*custexport.Customer, bool, error) {
	c, id, extra, err := t.cursor.take(guid)
	if err != nil {
		return nil, false, err
	}
	if c == nil {
		if c, id, extra, err = t.lookup(ctx, guid); err != nil {
			return nil, false, err
		}
		if c == nil {
			repeated, err := t.SeenInFile(ctx, "guid:"+guid)
			return nil, repeated, err
		}
		t.cursor.follow.Passed(c.RegistrationDate.Unix(), c.GUID)
	}
	t.lastGUID, t.lastExtra = c.GUID, extra
	repeated, err := t.claimed.ClaimCustomer(ctx, id, t)
	return c, repeated, err
}

// lookup reads the stored customer with the guid, with its id and further addresses.
func (t *importTx) lookup(ctx context.Context, guid string) (*custexport.Customer, int64, string, error) {
	rr := t.conn.Conn().PgConn().ExecParams(ctx, customerByGUID, [][]byte{[]byte(guid)}, nil, nil, storedFormats)
	var c *custexport.Customer
	var id int64
	var extra string
	for rr.NextRow() {
		c = &custexport.Customer{}
		var err error
		if id, extra, err = decodeStored(c, rr.Values(), true); err != nil {
			rr.Close()
			return nil, 0, "", err
		}
	}
	_, err := rr.Close()
	return c, id, extra, err
}

// decodeStored decodes a row of storedColumns into c and returns the id and delivery_extra. c's
// strings view vals; with own they are copies.
func decodeStored(c *custexport.Customer, vals [][]byte, own bool) (int64, string, error) {
	n := storerow.IntColumns + storerow.TextColumns
	if len(vals) != n+2 || len(vals[n]) != 8 {
		return 0, "", fmt.Errorf("customer query returned an unexpected row")
	}
	if err := decodeRow(c, vals[:n]); err != nil {
		return 0, "", err
	}
	if own {
		cloneStrings(c)
	}
	return int64(binary.BigEndian.Uint64(vals[n])), string(vals[n+1]), nil
}

// cloneStrings gives c strings of its own.
func cloneStrings(c *custexport.Customer) {
	for col := range custexport.Column(custexport.NumColumns) {
		if v := c.Text(col); v != "" {
			c.SetText(col, strings.Clone(v))
		}
	}
}

func (t *importTx) EmailOwner(ctx context.Context, email string) (string, error) {
	key := custexport.EmailKey(email)
	if g, ok := t.pendingEmail[key]; ok {
		return g, nil
	}
	// A staged row holding the e-mail owns it (each guid is staged once, with its final
	// e-mail); a stored customer holds it only while no staged row of its own changes it.
	var owner string
	err := t.tx.QueryRow(ctx, `SELECT guid FROM import_stage WHERE email_key = $1
		UNION ALL
		(SELECT c.guid FROM customer c WHERE c.email_key = $1
			AND NOT EXISTS (SELECT 1 FROM import_stage s WHERE s.guid = c.guid))
		LIMIT 1`, key).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if _, changed := t.pendingGUID[owner]; changed {
		return "", nil // a pending row of its own gave the e-mail up
	}
	return owner, nil
}

// AccountOwner looks at the stored customers only: the file's new account guids are the
// importer's SeenInFile keys, and an update never changes one.
func (t *importTx) AccountOwner(ctx context.Context, accountGUID string) (string, error) {
	var owner string
	err := t.tx.QueryRow(ctx, `SELECT guid FROM customer WHERE account_guid = $1`, accountGUID).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return owner, err
}

// Now is the store's clock (custexport.ImportTx).
func (t *importTx) Now() time.Time { return t.now() }

// Insert stages a new customer. Its guid is already recorded as seen: Customer found no stored
// customer with it and recorded it, so a later row with it is a duplicate.
func (t *importTx) Insert(ctx context.Context, c *custexport.Customer) error {
	return t.stage(ctx, c, true, "")
}

func (t *importTx) Update(ctx context.Context, c *custexport.Customer) error {
	extra := keepExtra
	if c.DefaultDelivery().IsZero() && t.lastGUID == c.GUID && t.lastExtra != "" {
		// The file emptied the default delivery address: the first further one takes its
		// place, as readers of every address already see it first (the SQLite store does the
		// same).
		further, err := storerow.AppendExtraDelivery(nil, t.lastExtra)
		if err != nil {
			return err
		}
		promoted := *c
		promoted.Delivery = further
		return t.stage(ctx, &promoted, false, "")
	}
	return t.stage(ctx, c, false, extra)
}

// stage queues c for the merge; extra, when set, replaces the encoded further addresses.
func (t *importTx) stage(ctx context.Context, c *custexport.Customer, isNew bool, extra string) error {
	row, err := customerValues(c)
	if err != nil {
		return err
	}
	// c's strings may view the cursor's batch, which the next one overwrites before the flush.
	for i, v := range row {
		if str, ok := v.(string); ok {
			row[i] = strings.Clone(str)
		}
	}
	if extra != "" {
		row[deliveryExtraValue] = extra
	}
	t.seq++
	t.pending = append(t.pending, append([]any{t.seq, isNew}, row...))
	t.pendingEmail[custexport.EmailKey(c.Email)] = c.GUID
	t.pendingGUID[c.GUID] = struct{}{}
	if len(t.pending) >= stageBatch {
		return t.flush(ctx)
	}
	return nil
}

// flush copies the pending rows into the staging table.
func (t *importTx) flush(ctx context.Context) error {
	if len(t.pending) == 0 {
		return nil
	}
	if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{"import_stage"}, stageColumns, pgx.CopyFromRows(t.pending)); err != nil {
		return err
	}
	t.pending = t.pending[:0]
	clear(t.pendingEmail)
	clear(t.pendingGUID)
	return nil
}

// SeenInFile keeps each key as a 128-bit hash (two seeded maphash values) in a temporary table,
// so that a file of any size is checked in flat memory.
func (t *importTx) SeenInFile(ctx context.Context, key string) (bool, error) {
	tag, err := t.tx.Exec(ctx, `INSERT INTO import_seen (h1, h2) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		int64(maphash.String(t.seed1, key)), int64(maphash.String(t.seed2, key)))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 0, nil
}

// storedCursor reads the stored customers in export order beside the file, on a connection of
// its own: a producer goroutine fetches batches from a server-side cursor while the import
// works on the previous ones, so the two overlap instead of taking turns on one connection.
// The connection's transaction imports the import's snapshot (pg_export_snapshot), taken under
// the import's lock: it sees the customers exactly as the import found them. Following the
// file (matching the head, skipping ahead, restarting) is importlookup's Cursor, as in the
// SQLite store. Should the cursor fail, it is disabled and lookups by guid carry on alone.
type storedCursor struct {
	ctx  context.Context // the import's
	conn *pgxpool.Conn
	tx   pgx.Tx

	free, full chan *fetchedBatch
	stop, done chan struct{}
	producing  bool

	cur      *fetchedBatch // the batch holding the head
	ended    bool          // the last batch has arrived
	disabled bool

	follow *importlookup.Cursor
	taken  custexport.Customer
}

const (
	cursorBatch     = 1024
	batchesInFlight = 3
)

// errCursorDisabled is what a cursor that could not be opened, or failed, answers.
var errCursorDisabled = errors.New("the stored-customer cursor is not available")

// snapshotID is the form of pg_export_snapshot's answer; SET TRANSACTION SNAPSHOT takes only a
// literal, so the id is checked before it is quoted into the statement.
var snapshotID = regexp.MustCompile(`^[0-9A-F]+(-[0-9A-F]+)+$`)

// openStoredCursor starts the cursor at the first customer; on any failure it returns a
// disabled cursor.
func openStoredCursor(ctx context.Context, db *DB, importTx pgx.Tx) *storedCursor {
	s := &storedCursor{ctx: ctx, disabled: true, free: make(chan *fetchedBatch, batchesInFlight+1), full: make(chan *fetchedBatch, batchesInFlight)}
	s.follow = importlookup.New(s)
	for range batchesInFlight + 1 {
		s.free <- &fetchedBatch{}
	}
	var id string
	if err := importTx.QueryRow(ctx, `SELECT pg_export_snapshot()`).Scan(&id); err != nil || !snapshotID.MatchString(id) {
		return s
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return s
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err == nil {
		_, err = tx.Exec(ctx, `SET TRANSACTION SNAPSHOT '`+id+`'`)
	}
	s.conn, s.tx = conn, tx
	if err != nil || s.start(ctx, minDate, "") != nil {
		s.close()
		return s
	}
	s.disabled = false
	return s
}

// start declares the cursor after (date, guid) and runs the producer.
func (s *storedCursor) start(ctx context.Context, date int64, guid string) error {
	if _, err := s.tx.Exec(ctx, `CLOSE ALL`); err != nil {
		return err
	}
	if _, err := s.tx.Exec(ctx, storedCursorSQL, date, guid); err != nil {
		return err
	}
	s.ended = false
	s.stop, s.done, s.producing = make(chan struct{}), make(chan struct{}), true
	pg := s.conn.Conn().PgConn()
	go func() {
		defer close(s.done)
		for {
			var b *fetchedBatch
			select {
			case b = <-s.free:
			case <-s.stop:
				return
			}
			b.fetch(ctx, pg)
			select {
			case s.full <- b:
			case <-s.stop:
				s.free <- b
				return
			}
			if b.err != nil || len(b.rows) < cursorBatch {
				return
			}
		}
	}()
	return nil
}

// halt stops the producer and takes every batch back.
func (s *storedCursor) halt() {
	if s.producing {
		close(s.stop)
		<-s.done
		s.producing = false
	}
	for len(s.full) > 0 {
		s.free <- <-s.full
	}
	if s.cur != nil {
		s.free <- s.cur
		s.cur = nil
	}
}

// close ends the cursor and gives its connection back.
func (s *storedCursor) close() {
	s.halt()
	s.disabled = true
	if s.conn != nil {
		if s.tx != nil {
			s.tx.Rollback(context.Background())
		}
		s.conn.Release()
		s.conn = nil
	}
}

// Next gives the batch at hand back and takes the next one (importlookup.Batches).
func (s *storedCursor) Next() (int, error) {
	if s.cur != nil {
		s.free <- s.cur // the caller is done with the customer taken from it (see take)
		s.cur = nil
	}
	if s.disabled {
		return 0, errCursorDisabled
	}
	if s.ended {
		return 0, nil
	}
	s.cur = <-s.full
	if err := s.cur.err; err != nil {
		s.close()
		return 0, err
	}
	if len(s.cur.rows) < cursorBatch {
		s.ended = true
	}
	return len(s.cur.rows), nil
}

// Key is row's place in export order (importlookup.Batches).
func (s *storedCursor) Key(row int) (int64, []byte) {
	r := s.cur.rows[row]
	return int64(binary.BigEndian.Uint64(r[0])), r[storerow.IntColumns]
}

// Restart declares the cursor again just after (date, guid) (importlookup.Batches).
func (s *storedCursor) Restart(date int64, guid string) error {
	s.halt()
	if err := s.start(s.ctx, date, guid); err != nil {
		s.close()
		return err
	}
	return nil
}

// fetchedBatch is one FETCH's rows, copied out of the connection.
type fetchedBatch struct {
	rows    [][][]byte // each row's values
	arena   []byte
	values  [][]byte // rows' values, flat
	offsets [][2]int
	err     error
}

func (b *fetchedBatch) fetch(ctx context.Context, pg *pgconn.PgConn) {
	b.rows, b.arena, b.offsets, b.err = b.rows[:0], b.arena[:0], b.offsets[:0], nil
	rr := pg.ExecParams(ctx, `FETCH `+strconv.Itoa(cursorBatch)+` FROM stored`, nil, nil, nil, storedFormats)
	for rr.NextRow() {
		for _, v := range rr.Values() {
			b.offsets = append(b.offsets, [2]int{len(b.arena), len(b.arena) + len(v)})
			b.arena = append(b.arena, v...)
		}
	}
	if _, b.err = rr.Close(); b.err != nil {
		return
	}
	// The values are sliced only now that the arena has stopped growing (and moving).
	width := len(storedFormats)
	b.values = b.values[:0]
	for _, o := range b.offsets {
		b.values = append(b.values, b.arena[o[0]:o[1]:o[1]])
	}
	for i := 0; i+width <= len(b.values); i += width {
		b.rows = append(b.rows, b.values[i:i+width:i+width])
	}
}

// take returns the head when it is the guid (nil otherwise), with its id and further addresses.
func (s *storedCursor) take(guid string) (*custexport.Customer, int64, string, error) {
	row, ok := s.follow.Match(guid)
	if !ok {
		return nil, 0, "", nil
	}
	// c views the batch at hand, which stays until a later call reads the next one: as long
	// as ImportTx promises. stage copies what it keeps.
	c := &s.taken
	id, extra, err := decodeStored(c, s.cur.rows[row], false)
	s.follow.Advance()
	return c, id, extra, err
}
