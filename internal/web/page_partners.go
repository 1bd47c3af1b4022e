package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/linksign"
)

// Export security (Zabezpečení exportů): the partners, their creation, regeneration and deletion.

type partnerRow struct {
	custexport.Partner
	Active bool
}

type partnersData struct {
	Partners              []partnerRow
	Name, Note, ValidTill string
	Errors                map[string]string
}

func (s *Server) partnersPage(w http.ResponseWriter, r *http.Request, u *custexport.User, status int, d partnersData, p *page) {
	list, err := s.Store.Partners(r.Context())
	if err != nil {
		s.fail(w, r, u, "partners", err)
		return
	}
	now := time.Now()
	for _, pt := range list {
		d.Partners = append(d.Partners, partnerRow{Partner: pt, Active: pt.ActiveAt(now, s.Location)})
	}
	l := requestLang(r)
	p.User, p.Title, p.Nav, p.Data, p.Path = u, l.T("partners.title"), "partners", d, "/settings/partners"
	s.render(w, r, status, "partners", p)
}

func (s *Server) handlePartners(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	p := &page{Notice: s.takeFlash(w, r)}
	s.partnersPage(w, r, u, http.StatusOK, partnersData{Errors: map[string]string{}}, p)
}

func (s *Server) handlePartnerCreate(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	d := partnersData{Name: strings.TrimSpace(r.PostFormValue("name")), Note: strings.TrimSpace(r.PostFormValue("note")),
		ValidTill: strings.TrimSpace(r.PostFormValue("valid_until")), Errors: map[string]string{}}
	// The domain's rule for a partner's text (the stores apply it too), each error beside its
	// field in the page's language.
	for _, e := range custexport.ProblemsOf(custexport.ValidatePartner(d.Name, d.Note)) {
		d.Errors[e.Field] = l.Problem(e)
	}
	var until custexport.Date
	if d.ValidTill != "" {
		var err error
		if until, err = custexport.ParseDate(d.ValidTill); err != nil {
			d.Errors["valid_until"] = l.T("err.date")
		}
	}
	if len(d.Errors) > 0 {
		s.partnersPage(w, r, u, http.StatusBadRequest, d, &page{Error: l.T("form.invalid")})
		return
	}
	salt, err := linksign.NewSalt()
	if err != nil {
		s.fail(w, r, u, "partners", err)
		return
	}
	p := &custexport.Partner{Name: d.Name, Note: d.Note, ValidUntil: until, LinkSalt: salt}
	if err := s.Store.CreatePartner(r.Context(), p, u.Principal()); err != nil {
		var e *custexport.Error
		if errors.As(err, &e) && e.Code == custexport.CodeInvalid && e.Field != "" {
			d.Errors[e.Field] = l.Problem(e)
			s.partnersPage(w, r, u, http.StatusBadRequest, d, &page{Error: l.T("form.invalid")})
			return
		}
		s.fail(w, r, u, "partners", err)
		return
	}
	s.setFlash(w, "partners.created", p.Name)
	http.Redirect(w, r, "/settings/partners", http.StatusSeeOther)
}

type confirmData struct {
	Question, Action string
}

func (s *Server) partnerFromPath(r *http.Request) (*custexport.Partner, string, error) {
	action := r.PathValue("action")
	if action != "regenerate" && action != "delete" {
		return nil, "", custexport.Errorf(custexport.CodeNotFound, "no such action")
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, "", custexport.Errorf(custexport.CodeNotFound, "no such partner")
	}
	p, err := s.Store.Partner(r.Context(), id)
	return p, action, err
}

// handlePartnerConfirm asks before regenerating or deleting: both break every link issued.
func (s *Server) handlePartnerConfirm(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	p, action, err := s.partnerFromPath(r)
	if err != nil {
		s.fail(w, r, u, "partners", err)
		return
	}
	question := l.T("partners.regenq", p.Name)
	if action == "delete" {
		question = l.T("partners.deleteq", p.Name)
	}
	s.render(w, r, http.StatusOK, "confirm", &page{User: u, Nav: "partners", Title: l.T("partners.title"),
		Data: confirmData{Question: question, Action: r.URL.Path}})
}

func (s *Server) handlePartnerAction(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	p, action, err := s.partnerFromPath(r)
	if err != nil {
		s.fail(w, r, u, "partners", err)
		return
	}
	done := "partners.deleted"
	if action == "regenerate" {
		salt, err := linksign.NewSalt()
		if err == nil {
			err = s.Store.RegeneratePartner(r.Context(), p.ID, salt, u.Principal())
		}
		done = "partners.regened"
		if err != nil {
			s.fail(w, r, u, "partners", err)
			return
		}
	} else if err := s.Store.DeletePartner(r.Context(), p.ID, u.Principal()); err != nil {
		s.fail(w, r, u, "partners", err)
		return
	}
	s.setFlash(w, done, p.Name)
	http.Redirect(w, r, "/settings/partners", http.StatusSeeOther)
}
