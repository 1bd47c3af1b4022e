package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"

	"github.com/custexport/custexport"
)

const insertCustomerSQL = `INSERT INTO customer (
    guid, email, email_key, registration_date,
    billing_full_name, billing_company, billing_street, billing_house_number, billing_city,
    billing_district, billing_additional, billing_zip, billing_country_code,
    company_id, vat_id, tax_id, phone,
    delivery_full_name, delivery_company, delivery_street, delivery_house_number, delivery_city,
    delivery_district, delivery_additional, delivery_zip, delivery_country_code, delivery_extra,
    customer_group, price_list, price_ratio, birth_date, remark, disabled_orders, change_time
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// InsertCustomers adds new customers in one transaction: all of them or none. It binds values
// through the driver's direct API: database/sql's per-argument conversions made seeding a
// million customers take minutes.
func (db *DB) InsertCustomers(ctx context.Context, customers []custexport.Customer) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c := dc.(driver.Conn).Raw()
		old := c.SetInterrupt(ctx)
		defer c.SetInterrupt(old)
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
)

// insertTextParams are the parameter numbers of the text values insertAll binds in order.
var insertTextParams = [...]int{1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}

// CountCustomers returns the number of stored customers.
func (db *DB) CountCustomers(ctx context.Context) (int64, error) {
	var n int64
	err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM customer`).Scan(&n)
	return n, err
}

// emailKey is the form in which e-mails are unique: lower-cased with Unicode rules, which
// SQLite's own lower() does not know.
func emailKey(email string) string { return strings.ToLower(email) }

// extraAddress is the JSON shape of a non-default delivery address in customer.delivery_extra.
type extraAddress struct {
	FullName    string `json:"fullName,omitempty"`
	Company     string `json:"company,omitempty"`
	Street      string `json:"street,omitempty"`
	HouseNumber string `json:"houseNumber,omitempty"`
	City        string `json:"city,omitempty"`
	District    string `json:"district,omitempty"`
	Additional  string `json:"additional,omitempty"`
	Zip         string `json:"zip,omitempty"`
	CountryCode string `json:"countryCode,omitempty"`
}

func encodeExtraDelivery(all []custexport.Address) (string, error) {
	if len(all) <= 1 {
		return "", nil
	}
	extra := make([]extraAddress, len(all)-1)
	for i, a := range all[1:] {
		extra[i] = extraAddress(a)
	}
	b, err := json.Marshal(extra)
	return string(b), err
}

// appendExtraDelivery decodes delivery_extra and appends its addresses to dst. The common
// case, our own encoding with no escaped characters, is read without encoding/json, whose
// reflection cost a sixth of an XML export; anything else goes through encoding/json.
func appendExtraDelivery(dst []custexport.Address, text string) ([]custexport.Address, error) {
	if text == "" {
		return dst, nil
	}
	if fast, ok := parseExtraPlain(dst, text); ok {
		return fast, nil
	}
	var extra []extraAddress
	if err := json.Unmarshal([]byte(text), &extra); err != nil {
		return dst, fmt.Errorf("stored delivery addresses are damaged: %w", err)
	}
	for _, a := range extra {
		dst = append(dst, custexport.Address(a))
	}
	return dst, nil
}

// parseExtraPlain reads [{"key":"value",…},…] whose strings hold no backslash, as
// encodeExtraDelivery writes them for ordinary text. It reports false, leaving dst's
// contents as they were, on anything else.
func parseExtraPlain(dst []custexport.Address, s string) ([]custexport.Address, bool) {
	start := len(dst)
	fail := func() ([]custexport.Address, bool) { return dst[:start], false }
	str := func(i int) (string, int, bool) { // s[i] must open a string
		if i >= len(s) || s[i] != '"' {
			return "", i, false
		}
		end := strings.IndexByte(s[i+1:], '"')
		if end < 0 {
			return "", i, false
		}
		v := s[i+1 : i+1+end]
		if strings.IndexByte(v, '\\') >= 0 {
			return "", i, false
		}
		return v, i + end + 2, true
	}
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return fail()
	}
	i := 1
	for i < len(s)-1 {
		if s[i] != '{' {
			return fail()
		}
		i++
		var a custexport.Address
		for i < len(s) && s[i] != '}' {
			key, next, ok := str(i)
			if !ok || next >= len(s) || s[next] != ':' {
				return fail()
			}
			val, next, ok := str(next + 1)
			if !ok {
				return fail()
			}
			switch key {
			case "fullName":
				a.FullName = val
			case "company":
				a.Company = val
			case "street":
				a.Street = val
			case "houseNumber":
				a.HouseNumber = val
			case "city":
				a.City = val
			case "district":
				a.District = val
			case "additional":
				a.Additional = val
			case "zip":
				a.Zip = val
			case "countryCode":
				a.CountryCode = val
			default:
				return fail()
			}
			i = next
			if i < len(s) && s[i] == ',' {
				i++
			}
		}
		if i >= len(s) {
			return fail()
		}
		i++ // '}'
		dst = append(dst, a)
		if s[i] == ',' {
			i++
		}
	}
	return dst, true
}

// describeWriteError maps constraint violations to domain errors that name the customer.
func describeWriteError(c *custexport.Customer, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "customer.email_key"):
		return &custexport.Error{Code: custexport.CodeConflict, Field: "email", Message: fmt.Sprintf("e-mail %s is already registered", c.Email), Err: err}
	case strings.Contains(msg, "customer.guid"):
		return &custexport.Error{Code: custexport.CodeConflict, Field: "guid", Message: fmt.Sprintf("guid %s already exists", c.GUID), Err: err}
	}
	return err
}
