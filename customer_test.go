package custexport

import "testing"

func TestNeedsFormulaGuard(t *testing.T) {
	guarded := []string{"=1+1", "+420 777", "@SUM(A1)", "-", "-5 %", "-1e5", "-1.", "-.5", "\tx", "\rx", "\nx", "\x00x", "=", "-1,2,3"}
	plain := []string{"", "0", "12", "-12", "-3,5", "-3.5", "01234", "a=b", " =x", "Novák", "'=x"}
	for _, s := range guarded {
		if !NeedsFormulaGuard(s) {
			t.Errorf("NeedsFormulaGuard(%q) = false, want true", s)
		}
	}
	for _, s := range plain {
		if NeedsFormulaGuard(s) {
			t.Errorf("NeedsFormulaGuard(%q) = true, want false", s)
		}
	}
}

func TestPriceRatioDecimal(t *testing.T) {
	cases := map[PriceRatio][2]string{
		7800:   {"0.7800", "0,7800"},
		10000:  {"1.0000", "1,0000"},
		0:      {"0.0000", "0,0000"},
		12345:  {"1.2345", "1,2345"},
		-500:   {"-0.0500", "-0,0500"},
		100001: {"10.0001", "10,0001"},
	}
	for r, want := range cases {
		if got := string(r.AppendDecimal(nil, '.')); got != want[0] {
			t.Errorf("%d with point = %q, want %q", r, got, want[0])
		}
		if got := string(r.AppendDecimal(nil, ',')); got != want[1] {
			t.Errorf("%d with comma = %q, want %q", r, got, want[1])
		}
	}
}

func TestColumnsMatchTheSpec(t *testing.T) {
	want := []string{"guid", "email", "registrationDate", "billingFullName", "billingCompany", "billingStreet",
		"billingHouseNumber", "billingCity", "billingDistrict", "billingAdditional", "billingZip", "billingCountryCode",
		"companyId", "vatId", "taxId", "phone", "deliveryFullName", "deliveryCompany", "deliveryStreet",
		"deliveryHouseNumber", "deliveryCity", "deliveryDistrict", "deliveryAdditional", "deliveryZip",
		"deliveryCountryCode", "customerGroup", "priceList", "priceRatio", "birthDate", "remark", "disabledOrders", "changeTime"}
	if NumColumns != len(want) {
		t.Fatalf("NumColumns = %d, want %d", NumColumns, len(want))
	}
	for i, tag := range want {
		if got := Column(i).Tag(); got != tag {
			t.Errorf("column %d tag = %q, want %q", i, got, tag)
		}
	}
	c := Customer{Billing: Address{City: "Brno"}, Delivery: []Address{{City: "Praha"}, {City: "Ostrava"}}}
	if c.Text(ColBillingCity) != "Brno" || c.Text(ColDeliveryCity) != "Praha" {
		t.Error("Text must read billing and the default (first) delivery address")
	}
	if (&Customer{}).Text(ColDeliveryCity) != "" {
		t.Error("a customer without delivery address has empty delivery columns")
	}
}
