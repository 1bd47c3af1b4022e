package web

import (
	"net/http"
	"strings"

	"github.com/custexport/custexport"
)

// The customer list (Zákazníci): search and pages.

type customersData struct {
	Query string
	Page  custexport.CustomerPage
	Pager pager
}

func (s *Server) handleCustomers(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	first, err := s.Store.SearchCustomers(r.Context(), custexport.CustomerSearch{Text: q, Limit: 1})
	if err != nil {
		s.fail(w, r, u, "customers", err)
		return
	}
	pg, offset := newPager(r, first.Total)
	res, err := s.Store.SearchCustomers(r.Context(), custexport.CustomerSearch{Text: q, Offset: offset, Limit: pageSize})
	if err != nil {
		s.fail(w, r, u, "customers", err)
		return
	}
	s.render(w, r, http.StatusOK, "customers", &page{User: u, Title: l.T("customers.title"), Nav: "customers",
		Data: customersData{Query: q, Page: res, Pager: pg}})
}
