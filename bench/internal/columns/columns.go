// Package columns lists the 33 export columns of SPEC section 1 once, so that every anchor
// reads exactly the rows, columns and order that the product exports.
package columns

import "strings"

// Kind is how an XLSX anchor writes a column: the product writes text as text cells, the three
// date columns as date cells and priceRatio as a number, so the anchors do the same.
type Kind uint8

// The kinds.
const (
	Text     Kind = iota
	DateTime      // unix seconds (UTC) in the database
	Date          // 'YYYY-MM-DD' or '' in the database
	Ratio         // ten-thousandths in the database: 7800 = 0.7800
	Bool          // 0 or 1
)

// Column is one export column: its tag (file header) and its column in the customer table.
type Column struct {
	Tag, Name string
	Kind      Kind
}

// All holds the export columns in SPEC section 1 order. delivery_extra is not one of them:
// only XML carries further delivery addresses.
var All = [...]Column{
	{"guid", "guid", Text},
	{"accountGuid", "account_guid", Text},
	{"email", "email", Text},
	{"registrationDate", "registration_date", DateTime},
	{"billingFullName", "billing_full_name", Text},
	{"billingCompany", "billing_company", Text},
	{"billingStreet", "billing_street", Text},
	{"billingHouseNumber", "billing_house_number", Text},
	{"billingCity", "billing_city", Text},
	{"billingDistrict", "billing_district", Text},
	{"billingAdditional", "billing_additional", Text},
	{"billingZip", "billing_zip", Text},
	{"billingCountryCode", "billing_country_code", Text},
	{"companyId", "company_id", Text},
	{"vatId", "vat_id", Text},
	{"taxId", "tax_id", Text},
	{"phone", "phone", Text},
	{"deliveryFullName", "delivery_full_name", Text},
	{"deliveryCompany", "delivery_company", Text},
	{"deliveryStreet", "delivery_street", Text},
	{"deliveryHouseNumber", "delivery_house_number", Text},
	{"deliveryCity", "delivery_city", Text},
	{"deliveryDistrict", "delivery_district", Text},
	{"deliveryAdditional", "delivery_additional", Text},
	{"deliveryZip", "delivery_zip", Text},
	{"deliveryCountryCode", "delivery_country_code", Text},
	{"customerGroup", "customer_group", Text},
	{"priceList", "price_list", Text},
	{"priceRatio", "price_ratio", Ratio},
	{"birthDate", "birth_date", Date},
	{"remark", "remark", Text},
	{"disabledOrders", "disabled_orders", Bool},
	{"changeTime", "change_time", DateTime},
}

// Select is the export query of every anchor. Each column is aliased to its tag so that
// `sqlite3 -header` prints the product's header row and the C anchor can take its header (and
// the kind of each column) from sqlite3_column_name. The ORDER BY is the product's and is served
// by index customer_registration without a sort; the harness checks that with EXPLAIN QUERY PLAN.
func Select() string { return selectAll(false) }

// RawScan is the floor: SQLite reads every value of the same columns in the same index order
// and only adds up their lengths, so it pays for the scan and nothing for formatting or
// writing. An aggregate has no use for ORDER BY and SQLite would scan the table b-tree instead,
// so INDEXED BY forces the export's access path: the index in order plus one table lookup per
// row. length() of an integer column formats it as text, about what any export must do too.
func RawScan() string {
	var b strings.Builder
	b.WriteString("SELECT sum(")
	for i, c := range All {
		if i > 0 {
			b.WriteString(" + ")
		}
		b.WriteString("length(" + c.Name + ")")
	}
	b.WriteString(") FROM customer INDEXED BY customer_registration")
	return b.String()
}

// PostgresSelect is Select for the product's PostgreSQL schema: the same columns, order and
// header. The aliases are quoted, as PostgreSQL folds unquoted names to lower case, and
// disabled_orders, a boolean there, is read as 0 or 1 as SQLite holds it. The ORDER BY is
// served by index customer_registration (guid is COLLATE "C") without a sort; the harness
// checks that with EXPLAIN.
func PostgresSelect() string { return selectAll(true) }

// selectAll writes the export query, for PostgreSQL or for SQLite.
func selectAll(postgres bool) string {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, c := range All {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name)
		switch {
		case postgres && c.Kind == Bool:
			b.WriteString(`::int AS "` + c.Tag + `"`)
		case postgres && c.Tag != c.Name:
			b.WriteString(` AS "` + c.Tag + `"`)
		case c.Tag != c.Name:
			b.WriteString(" AS " + c.Tag)
		}
	}
	b.WriteString(" FROM customer ORDER BY registration_date, guid")
	return b.String()
}
