package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

const insertCustomerSQL = `INSERT INTO customer (
    guid, email, email_key, registration_date,
    billing_full_name, billing_company, billing_street, billing_house_number, billing_city,
    billing_district, billing_additional, billing_zip, billing_country_code,
    company_id, vat_id, tax_id, phone,
    delivery_full_name, delivery_company, delivery_street, delivery_house_number, delivery_city,
    delivery_district, delivery_additional, delivery_zip, delivery_country_code, delivery_extra,
    customer_group, price_list, price_ratio, birth_date, remark, disabled_orders, change_time,
    account_guid
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// InsertCustomers adds new customers in one transaction: all of them or none. It binds values
// through the driver's direct API: database/sql's per-argument conversions made seeding a
// million customers take minutes.
func (db *DB) InsertCustomers(ctx context.Context, customers []custexport.Customer) error {
	customers = storerow.StampChangeTime(customers, db.clock.Now())
	return db.withRawConn(ctx, func(c *sqlite3.Conn) error {
		if db.writeCacheKiB > 0 {
			if err := c.Exec(fmt.Sprintf("PRAGMA cache_size = %d", -db.writeCacheKiB)); err != nil {
				return err
			}
		}
		if err := c.Exec(`BEGIN IMMEDIATE`); err != nil {
			return err
		}
		if err := insertAll(c, customers); err != nil {
			c.Exec(`ROLLBACK`)
			return err
		}
		return c.Exec(`COMMIT`)
	})
}

func insertAll(conn *sqlite3.Conn, customers []custexport.Customer) error {
	stmt, _, err := conn.Prepare(insertCustomerSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	var birth []byte
	for i := range customers {
		if err := bindCustomer(stmt, &customers[i], &birth); err != nil {
			return err
		}
		if err := stmt.Exec(); err != nil {
			return describeWriteError(&customers[i], err)
		}
	}
	return nil
}

// bindCustomer binds c to insertCustomerSQL's parameters; birth is a reused buffer.
func bindCustomer(stmt *sqlite3.Stmt, c *custexport.Customer, birth *[]byte) error {
	extra, err := encodeExtraDelivery(c.Delivery)
	if err != nil {
		return err
	}
	d := c.DefaultDelivery()
	*birth = (*birth)[:0]
	if !c.BirthDate.IsZero() {
		*birth = c.BirthDate.AppendISO(*birth)
	}
	texts := [...]string{
		c.GUID, c.Email, emailKey(c.Email),
		c.Billing.FullName, c.Billing.Company, c.Billing.Street, c.Billing.HouseNumber, c.Billing.City,
		c.Billing.District, c.Billing.Additional, c.Billing.Zip, c.Billing.CountryCode,
		c.CompanyID, c.VatID, c.TaxID, c.Phone,
		d.FullName, d.Company, d.Street, d.HouseNumber, d.City,
		d.District, d.Additional, d.Zip, d.CountryCode, extra,
		c.CustomerGroup, c.PriceList,
	}
	for j, v := range texts {
		if err := stmt.BindText(insertTextParams[j], v); err != nil {
			return err
		}
	}
	stmt.BindInt64(paramRegistrationDate, c.RegistrationDate.Unix())
	stmt.BindInt64(paramPriceRatio, int64(c.PriceRatio))
	if len(*birth) == 0 {
		stmt.BindText(paramBirthDate, "") // an empty []byte would bind NULL
	} else {
		stmt.BindRawText(paramBirthDate, *birth)
	}
	stmt.BindText(paramRemark, c.Remark)
	stmt.BindBool(paramDisabledOrders, c.DisabledOrders)
	stmt.BindInt64(paramChangeTime, c.ChangeTime.Unix())
	// The update binds the same parameters but has no account_guid: it never changes.
	if stmt.BindCount() >= paramAccountGUID {
		if err := stmt.BindText(paramAccountGUID, storerow.AccountGUID(c)); err != nil {
			return err
		}
	}
	return nil
}

// The parameter numbers of insertCustomerSQL.
const (
	paramRegistrationDate = 4
	paramPriceRatio       = 30
	paramBirthDate        = 31
	paramRemark           = 32
	paramDisabledOrders   = 33
	paramChangeTime       = 34
	paramAccountGUID      = 35 // last: added by migration 0006, after the numbers above were fixed
)

// insertTextParams are the parameter numbers of the text values insertAll binds in order.
var insertTextParams = [...]int{1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}

// CountCustomers returns the number of stored customers.
func (db *DB) CountCustomers(ctx context.Context) (int64, error) {
	var n int64
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM customer`).Scan(&n)
	return n, err
}

// The stored form of e-mail keys and further delivery addresses is shared with the PostgreSQL
// store (package storerow), so that a shop copied between the two exports the same bytes.
type extraAddress = storerow.ExtraAddress

func emailKey(email string) string { return custexport.EmailKey(email) }

func encodeExtraDelivery(all []custexport.Address) (string, error) {
	return storerow.EncodeExtraDelivery(all)
}

// describeWriteError maps constraint violations to domain errors that name the customer.
func describeWriteError(c *custexport.Customer, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "customer.email_key"):
		return &custexport.Error{Code: custexport.CodeConflict, Field: "email", Message: fmt.Sprintf("e-mail %s is already registered", c.Email), Err: err}
	case strings.Contains(msg, "customer.account_guid"):
		return &custexport.Error{Code: custexport.CodeConflict, Field: "accountGuid", Message: fmt.Sprintf("account guid %s already belongs to another customer", c.AccountGUID), Err: err}
	case strings.Contains(msg, "customer.guid"):
		return &custexport.Error{Code: custexport.CodeConflict, Field: "guid", Message: fmt.Sprintf("guid %s already exists", c.GUID), Err: err}
	}
	return err
}
