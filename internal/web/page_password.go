package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
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
	// The current password is a login in disguise (a stolen session could guess it): the same
	// length limit before anything is counted, and the same limiter as the login page.
	if len(current) > s.maxPasswordBytes() {
		d.Errors["current"] = l.T("login.toolong", s.maxPasswordBytes())
	} else {
		now, network, nameKey := time.Now(), clientip.Network(s.clientAddr(r)), custexport.UserNameKey(u.Name)
		if blocked, wait := s.LoginLimiter.Blocked(nameKey, network, now); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			s.render(w, r, http.StatusTooManyRequests, "password", &page{User: u, Title: l.T("account.title"), Nav: "account",
				Error: l.T("login.limited", int(wait.Seconds())+1), Data: d})
			return
		}
		if ok, err := s.VerifyPassword(current, u.PasswordHash); err != nil || !ok {
			s.LoginLimiter.Fail(nameKey, network, now)
			d.Errors["current"] = l.T("account.wrongcurrent")
		}
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
