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
	want := []string{"guid", "accountGuid", "email", "registrationDate", "billingFullName", "billingCompany", "billingStreet",
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

// TestTextAndSetText pins the one mapping of the flat record's text columns to fields: every
// text column reads back what was set, a delivery column creates the default address, and
// clearing its last field removes it again.
func TestTextAndSetText(t *testing.T) {
	var c Customer
	for col := Column(0); int(col) < NumColumns; col++ {
		if col.Kind() != KindText {
			continue
		}
		v := "v" + col.Tag()
		c.SetText(col, v)
		if got := c.Text(col); got != v {
			t.Errorf("column %s: Text = %q after SetText(%q)", col.Tag(), got, v)
		}
	}
	if c.Billing.CountryCode != "vbillingCountryCode" || c.Delivery[0].Zip != "vdeliveryZip" || c.Remark != "vremark" {
		t.Errorf("SetText wrote the wrong fields: %+v", c)
	}
	if c.Text(ColPriceRatio) != "" || c.Text(ColRegistrationDate) != "" {
		t.Error("Text of a column that is not text is not empty")
	}

	var d Customer
	d.SetText(ColDeliveryCity, "")
	if d.Delivery != nil {
		t.Error("clearing a delivery field of a customer without one created an address")
	}
	d.SetText(ColDeliveryCity, "Brno")
	if len(d.Delivery) != 1 || d.Delivery[0].City != "Brno" || d.Text(ColDeliveryCity) != "Brno" {
		t.Fatalf("setting a delivery field: %+v", d.Delivery)
	}
	d.SetText(ColDeliveryCity, "")
	if d.Delivery != nil {
		t.Errorf("clearing the last delivery field kept the address: %+v", d.Delivery)
	}
}
