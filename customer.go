package custexport

import (
	"strconv"
	"time"
)

// Address is a postal address, used for billing and delivery.
type Address struct {
	FullName    string
	Company     string
	Street      string
	HouseNumber string
	City        string
	District    string
	Additional  string
	Zip         string
	CountryCode string // ISO 3166-1 alpha-2, e.g. "CZ"
}

// IsZero reports whether every field of the address is empty.
func (a Address) IsZero() bool { return a == Address{} }

// Customer is one registered customer of the shop.
type Customer struct {
	GUID string // lowercase canonical UUID; never changes
	// AccountGUID is the customer's login account: a lowercase canonical UUID, unique in the
	// shop, given on create and never changed (Shoptet's accountGuid, which integrations such as
	// Keboola's extractor key on).
	AccountGUID      string
	Email            string // unique in the shop, case-insensitively
	RegistrationDate time.Time
	Billing          Address // Billing.FullName is required
	CompanyID        string  // Czech IČO
	VatID            string  // DIČ
	TaxID            string  // IČ DPH
	Phone            string  // kept exactly as entered
	// Delivery holds the customer's delivery addresses with the default one first; it is empty
	// when the customer has none. CSV and XLSX carry only Delivery[0]; XML carries them all.
	Delivery       []Address
	CustomerGroup  string
	PriceList      string
	PriceRatio     PriceRatio
	BirthDate      Date // zero when unknown
	Remark         string
	DisabledOrders bool
	ChangeTime     time.Time
}

// DefaultDelivery returns the default delivery address, or the zero Address when there is none.
func (c *Customer) DefaultDelivery() Address {
	if len(c.Delivery) == 0 {
		return Address{}
	}
	return c.Delivery[0]
}

// PriceRatio is a price coefficient with exactly four decimal places, kept as an integer number
// of ten-thousandths so that it round-trips through every format without float error:
// 7800 is 0.7800 (a 22 % discount), 10000 is 1.0000 (no discount).
type PriceRatio int64

// NoDiscount is the price ratio of a customer without a discount.
const NoDiscount PriceRatio = 10000

// AppendDecimal appends the ratio with four decimals and the given decimal separator
// ('.' for XML, ',' for CSV).
func (r PriceRatio) AppendDecimal(dst []byte, sep byte) []byte {
	v := int64(r)
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	dst = strconv.AppendInt(dst, v/10000, 10)
	frac := v % 10000
	return append(dst, sep, byte('0'+frac/1000), byte('0'+frac/100%10), byte('0'+frac/10%10), byte('0'+frac%10))
}

// String formats the ratio with a decimal point, e.g. "0.7800".
func (r PriceRatio) String() string { return string(r.AppendDecimal(nil, '.')) }

// Float returns the ratio as a float64, for number cells.
func (r PriceRatio) Float() float64 { return float64(r) / 10000 }

// Kind is the value type of a column; it decides how each format writes the value.
type Kind uint8

// The column kinds.
const (
	KindText     Kind = iota
	KindDateTime      // shop-time date and time
	KindDate          // calendar date
	KindDecimal       // PriceRatio
	KindBool          // 0/1
)

// Column is one column of the flat (CSV/XLSX) customer record, in export order.
type Column uint8

// The columns in the order of SPEC section 1; CSV headers and XLSX header cells follow it.
const (
	ColGUID Column = iota
	ColAccountGUID
	ColEmail
	ColRegistrationDate
	ColBillingFullName
	ColBillingCompany
	ColBillingStreet
	ColBillingHouseNumber
	ColBillingCity
	ColBillingDistrict
	ColBillingAdditional
	ColBillingZip
	ColBillingCountryCode
	ColCompanyID
	ColVatID
	ColTaxID
	ColPhone
	ColDeliveryFullName
	ColDeliveryCompany
	ColDeliveryStreet
	ColDeliveryHouseNumber
	ColDeliveryCity
	ColDeliveryDistrict
	ColDeliveryAdditional
	ColDeliveryZip
	ColDeliveryCountryCode
	ColCustomerGroup
	ColPriceList
	ColPriceRatio
	ColBirthDate
	ColRemark
	ColDisabledOrders
	ColChangeTime
	NumColumns int = iota
)

// columnDefs holds each column's tag (shared by export and import, following Shoptet's customer
// import tags), kind and maximum length in characters (0: no limit beyond the kind's own).
var columnDefs = [NumColumns]struct {
	tag    string
	kind   Kind
	maxLen int
}{
	ColGUID:                {"guid", KindText, 36},
	ColAccountGUID:         {"accountGuid", KindText, 36},
	ColEmail:               {"email", KindText, 255},
	ColRegistrationDate:    {"registrationDate", KindDateTime, 0},
	ColBillingFullName:     {"billingFullName", KindText, 255},
	ColBillingCompany:      {"billingCompany", KindText, 255},
	ColBillingStreet:       {"billingStreet", KindText, 255},
	ColBillingHouseNumber:  {"billingHouseNumber", KindText, 255},
	ColBillingCity:         {"billingCity", KindText, 255},
	ColBillingDistrict:     {"billingDistrict", KindText, 255},
	ColBillingAdditional:   {"billingAdditional", KindText, 255},
	ColBillingZip:          {"billingZip", KindText, 255},
	ColBillingCountryCode:  {"billingCountryCode", KindText, 2},
	ColCompanyID:           {"companyId", KindText, 18},
	ColVatID:               {"vatId", KindText, 16},
	ColTaxID:               {"taxId", KindText, 16},
	ColPhone:               {"phone", KindText, 30},
	ColDeliveryFullName:    {"deliveryFullName", KindText, 255},
	ColDeliveryCompany:     {"deliveryCompany", KindText, 255},
	ColDeliveryStreet:      {"deliveryStreet", KindText, 255},
	ColDeliveryHouseNumber: {"deliveryHouseNumber", KindText, 255},
	ColDeliveryCity:        {"deliveryCity", KindText, 255},
	ColDeliveryDistrict:    {"deliveryDistrict", KindText, 255},
	ColDeliveryAdditional:  {"deliveryAdditional", KindText, 255},
	ColDeliveryZip:         {"deliveryZip", KindText, 255},
	ColDeliveryCountryCode: {"deliveryCountryCode", KindText, 2},
	ColCustomerGroup:       {"customerGroup", KindText, 255},
	ColPriceList:           {"priceList", KindText, 255},
	ColPriceRatio:          {"priceRatio", KindDecimal, 0},
	ColBirthDate:           {"birthDate", KindDate, 0},
	ColRemark:              {"remark", KindText, 65535},
	ColDisabledOrders:      {"disabledOrders", KindBool, 0},
	ColChangeTime:          {"changeTime", KindDateTime, 0},
}

// Tag is the column's name in file headers, e.g. "billingFullName".
func (c Column) Tag() string { return columnDefs[c].tag }

// Kind is the column's value type.
func (c Column) Kind() Kind { return columnDefs[c].kind }

// MaxLen is the longest value the column accepts, in characters; 0 means no own limit.
func (c Column) MaxLen() int { return columnDefs[c].maxLen }

// Text returns the value of a KindText column of the flat record (the default delivery
// address for the delivery columns). It returns "" for columns of other kinds.
func (c *Customer) Text(col Column) string {
	if p := c.textField(col); p != nil {
		return *p
	}
	return ""
}

// textField points at the string that holds a KindText column of the flat record: Text reads
// through it and SetText writes through it, so the mapping of columns to fields is written
// once. It is nil for columns of other kinds, and for a delivery column of a customer without
// a delivery address.
func (c *Customer) textField(col Column) *string {
	switch {
	case col >= ColBillingFullName && col <= ColBillingCountryCode:
		return c.Billing.field(col - ColBillingFullName)
	case col >= ColDeliveryFullName && col <= ColDeliveryCountryCode:
		if len(c.Delivery) == 0 {
			return nil
		}
		return c.Delivery[0].field(col - ColDeliveryFullName)
	}
	switch col {
	case ColGUID:
		return &c.GUID
	case ColAccountGUID:
		return &c.AccountGUID
	case ColEmail:
		return &c.Email
	case ColCompanyID:
		return &c.CompanyID
	case ColVatID:
		return &c.VatID
	case ColTaxID:
		return &c.TaxID
	case ColPhone:
		return &c.Phone
	case ColCustomerGroup:
		return &c.CustomerGroup
	case ColPriceList:
		return &c.PriceList
	case ColRemark:
		return &c.Remark
	}
	return nil
}

// field points at the address field at position i of the address columns, which follow the
// order of Address's fields for both the billing and the delivery address.
func (a *Address) field(i Column) *string {
	switch i {
	case 0:
		return &a.FullName
	case 1:
		return &a.Company
	case 2:
		return &a.Street
	case 3:
		return &a.HouseNumber
	case 4:
		return &a.City
	case 5:
		return &a.District
	case 6:
		return &a.Additional
	case 7:
		return &a.Zip
	case 8:
		return &a.CountryCode
	}
	return nil
}

// NeedsFormulaGuard reports whether a spreadsheet could read the value as a formula: its first
// character is '=', '+', '-', '@', TAB, CR, LF or NUL, and it is not a plain number
// (^-?[0-9]+([.,][0-9]+)?$). CSV prefixes such values with a single quote; XLSX marks the
// cell quote-prefixed instead; the importer removes exactly that one quote.
func NeedsFormulaGuard(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '@', '\t', '\r', '\n', 0:
		return true
	case '-':
		return !isPlainNumber(s)
	}
	return false
}

// isPlainNumber matches ^-?[0-9]+([.,][0-9]+)?$.
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' && s[i] != ',' {
		return false
	}
	i++
	start = i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > start && i == len(s)
}
