package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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

// InsertCustomers adds new customers in one transaction: all of them or none.
func (db *DB) InsertCustomers(ctx context.Context, customers []custexport.Customer) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, insertCustomerSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range customers {
		c := &customers[i]
		extra, err := encodeExtraDelivery(c.Delivery)
		if err != nil {
			return err
		}
		d := c.DefaultDelivery()
		var birth string
		if !c.BirthDate.IsZero() {
			birth = c.BirthDate.String()
		}
		_, err = stmt.ExecContext(ctx,
			c.GUID, c.Email, emailKey(c.Email), c.RegistrationDate.Unix(),
			c.Billing.FullName, c.Billing.Company, c.Billing.Street, c.Billing.HouseNumber, c.Billing.City,
			c.Billing.District, c.Billing.Additional, c.Billing.Zip, c.Billing.CountryCode,
			c.CompanyID, c.VatID, c.TaxID, c.Phone,
			d.FullName, d.Company, d.Street, d.HouseNumber, d.City,
			d.District, d.Additional, d.Zip, d.CountryCode, extra,
			c.CustomerGroup, c.PriceList, int64(c.PriceRatio), birth, c.Remark, c.DisabledOrders, c.ChangeTime.Unix())
		if err != nil {
			return describeWriteError(c, err)
		}
	}
	return tx.Commit()
}

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

// appendExtraDelivery decodes delivery_extra and appends its addresses to dst.
func appendExtraDelivery(dst []custexport.Address, text string) ([]custexport.Address, error) {
	if text == "" {
		return dst, nil
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
