// Package sample holds a small, hand-checkable set of customers with the values that break
// exporters: diacritics, leading zeros, formula-like text, new lines, quotes and semicolons,
// control characters, emoji and CJK, empty optional fields, several delivery addresses and the
// doubled hour when clocks go back. Every encoder's golden and real-reader tests use it.
package sample

import (
	"time"

	"github.com/custexport/custexport"
)

// Prague is the default shop time zone.
var Prague = mustLoad("Europe/Prague")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Customers returns the fixture customers, already in export order (registration date, guid).
func Customers() []custexport.Customer {
	return []custexport.Customer{
		{
			GUID:             "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162",
			AccountGUID:      "a0c1e2f3-1111-4a11-9a11-0000000000a1",
			Email:            "jan.novak@example.cz",
			RegistrationDate: utc("2016-03-01 08:15:00"),
			Billing: custexport.Address{
				FullName: "Jan Novák", Company: "Novák & syn, s.r.o.", Street: "Dlouhá",
				HouseNumber: "12/3a", City: "Žďár nad Sázavou", District: "Žďár",
				Additional: "2. patro", Zip: "59101", CountryCode: "CZ",
			},
			CompanyID: "00123456", VatID: "CZ00123456", TaxID: "",
			Phone: "+420 777 888 999",
			Delivery: []custexport.Address{
				{FullName: "Jan Novák", Street: "Skladová", HouseNumber: "1", City: "Brno", Zip: "60200", CountryCode: "CZ"},
				{FullName: "Petra Nováková", Street: "Na Příkopě", HouseNumber: "7", City: "Praha", District: "Praha 1", Zip: "11000", CountryCode: "CZ"},
			},
			CustomerGroup: "Velkoobchod", PriceList: "Hlavní ceník", PriceRatio: 7800,
			BirthDate:  custexport.Date{Year: 1985, Month: 3, Day: 7},
			Remark:     "Volat před 10:00; \"VIP\" zákazník\nDruhý řádek\r\nTřetí řádek",
			ChangeTime: utc("2024-07-14 12:00:05"),
		},
		{
			GUID:             "1c2d3e4f-0000-4000-8000-000000000002",
			AccountGUID:      "a0c1e2f3-2222-4b22-8b22-0000000000a2",
			Email:            "zuzana.kovacova@example.sk",
			RegistrationDate: utc("2018-11-30 23:30:00"), // 2018-12-01 00:30 in Prague
			Billing: custexport.Address{
				FullName: "Zuzana Kováčová", Street: "Hlavná", HouseNumber: "5", City: "Žilina",
				Zip: "01001", CountryCode: "SK",
			},
			CompanyID: "", VatID: "SK2020123456", Phone: "0905 123 456",
			Delivery: []custexport.Address{
				{FullName: "Zuzana Kováčová", Company: "Kováč s.r.o.", Street: "Priemyselná", HouseNumber: "22", City: "Žilina", Zip: "01008", CountryCode: "SK"},
			},
			CustomerGroup: "Maloobchod", PriceList: "Hlavní ceník", PriceRatio: custexport.NoDiscount,
			Remark:     "",
			ChangeTime: utc("2018-11-30 23:30:00"),
		},
		{
			GUID:             "2a2a2a2a-2a2a-4a2a-8a2a-2a2a2a2a2a2a",
			AccountGUID:      "a0c1e2f3-3333-4c33-ac33-0000000000a3",
			Email:            "formula@example.com",
			RegistrationDate: utc("2020-06-15 10:00:00"),
			Billing: custexport.Address{
				FullName: "=HYPERLINK(\"http://evil.example/\",\"klikni\")", Company: "+420 s.r.o.",
				Street: "-5 % sleva", HouseNumber: "-12", City: "@SUM(A1)", District: "\tTabulátor",
				Additional: "-3,5", Zip: "00100", CountryCode: "CZ",
			},
			Phone:      "+420 600 000 000",
			PriceRatio: 12500, CustomerGroup: "=1+1", PriceList: "-",
			Remark:     "=cmd|' /C calc'!A0",
			ChangeTime: utc("2020-06-15 10:00:00"),
		},
		{
			GUID:             "3b3b3b3b-3b3b-4b3b-8b3b-3b3b3b3b3b3b",
			AccountGUID:      "a0c1e2f3-4444-4d44-bd44-0000000000a4",
			Email:            "zoe@example.com",
			RegistrationDate: utc("2022-01-10 07:00:00"),
			Billing: custexport.Address{
				FullName: "Zoë 😀 Šťastná", Company: "東京商事", City: "東京", Zip: "100-0001", CountryCode: "JP",
			},
			Phone:      "",
			PriceRatio: 9000,
			BirthDate:  custexport.Date{Year: 2001, Month: 12, Day: 31},
			Remark:     "emoji 🎉 a čeština; \"uvozovky\" a 'apostrofy'",
			ChangeTime: utc("2023-02-01 00:00:00"),
		},
		{
			GUID:             "4c4c4c4c-4c4c-4c4c-8c4c-4c4c4c4c4c4c",
			AccountGUID:      "a0c1e2f3-5555-4e55-8e55-0000000000a5",
			Email:            "control@example.com",
			RegistrationDate: utc("2024-10-27 00:30:00"), // 02:30 CEST, the first of the doubled hour
			Billing: custexport.Address{
				FullName: "  Mezery kolem  ", Company: "Řídicí\x01znak", Street: "Literal _x0041_ text",
				City: "Tab\tuvnitř", Zip: "", CountryCode: "CZ",
			},
			PriceRatio: 0,
			Remark:     "bell\x07 vertical\x0btab form\x0cfeed end",
			ChangeTime: utc("2024-10-27 00:30:00"),
		},
		{
			GUID:             "5d5d5d5d-5d5d-4d5d-8d5d-5d5d5d5d5d5d",
			AccountGUID:      "a0c1e2f3-6666-4f66-9f66-0000000000a6",
			Email:            "minimal@example.com",
			RegistrationDate: utc("2024-10-27 01:30:00"), // 02:30 CET, the second of the doubled hour
			Billing:          custexport.Address{FullName: "Minimální Zákazník"},
			PriceRatio:       custexport.NoDiscount,
			DisabledOrders:   true,
			ChangeTime:       utc("2024-10-27 01:30:00"),
		},
		{
			GUID:             "6e6e6e6e-6e6e-4e6e-8e6e-6e6e6e6e6e6e",
			AccountGUID:      "a0c1e2f3-7777-4077-a077-0000000000a7",
			Email:            "three.addresses@example.cz",
			RegistrationDate: utc("2025-12-31 22:59:59"), // 23:59:59 on the last day of 2025 in Prague
			Billing: custexport.Address{
				FullName: "Eva Třetí", Street: "Masarykova", HouseNumber: "100", City: "Ostrava",
				Zip: "70200", CountryCode: "CZ",
			},
			CompanyID: "12345678", Phone: "777888999",
			Delivery: []custexport.Address{
				{FullName: "Eva Třetí", Street: "Masarykova", HouseNumber: "100", City: "Ostrava", Zip: "70200", CountryCode: "CZ"},
				{FullName: "Eva Třetí", Company: "Sklad", Street: "Průmyslová", HouseNumber: "9", City: "Opava", Zip: "74601", CountryCode: "CZ"},
				{FullName: "Eva Třetí", Street: "Letná", HouseNumber: "3", City: "Košice", Zip: "04001", CountryCode: "SK", Additional: "chata"},
			},
			PriceRatio: 10000, BirthDate: custexport.Date{Year: 1950, Month: 1, Day: 1},
			Remark:     "tři adresy",
			ChangeTime: utc("2026-01-01 00:00:00"),
		},
	}
}
