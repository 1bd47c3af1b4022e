package web

import (
	"context"
	"errors"
	"math/bits"
	"net/http"
	"slices"
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
	Health partnerHealth
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
	health, err := s.partnersHealth(r.Context(), now)
	if err != nil {
		s.fail(w, r, u, "partners", err)
		return
	}
	for _, pt := range list {
		h := health[pt.ID]
		if h == nil {
			h = &partnerHealth{}
		}
		h.judge(now)
		d.Partners = append(d.Partners, partnerRow{Partner: pt, Active: pt.ActiveAt(now, s.Location), Health: *h})
	}
	l := requestLang(r)
	p.User, p.Title, p.Nav, p.Data, p.Path = u, l.T("partners.title")+" · "+l.T("settings.title"), "partners", d, "/settings/partners"
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
		if until, err = custexport.ParseDate(formDate(d.ValidTill)); err != nil {
			d.Errors["valid_until"] = l.T("err.date", d.ValidTill)
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
	Button, Back     string // the buttons, each naming what it does
	BackURL          string // where Back goes; "" for the partners page
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
	title, button, back := l.T("partners.regtitle"), l.T("partners.regen.do", p.Name), l.T("confirm.noregen")
	if action == "delete" {
		title, button, back = l.T("partners.deltitle"), l.T("partners.delete.do", p.Name), l.T("confirm.nodelete")
	}
	s.render(w, r, http.StatusOK, "confirm", &page{User: u, Nav: "partners", Title: title,
		Data: confirmData{Question: question, Action: r.URL.Path, Button: button, Back: back}})
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

// A partner's health on the partners page: when it last downloaded, how often it failed since,
// and whether a partner that downloads daily has gone silent.
//
// "Downloads daily" is precise: the partner has a successful download (outcome served) on at
// least dailyDays of the dailyWindow calendar days (shop time) that end with the day of its last
// successful download. Such a partner is "silent" when its last successful download is more than
// silentAfter ago; the page then warns. Only the last healthWindow of the access log is read.
const (
	healthWindow = 60 * 24 * time.Hour
	dailyWindow  = 7
	dailyDays    = 6
	silentAfter  = 3 * 24 * time.Hour
)

type partnerHealth struct {
	LastOK     time.Time // the last successful download in the window; zero: none
	Failures   int64     // attempts that were not served, since LastOK (or in the window)
	Daily      bool      // downloads daily (see above)
	SilentDays int64     // > 0: a daily partner silent for this many whole days
	okDays     uint8     // bit i: a successful download i days before LastOK's day
	dayOfOK    int64
}

// partnersHealth reads the partners' entries of the last healthWindow, newest first (the store's
// order): until a partner's newest served entry every refusal counts as a failure since.
func (s *Server) partnersHealth(ctx context.Context, now time.Time) (map[int64]*partnerHealth, error) {
	health := map[int64]*partnerHealth{}
	q := custexport.AccessQuery{Principal: string(custexport.PrincipalPartner), From: now.Add(-healthWindow)}
	err := s.Store.QueryAccess(ctx, q, func(e *custexport.AccessEntry) error {
		if e.Principal.Kind != custexport.PrincipalPartner || e.Principal.ID == 0 {
			return nil
		}
		h := health[e.Principal.ID]
		if h == nil {
			h = &partnerHealth{}
			health[e.Principal.ID] = h
		}
		switch {
		case e.Outcome == custexport.OutcomeServed && h.LastOK.IsZero():
			h.LastOK, h.dayOfOK, h.okDays = e.At, dayNumber(e.At.In(s.Location)), 1
		case e.Outcome == custexport.OutcomeServed:
			if back := h.dayOfOK - dayNumber(e.At.In(s.Location)); back >= 0 && back < dailyWindow {
				h.okDays |= 1 << back
			}
		case h.LastOK.IsZero() && slices.Contains(chartOutcomes, e.Outcome):
			h.Failures++
		}
		return nil
	})
	return health, err
}

// judge decides, at now, whether the partner downloads daily and has gone silent.
func (h *partnerHealth) judge(now time.Time) {
	h.Daily = bits.OnesCount8(h.okDays) >= dailyDays
	if since := now.Sub(h.LastOK); h.Daily && since > silentAfter {
		h.SilentDays = int64(since / (24 * time.Hour))
	}
}
