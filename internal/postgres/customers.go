package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// customerColumns are the columns a customer is written with (by InsertCustomers, the import's
// staging table and the copy from SQLite), in the order customerValues gives them.
var customerColumns = []string{
	"guid", "email", "email_key", "registration_date",
	"billing_full_name", "billing_company", "billing_street", "billing_house_number", "billing_city",
	"billing_district", "billing_additional", "billing_zip", "billing_country_code",
	"company_id", "vat_id", "tax_id", "phone",
	"delivery_full_name", "delivery_company", "delivery_street", "delivery_house_number", "delivery_city",
	"delivery_district", "delivery_additional", "delivery_zip", "delivery_country_code", "delivery_extra",
	"customer_group", "price_list", "price_ratio", "birth_date", "remark", "disabled_orders", "change_time",
	"account_guid",
}

// customerValues is c as a row of customerColumns.
func customerValues(c *custexport.Customer) ([]any, error) {
	extra, err := storerow.EncodeExtraDelivery(c.Delivery)
	if err != nil {
		return nil, err
	}
	d := c.DefaultDelivery()
	birth := ""
	if !c.BirthDate.IsZero() {
		birth = string(c.BirthDate.AppendISO(nil))
	}
	return []any{
		c.GUID, c.Email, custexport.EmailKey(c.Email), c.RegistrationDate.Unix(),
		c.Billing.FullName, c.Billing.Company, c.Billing.Street, c.Billing.HouseNumber, c.Billing.City,
		c.Billing.District, c.Billing.Additional, c.Billing.Zip, c.Billing.CountryCode,
		c.CompanyID, c.VatID, c.TaxID, c.Phone,
		d.FullName, d.Company, d.Street, d.HouseNumber, d.City,
		d.District, d.Additional, d.Zip, d.CountryCode, extra,
		c.CustomerGroup, c.PriceList, int64(c.PriceRatio), birth, c.Remark, c.DisabledOrders, c.ChangeTime.Unix(),
		storerow.AccountGUID(c),
	}, nil
}

// InsertCustomers adds new customers in one transaction, through COPY: all of them or none.
func (db *DB) InsertCustomers(ctx context.Context, customers []custexport.Customer) error {
	customers = storerow.StampChangeTime(customers, db.clock.Now())
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// As in SQLite, a write waits a while for a running import and is then refused as busy.
	if err := lockCustomers(ctx, tx, "ROW EXCLUSIVE"); err != nil {
		return err
	}
	var convErr error
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(customers) {
			return nil, nil
		}
		row, err := customerValues(&customers[i])
		i++
		if err != nil {
			convErr = err
		}
		return row, err
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"customer"}, customerColumns, src); err != nil {
		if convErr != nil {
			return convErr
		}
		return describeWriteError(err)
	}
	return tx.Commit(ctx)
}

// lockCustomers takes the customer table in mode, waiting up to importLockWait for an import
// (or another writer) that holds it; then it refuses with CodeBusy.
func lockCustomers(ctx context.Context, tx pgx.Tx, mode string) error {
	if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '`+importLockWait+`'`); err != nil {
		return err
	}
	// mode is one of this package's constants, never outside input.
	if _, err := tx.Exec(ctx, `LOCK TABLE customer IN `+mode+` MODE`); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "55P03" {
			return custexport.Errorf(custexport.CodeBusy, "another import or write is running on the database; try again when it has finished")
		}
		return err
	}
	_, err := tx.Exec(ctx, `SET LOCAL lock_timeout = 0`)
	return err
}

// CountCustomers returns the number of stored customers.
func (db *DB) CountCustomers(ctx context.Context) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM customer`).Scan(&n)
	return n, err
}

// describeWriteError maps unique violations to domain errors that say which value was taken.
// COPY does not say which row failed, so the message quotes PostgreSQL's detail ("Key
// (email_key)=(…) already exists").
func describeWriteError(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return err
	}
	switch pgErr.ConstraintName {
	case "customer_email_unique":
		return &custexport.Error{Code: custexport.CodeConflict, Field: "email", Message: fmt.Sprintf("e-mail already registered: %s", pgErr.Detail), Err: err}
	case "customer_account_guid_unique":
		return &custexport.Error{Code: custexport.CodeConflict, Field: "accountGuid", Message: fmt.Sprintf("account guid already belongs to another customer: %s", pgErr.Detail), Err: err}
	case "customer_guid_unique":
		return &custexport.Error{Code: custexport.CodeConflict, Field: "guid", Message: fmt.Sprintf("guid already exists: %s", pgErr.Detail), Err: err}
	}
	return err
}
