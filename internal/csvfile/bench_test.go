package csvfile

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

func BenchmarkEncodeUTF8(b *testing.B) {
	benchmarkEncode(b, custexport.EncodingUTF8, sample.Customers())
}

func BenchmarkEncodeWindows1250(b *testing.B) {
	benchmarkEncode(b, custexport.EncodingWindows1250, sample.Customers())
}

// BenchmarkEncodeTypical runs on ordinary Czech customers (diacritics in names and streets,
// few empty fields, registration dates in order) rather than the fixture's edge cases.
func BenchmarkEncodeTypical(b *testing.B) {
	customers := make([]custexport.Customer, 1000)
	for i := range customers {
		name := fmt.Sprintf("Jan Novák %d", i)
		customers[i] = custexport.Customer{
			GUID:             fmt.Sprintf("%08x-1234-4abc-8def-%012x", i*7919, i*104729),
			Email:            fmt.Sprintf("zakaznik%d@example.cz", 100000+i),
			RegistrationDate: time.Unix(1400000000+int64(i)*600, 0),
			ChangeTime:       time.Unix(1700000000+int64(i)*600, 0),
			Billing: custexport.Address{FullName: name, Street: "Žižkova třída", HouseNumber: fmt.Sprintf("%d/%d", i%200, i%9),
				City: "Žďár nad Sázavou", Zip: fmt.Sprintf("591%02d", i%100), CountryCode: "CZ"},
			Phone:         fmt.Sprintf("+420 777 %06d", i),
			Delivery:      []custexport.Address{{FullName: name, Street: "Skladová", HouseNumber: "1", City: "Brno", Zip: "60200", CountryCode: "CZ"}},
			CustomerGroup: "Maloobchod", PriceList: "Hlavní ceník", PriceRatio: custexport.PriceRatio(10000 - i%30*100),
		}
		if i%5 == 0 {
			customers[i].Billing.Company, customers[i].CompanyID, customers[i].VatID = "Firma s.r.o.", fmt.Sprintf("%08d", i), fmt.Sprintf("CZ%08d", i)
		}
		if i%3 == 0 {
			customers[i].BirthDate = custexport.Date{Year: 1985, Month: 3, Day: 7}
		}
		if i%10 == 0 {
			customers[i].Remark = "Volat před 10:00"
		}
	}
	for _, enc := range []custexport.Encoding{custexport.EncodingUTF8, custexport.EncodingWindows1250} {
		b.Run(string(enc), func(b *testing.B) { benchmarkEncode(b, enc, customers) })
	}
}

// benchmarkEncode encodes the customers cycled, one customer per op; b.SetBytes is the
// average output per customer, so MB/s is output throughput.
func benchmarkEncode(b *testing.B, enc custexport.Encoding, customers []custexport.Customer) {
	opts := custexport.EncodeOptions{Encoding: enc, FormulaGuard: true, Location: sample.Prague}
	out, _ := encodeAll(b, opts, customers)
	header, _ := encodeAll(b, opts, nil)
	b.SetBytes(int64((len(out) - len(header)) / len(customers)))
	e := New(io.Discard, opts)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := e.Encode(&customers[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(customers) {
			i = 0
		}
	}
	if err := e.Close(); err != nil {
		b.Fatal(err)
	}
}
