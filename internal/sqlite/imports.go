package sqlite

import (
	"context"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/importlookup"
	"github.com/custexport/custexport/internal/storerow"
)

const (
	customerByGUIDSQL = `SELECT ` + exportColumns + `, id FROM customer WHERE guid = ?`
	emailOwnerSQL     = `SELECT guid FROM customer WHERE email_key = ?`
	accountOwnerSQL   = `SELECT guid FROM customer WHERE account_guid = ?`
	// updateCustomerSQL rewrites the flat record; delivery_extra (the further delivery
	// addresses, which a CSV does not carry) is left as it is.
	updateCustomerSQL = `UPDATE customer SET
    email = ?2, email_key = ?3, registration_date = ?4,
    billing_full_name = ?5, billing_company = ?6, billing_street = ?7, billing_house_number = ?8, billing_city = ?9,
    billing_district = ?10, billing_additional = ?11, billing_zip = ?12, billing_country_code = ?13,
    company_id = ?14, vat_id = ?15, tax_id = ?16, phone = ?17,
    delivery_full_name = ?18, delivery_company = ?19, delivery_street = ?20, delivery_house_number = ?21, delivery_city = ?22,
    delivery_district = ?23, delivery_additional = ?24, delivery_zip = ?25, delivery_country_code = ?26,
    customer_group = ?28, price_list = ?29, price_ratio = ?30, birth_date = ?31, remark = ?32,
    disabled_orders = ?33, change_time = ?34
WHERE guid = ?1`
	seenSQL = `INSERT OR IGNORE INTO temp.import_seen (h1, h2) VALUES (?, ?)`
	// promoteDeliverySQL runs after an update that left the default delivery address empty:
	// the first further address becomes the default, as readers of every address already take
	// it (XML). Without it a CSV export, which reads only the default columns, showed none.
	promoteDeliverySQL = `UPDATE customer SET
    delivery_full_name = coalesce(json_extract(delivery_extra, '$[0].fullName'), ''),
    delivery_company = coalesce(json_extract(delivery_extra, '$[0].company'), ''),
    delivery_street = coalesce(json_extract(delivery_extra, '$[0].street'), ''),
    delivery_house_number = coalesce(json_extract(delivery_extra, '$[0].houseNumber'), ''),
    delivery_city = coalesce(json_extract(delivery_extra, '$[0].city'), ''),
    delivery_district = coalesce(json_extract(delivery_extra, '$[0].district'), ''),
    delivery_additional = coalesce(json_extract(delivery_extra, '$[0].additional'), ''),
    delivery_zip = coalesce(json_extract(delivery_extra, '$[0].zip'), ''),
    delivery_country_code = coalesce(json_extract(delivery_extra, '$[0].countryCode'), ''),
    delivery_extra = CASE WHEN json_array_length(delivery_extra) > 1 THEN json_remove(delivery_extra, '$[0]') ELSE '' END
WHERE guid = ? AND delivery_extra <> ''`
)

// seenCacheKiB is the page cache of the import's duplicate-key table. With SQLite's default
// 2 MB its random inserts spilled to disk and re-read pages for every row (a million-row round
// trip took 20.8 s, 15 s with this). It is a cap: beyond it the table lives on disk, and memory
// stops growing whatever the file's size. (A larger cache for the customer table itself made
// no difference: the operating system's page cache already serves those lookups.)
const seenCacheKiB = 32 << 10

// Import runs fn in one write transaction on one connection (BEGIN IMMEDIATE: a second import
// waits for the busy timeout, then is refused). It commits only when fn succeeds and apply is
// set, so a dry run, an error or a killed process leaves the database as it was.
func (db *DB) Import(ctx context.Context, apply bool, fn func(custexport.ImportTx) error) error {
	return db.withRawConn(ctx, func(c *sqlite3.Conn) error {
		// The keys of the file's rows go to a temporary table, on disk when large, so that a
		// file of any size is checked for duplicates in flat memory.
		// Each key is kept as a 128-bit hash (two seeded maphash values): a fifth of the text's
		// size, so far more of them stay in the cache; two different keys share one with a
		// chance of about 2^-128 per pair.
		if err := c.Exec(fmt.Sprintf(`PRAGMA temp.cache_size = %d;
			CREATE TEMP TABLE IF NOT EXISTS import_seen (h1 INTEGER, h2 INTEGER, PRIMARY KEY (h1, h2)) WITHOUT ROWID;
			DELETE FROM temp.import_seen`, -seenCacheKiB)); err != nil {
			return err
		}
		// The connection goes back to the pool: give its memory back.
		defer c.Exec(`DELETE FROM temp.import_seen; PRAGMA temp.cache_size = -2000; PRAGMA shrink_memory`)
		if err := c.Exec(`BEGIN IMMEDIATE`); err != nil {
			if isBusy(err) {
				return custexport.Errorf(custexport.CodeBusy, "another import or write is running on the database; try again when it has finished")
			}
			return err
		}
		tx := &importTx{conn: c, seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(), now: db.clock.Now}
		// Without the stream (it could not be opened) every row is looked up by guid: slower,
		// the same result.
		if stream, err := openStoredStream(db.path); err == nil {
			tx.stream = stream
			defer stream.close()
		}
		err := tx.prepare()
		if err == nil {
			err = fn(tx)
		}
		if err == nil && apply {
			err = tx.applyChanges() // the log entry and the change list (importchanges.go)
		}
		tx.close()
		if err == nil && apply {
			err = c.Exec(`COMMIT`)
		}
		if !c.GetAutocommit() {
			// ROLLBACK even when ctx was cancelled, which makes SQLite refuse every statement:
			// a transaction left open would go back to the pool holding the write lock and the
			// import's changes.
			c.SetInterrupt(context.Background())
			c.Exec(`ROLLBACK`)
		}
		return err
	})
}

type importTx struct {
	conn                               *sqlite3.Conn
	byGUID, owner, insert, update, see *sqlite3.Stmt
	promote, account                   *sqlite3.Stmt
	birth                              []byte
	seed1, seed2                       maphash.Seed
	stream                             *storedStream
	now                                func() time.Time // the store's clock
	// claimed marks the customer ids the import asked for: a second row with the same guid is a
	// duplicate. Ids beyond the set's range go to the temporary key table instead.
	claimed importlookup.ClaimSet
	log     changeLog // the change list (importchanges.go)
}

func (t *importTx) prepare() error {
	for _, p := range []struct {
		stmt **sqlite3.Stmt
		sql  string
	}{{&t.byGUID, customerByGUIDSQL}, {&t.owner, emailOwnerSQL}, {&t.insert, insertCustomerSQL},
		{&t.update, updateCustomerSQL}, {&t.see, seenSQL}, {&t.promote, promoteDeliverySQL},
		{&t.account, accountOwnerSQL}} {
		stmt, _, err := t.conn.Prepare(p.sql)
		if err != nil {
			return err
		}
		*p.stmt = stmt
	}
	return nil
}

func (t *importTx) close() {
	for _, s := range []*sqlite3.Stmt{t.byGUID, t.owner, t.insert, t.update, t.see, t.promote, t.account} {
		if s != nil {
			s.Close()
		}
	}
	t.log.close()
}

// Customer finds the stored customer with the guid: at the stream's head when the file follows
// export order, else by its guid. repeated reports that an earlier row asked for the same guid.
func (t *importTx) Customer(ctx context.Context, guid string) (*custexport.Customer, bool, error) {
	if t.stream != nil {
		if c, id, ok := t.stream.take(guid); ok {
			repeated, err := t.claimed.ClaimCustomer(ctx, id, t)
			return c, repeated, err
		}
	}
	c, id, err := t.lookup(guid)
	if err != nil {
		return nil, false, err
	}
	if c == nil {
		repeated, err := t.SeenInFile(ctx, "guid:"+guid)
		return nil, repeated, err
	}
	if t.stream != nil {
		t.stream.cursor.Passed(c.RegistrationDate.Unix(), c.GUID)
	}
	repeated, err := t.claimed.ClaimCustomer(ctx, id, t)
	return c, repeated, err
}

// lookup reads the customer with the guid, and its id, on the import's own connection: it sees
// the rows this import wrote.
func (t *importTx) lookup(guid string) (*custexport.Customer, int64, error) {
	s := t.byGUID
	defer s.Reset()
	s.BindText(1, guid)
	if !s.Step() {
		return nil, 0, s.Err()
	}
	c := &custexport.Customer{
		RegistrationDate: time.Unix(s.ColumnInt64(0), 0).UTC(),
		PriceRatio:       custexport.PriceRatio(s.ColumnInt64(1)),
		DisabledOrders:   s.ColumnInt64(2) != 0,
		ChangeTime:       time.Unix(s.ColumnInt64(3), 0).UTC(),
	}
	// Columns 4… are the text columns in exportColumns order; the same order as flatText.
	for i, col := range flatTextColumns {
		c.SetText(col, s.ColumnText(4+i))
	}
	if b := s.ColumnText(4 + len(flatTextColumns)); b != "" {
		d, err := custexport.ParseDate(b)
		if err != nil {
			return nil, 0, err
		}
		c.BirthDate = d
	}
	c.Remark = s.ColumnText(5 + len(flatTextColumns))
	return c, s.ColumnInt64(6 + len(flatTextColumns)), s.Err()
}

// flatTextColumns are the text columns in the order exportColumns lists them after the four
// numbers (guid … price_list).
var flatTextColumns = []custexport.Column{
	custexport.ColGUID, custexport.ColAccountGUID, custexport.ColEmail,
	custexport.ColBillingFullName, custexport.ColBillingCompany, custexport.ColBillingStreet,
	custexport.ColBillingHouseNumber, custexport.ColBillingCity, custexport.ColBillingDistrict,
	custexport.ColBillingAdditional, custexport.ColBillingZip, custexport.ColBillingCountryCode,
	custexport.ColCompanyID, custexport.ColVatID, custexport.ColTaxID, custexport.ColPhone,
	custexport.ColDeliveryFullName, custexport.ColDeliveryCompany, custexport.ColDeliveryStreet,
	custexport.ColDeliveryHouseNumber, custexport.ColDeliveryCity, custexport.ColDeliveryDistrict,
	custexport.ColDeliveryAdditional, custexport.ColDeliveryZip, custexport.ColDeliveryCountryCode,
	custexport.ColCustomerGroup, custexport.ColPriceList,
}

func (t *importTx) EmailOwner(ctx context.Context, email string) (string, error) {
	return ownerOf(t.owner, emailKey(email))
}

func (t *importTx) AccountOwner(ctx context.Context, accountGUID string) (string, error) {
	return ownerOf(t.account, accountGUID)
}

// ownerOf runs a query of one guid by one key: the guid, or "" when no row has the key.
func ownerOf(s *sqlite3.Stmt, key string) (string, error) {
	defer s.Reset()
	s.BindText(1, key)
	if !s.Step() {
		return "", s.Err()
	}
	return s.ColumnText(0), nil
}

// Now is the store's clock (custexport.ImportTx).
func (t *importTx) Now() time.Time { return t.now() }

func (t *importTx) Insert(ctx context.Context, c *custexport.Customer) error {
	s := t.insert
	defer s.Reset()
	if err := bindCustomer(s, c, &t.birth); err != nil {
		return err
	}
	if err := s.Exec(); err != nil {
		return describeWriteError(c, err)
	}
	// A later row with this guid is a duplicate; the lookup finds the new row.
	_, err := t.claimed.ClaimCustomer(ctx, t.conn.LastInsertRowID(), t)
	return err
}

func (t *importTx) Update(ctx context.Context, c *custexport.Customer) error {
	s := t.update
	defer s.Reset()
	// The update's parameters are numbered as the insert's (?27, delivery_extra, unused).
	if err := bindCustomer(s, c, &t.birth); err != nil {
		return err
	}
	if err := s.Exec(); err != nil {
		return describeWriteError(c, err)
	}
	if c.DefaultDelivery().IsZero() {
		p := t.promote
		defer p.Reset()
		p.BindText(1, c.GUID)
		return p.Exec()
	}
	return nil
}

func (t *importTx) SeenInFile(ctx context.Context, key string) (bool, error) {
	s := t.see
	defer s.Reset()
	s.BindInt64(1, int64(maphash.String(t.seed1, key)))
	s.BindInt64(2, int64(maphash.String(t.seed2, key)))
	if err := s.Exec(); err != nil {
		return false, err
	}
	return t.conn.Changes() == 0, nil
}

// Imports lists the import log, newest first, and the number of imports.
func (db *DB) Imports(ctx context.Context, offset, limit int) ([]custexport.ImportRecord, int64, error) {
	var total int64
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM import_log`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT `+storerow.ImportColumns+`
		FROM import_log ORDER BY id DESC LIMIT ? OFFSET ?`, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out, err := storerow.Collect(rows, storerow.ScanImport)
	return out, total, err
}
