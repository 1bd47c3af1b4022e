package xmlfile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

// encode writes a whole document with the package's encoder.
func encode(t testing.TB, cs []custexport.Customer, loc *time.Location) []byte {
	t.Helper()
	var out bytes.Buffer
	sample.Encode(t, New(&out, custexport.EncodeOptions{Location: loc}), cs)
	return out.Bytes()
}

// xmllint validates the file against the canonical schema with libxml2, a reader independent
// of this package and of Go. It returns xmllint's exit code and its output.
func xmllint(t testing.TB, path string) (int, string) {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint not found; install it with: apt-get install libxml2-utils")
	}
	out, err := exec.Command(bin, "--noout", "--schema", "customers.xsd", path).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	}
	t.Fatalf("running xmllint: %v", err)
	return 0, ""
}

// mustValidate fails the test unless xmllint accepts doc under the schema.
func mustValidate(t testing.TB, name string, doc []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := xmllint(t, path); code != 0 {
		t.Fatalf("xmllint rejects %s (exit %d):\n%s", name, code, out)
	}
}

// isXMLChar is the Char production of XML 1.0 (fifth edition), section 2.2.
func isXMLChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// xmlSafe is what the package documents a value becomes: each character XML 1.0 forbids and
// each byte of invalid UTF-8 turns into U+FFFD. Written independently of appendEscaped.
func xmlSafe(s string) string {
	var sb strings.Builder
	for _, r := range s { // range yields U+FFFD for each byte of invalid UTF-8
		if !isXMLChar(r) {
			r = utf8.RuneError
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// checkXMLChars fails unless doc is valid UTF-8 made only of characters XML 1.0 allows.
func checkXMLChars(t testing.TB, doc []byte) {
	t.Helper()
	if !utf8.Valid(doc) {
		t.Fatal("output is not valid UTF-8")
	}
	for i, r := range string(doc) {
		if !isXMLChar(r) {
			t.Fatalf("output holds %U at byte %d, which XML 1.0 forbids", r, i)
		}
	}
}

// The document as encoding/xml reads it.
type (
	xDoc struct {
		XMLName   xml.Name    `xml:"CUSTOMERS"`
		Customers []xCustomer `xml:"CUSTOMER"`
	}
	xCustomer struct {
		GUID           string      `xml:"GUID"`
		CreationTime   string      `xml:"CREATION_TIME"`
		ChangeTime     string      `xml:"CHANGE_TIME"`
		Accounts       []xAccount  `xml:"ACCOUNTS>ACCOUNT"`
		Billing        xBilling    `xml:"BILLING_ADDRESS"`
		Delivery       []xDelivery `xml:"DELIVERY_ADDRESSES>DELIVERY_ADDRESS"`
		CustomerGroup  string      `xml:"CUSTOMER_GROUP"`
		PriceList      string      `xml:"PRICE_LIST"`
		PriceRatio     string      `xml:"PRICE_RATIO"`
		BirthDate      string      `xml:"BIRTH_DATE"`
		Remark         string      `xml:"REMARK"`
		DisabledOrders string      `xml:"DISABLED_ORDERS"`
	}
	xAccount struct {
		GUID        string `xml:"GUID"`
		Email       string `xml:"EMAIL"`
		Phone       string `xml:"PHONE"`
		MainAccount string `xml:"MAIN_ACCOUNT"`
	}
	xAddress struct {
		FullName    string `xml:"FULL_NAME"`
		Company     string `xml:"COMPANY"`
		Street      string `xml:"STREET"`
		HouseNumber string `xml:"HOUSE_NUMBER"`
		City        string `xml:"CITY"`
		District    string `xml:"DISTRICT"`
		Additional  string `xml:"ADDITIONAL"`
		Zip         string `xml:"ZIP"`
		CountryCode string `xml:"COUNTRY_CODE"`
	}
	xBilling struct {
		xAddress
		CompanyID string `xml:"COMPANY_ID"`
		VatID     string `xml:"VAT_ID"`
		TaxID     string `xml:"TAX_ID"`
	}
	xDelivery struct {
		xAddress
		IsDefault string `xml:"IS_DEFAULT"`
	}
)

// decode parses doc with encoding/xml, which also checks that it is well-formed.
func decode(t testing.TB, doc []byte) xDoc {
	t.Helper()
	var d xDoc
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatalf("encoding/xml cannot read the output: %v", err)
	}
	return d
}

// compareDoc checks every value read back against the customers that were encoded.
func compareDoc(t testing.TB, got xDoc, want []custexport.Customer, loc *time.Location) {
	t.Helper()
	if len(got.Customers) != len(want) {
		t.Fatalf("read %d customers, want %d", len(got.Customers), len(want))
	}
	for i := range want {
		for _, diff := range diffCustomer(&got.Customers[i], &want[i], loc) {
			t.Errorf("customer %d (%s): %s", i, want[i].GUID, diff)
		}
	}
}

func diffCustomer(g *xCustomer, w *custexport.Customer, loc *time.Location) []string {
	var diffs []string
	eq := func(field, got, want string) {
		if got != want {
			diffs = append(diffs, fmt.Sprintf("%s = %q, want %q", field, got, want))
		}
	}
	text := func(field, got, want string) { eq(field, got, xmlSafe(want)) }
	// time.Format is an independent formatter for the shop-time text with its offset.
	iso := func(t time.Time) string { return t.In(loc).Format("2006-01-02T15:04:05-07:00") }
	bit := func(v bool) string {
		if v {
			return "1"
		}
		return "0"
	}
	address := func(prefix string, g xAddress, w custexport.Address) {
		text(prefix+"FULL_NAME", g.FullName, w.FullName)
		text(prefix+"COMPANY", g.Company, w.Company)
		text(prefix+"STREET", g.Street, w.Street)
		text(prefix+"HOUSE_NUMBER", g.HouseNumber, w.HouseNumber)
		text(prefix+"CITY", g.City, w.City)
		text(prefix+"DISTRICT", g.District, w.District)
		text(prefix+"ADDITIONAL", g.Additional, w.Additional)
		text(prefix+"ZIP", g.Zip, w.Zip)
		text(prefix+"COUNTRY_CODE", g.CountryCode, w.CountryCode)
	}

	eq("GUID", g.GUID, w.GUID)
	eq("CREATION_TIME", g.CreationTime, iso(w.RegistrationDate))
	eq("CHANGE_TIME", g.ChangeTime, iso(w.ChangeTime))
	if len(g.Accounts) != 1 {
		diffs = append(diffs, fmt.Sprintf("%d ACCOUNTs, want 1", len(g.Accounts)))
	} else {
		eq("ACCOUNT/GUID", g.Accounts[0].GUID, w.AccountGUID)
		text("EMAIL", g.Accounts[0].Email, w.Email)
		text("PHONE", g.Accounts[0].Phone, w.Phone)
		eq("MAIN_ACCOUNT", g.Accounts[0].MainAccount, "1")
	}
	address("BILLING_ADDRESS/", g.Billing.xAddress, w.Billing)
	text("COMPANY_ID", g.Billing.CompanyID, w.CompanyID)
	text("VAT_ID", g.Billing.VatID, w.VatID)
	text("TAX_ID", g.Billing.TaxID, w.TaxID)
	if len(g.Delivery) != len(w.Delivery) {
		diffs = append(diffs, fmt.Sprintf("%d DELIVERY_ADDRESSes, want %d", len(g.Delivery), len(w.Delivery)))
	} else {
		for j := range w.Delivery {
			prefix := fmt.Sprintf("DELIVERY_ADDRESS[%d]/", j)
			address(prefix, g.Delivery[j].xAddress, w.Delivery[j])
			eq(prefix+"IS_DEFAULT", g.Delivery[j].IsDefault, bit(j == 0))
		}
	}
	text("CUSTOMER_GROUP", g.CustomerGroup, w.CustomerGroup)
	text("PRICE_LIST", g.PriceList, w.PriceList)
	eq("PRICE_RATIO", g.PriceRatio, fmt.Sprintf("%d.%04d", w.PriceRatio/10000, w.PriceRatio%10000))
	birth := ""
	if !w.BirthDate.IsZero() {
		birth = fmt.Sprintf("%04d-%02d-%02d", w.BirthDate.Year, w.BirthDate.Month, w.BirthDate.Day)
	}
	eq("BIRTH_DATE", g.BirthDate, birth)
	text("REMARK", g.Remark, w.Remark)
	eq("DISABLED_ORDERS", g.DisabledOrders, bit(w.DisabledOrders))
	return diffs
}

// clip cuts s to at most n characters, counting each invalid UTF-8 byte as one (it becomes
// one U+FFFD), which is how the schema's maxLength will count the written value.
func clip(s string, n int) string {
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}

// fuzzing reports whether the test binary runs as a fuzzer (coordinator or worker) rather
// than just running the seed corpus.
func fuzzing() bool {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return true
	}
	f := flag.Lookup("test.fuzzworker")
	return f != nil && f.Value.String() == "true"
}
