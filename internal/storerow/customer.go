// Package storerow is the stored form of the records that both stores (SQLite and PostgreSQL)
// share: the same columns holding the same values, so the copy command moves them as they are
// and both stores export the same files. It holds only row formats: the column lists, the
// scanners that decode a row (alike through database/sql and pgx), and the encoding of the
// values those rows hold (further delivery addresses, an import's lists, a session's times).
package storerow

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/custexport/custexport"
)

// ExtraAddress is the JSON shape of a non-default delivery address in customer.delivery_extra.
type ExtraAddress struct {
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

func EncodeExtraDelivery(all []custexport.Address) (string, error) {
	if len(all) <= 1 {
		return "", nil
	}
	extra := make([]ExtraAddress, len(all)-1)
	for i, a := range all[1:] {
		extra[i] = ExtraAddress(a)
	}
	b, err := json.Marshal(extra)
	return string(b), err
}

// AppendExtraDelivery decodes delivery_extra and appends its addresses to dst. The common
// case, our own encoding with no escaped characters, is read without encoding/json, whose
// reflection cost a sixth of an XML export; anything else goes through encoding/json.
func AppendExtraDelivery(dst []custexport.Address, text string) ([]custexport.Address, error) {
	if text == "" {
		return dst, nil
	}
	if fast, ok := parseExtraPlain(dst, text); ok {
		return fast, nil
	}
	var extra []ExtraAddress
	if err := json.Unmarshal([]byte(text), &extra); err != nil {
		return dst, fmt.Errorf("stored delivery addresses are damaged: %w", err)
	}
	for _, a := range extra {
		dst = append(dst, custexport.Address(a))
	}
	return dst, nil
}

// parseExtraPlain reads [{"key":"value",…},…] whose strings hold no backslash, as
// EncodeExtraDelivery writes them for ordinary text. It reports false, leaving dst's
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

// AccountGUID is the account_guid a new customer is stored with: its own, or a new one when it
// has none, so that every way of creating a customer (seed, import, a caller of
// InsertCustomers) gives it one (SPEC section 1).
func AccountGUID(c *custexport.Customer) string {
	if c.AccountGUID != "" {
		return c.AccountGUID
	}
	return custexport.NewGUID()
}

// StampChangeTime gives every customer without a change time the store's now (SPEC section 1:
// every write path stamps changeTime). A customer that brings one keeps it: the seed stamps its
// own, a copied shop keeps the source's. It returns customers itself when none lacks one, else a
// copy: the caller's slice is never changed.
func StampChangeTime(customers []custexport.Customer, now time.Time) []custexport.Customer {
	out := customers
	for i := range customers {
		if customers[i].ChangeTime.IsZero() {
			if &out[0] == &customers[0] {
				out = append([]custexport.Customer(nil), customers...)
			}
			out[i].ChangeTime = now.UTC().Truncate(time.Second)
		}
	}
	return out
}

// ExportColumns are the columns an export reads, in the order both stores scan them: first the
// IntColumns integers (registration date, price ratio, disabled orders, change time), then the
// TextColumns texts in the order of TextField.
const ExportColumns = `registration_date, price_ratio, disabled_orders, change_time,
    guid, account_guid, email,
    billing_full_name, billing_company, billing_street, billing_house_number, billing_city,
    billing_district, billing_additional, billing_zip, billing_country_code,
    company_id, vat_id, tax_id, phone,
    delivery_full_name, delivery_company, delivery_street, delivery_house_number, delivery_city,
    delivery_district, delivery_additional, delivery_zip, delivery_country_code,
    customer_group, price_list, birth_date, remark`

// The shape of ExportColumns.
const (
	IntColumns    = 4
	TextColumns   = 29
	BirthDateText = 27 // the index of birth_date among the texts
)

// StartCustomer makes c the customer whose export row begins with ints, the IntColumns integers
// (registration date, price ratio, disabled orders, change time), every other field empty, and
// returns c's delivery addresses emptied: the export decodes every row into one customer and
// reuses the slice's memory. The decoder then sets the texts and calls FinishCustomer.
func StartCustomer(c *custexport.Customer, ints []int64) (delivery []custexport.Address) {
	delivery = c.Delivery[:0]
	*c = custexport.Customer{
		RegistrationDate: time.Unix(ints[0], 0),
		PriceRatio:       custexport.PriceRatio(ints[1]),
		DisabledOrders:   ints[2] != 0,
		ChangeTime:       time.Unix(ints[3], 0),
	}
	return delivery
}

// FinishCustomer completes the customer of an export row whose texts are set: it parses the
// stored birth date and gives c its delivery addresses, the default one d (when not empty) and
// those encoded in extra (delivery_extra, "" when the row has none), appended to delivery.
func FinishCustomer(c *custexport.Customer, delivery []custexport.Address, d *custexport.Address, birth, extra string) error {
	if birth != "" {
		date, err := custexport.ParseDate(birth)
		if err != nil {
			return fmt.Errorf("customer %s: stored birth date %q: %w", c.GUID, birth, err)
		}
		c.BirthDate = date
	}
	if !d.IsZero() {
		delivery = append(delivery, *d)
	}
	delivery, err := AppendExtraDelivery(delivery, extra)
	if err != nil {
		return fmt.Errorf("customer %s: %w", c.GUID, err)
	}
	c.Delivery = delivery
	return nil
}

// TextField says where each text column of ExportColumns goes: a field of the customer or of
// its default delivery address. The birth date is nil: it is parsed, not copied.
var TextField = [TextColumns]func(c *custexport.Customer, d *custexport.Address) *string{
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.GUID },
	func(c *custexport.Customer, _ *custexport.Address) *string { return &c.AccountGUID },
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
