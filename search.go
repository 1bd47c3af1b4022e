package custexport

import "time"

// CustomerSearch asks for one page of the admin UI's customer list.
type CustomerSearch struct {
	// Text matches a part of the name, e-mail, company or IČO (company id); empty lists all.
	Text          string
	Offset, Limit int
}

// CustomerSummary is a customer as the list shows it.
type CustomerSummary struct {
	ID                                        int64
	GUID, Email, FullName, Company, CompanyID string
	City                                      string
	Registered                                time.Time
}

// CustomerPage is one page of the list and the count of all customers that match.
type CustomerPage struct {
	Customers []CustomerSummary
	Total     int64
}

// AccessQuery selects access-log entries for the admin UI, newest first.
type AccessQuery struct {
	// Principal matches the principal's kind ("partner", "user", "operator") exactly or a part
	// of its name; empty matches all.
	Principal string
	Outcome   Outcome   // empty: all
	From      time.Time // entries at or after; zero: no limit
	Before    time.Time // entries before; zero: no limit
	Offset    int
	Limit     int // 0: no limit (the CSV download)
}
