package web

import (
	"errors"
	"net/http"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/i18n"
)

// Changing one's own password.

type passwordData struct {
	MinLength int
	Errors    map[string]string
}

func (s *Server) handlePasswordPage(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	s.render(w, r, http.StatusOK, "password", &page{User: u, Title: requestLang(r).T("account.title"), Nav: "account",
		Notice: s.takeFlash(w, r), Data: passwordData{MinLength: s.MinPasswordLength, Errors: map[string]string{}}})
}

// handlePasswordChange sets a new password after checking the current one. Changing it ends
// every session of the user (a stolen session dies with the old password); this browser gets
// a new one.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request, u *custexport.User) {
	l := requestLang(r)
	current, next, repeat := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("repeat")
	d := passwordData{MinLength: s.MinPasswordLength, Errors: map[string]string{}}
	if ok, err := s.VerifyPassword(current, u.PasswordHash); err != nil || !ok {
		d.Errors["current"] = l.T("account.wrongcurrent")
	}
	if err := s.CheckPassword(next); err != nil {
		d.Errors["new"] = l.T("account.policy", s.MinPasswordLength)
		var e *custexport.Error
		if errors.As(err, &e) && l == i18n.EN {
			d.Errors["new"] = l.T("account.refused", e.Message)
		}
	} else if next != repeat {
		d.Errors["repeat"] = l.T("account.mismatch")
	}
	if len(d.Errors) > 0 {
		s.render(w, r, http.StatusBadRequest, "password", &page{User: u, Title: l.T("account.title"), Nav: "account",
			Error: l.T("form.invalid"), Data: d})
		return
	}
	if err := s.Store.SetPasswordHash(r.Context(), u.ID, s.HashPassword(next), u.Principal()); err != nil {
		s.fail(w, r, u, "account", err)
		return
	}
	if err := s.startSession(w, r, u); err != nil {
		s.fail(w, r, u, "account", err)
		return
	}
	s.setFlash(w, "account.changed", "")
	http.Redirect(w, r, "/account/password", http.StatusSeeOther)
}
