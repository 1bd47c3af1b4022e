package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/clientip"
	"github.com/custexport/custexport/internal/i18n"
)

// The sign-in page, signing in and out, and the language switch.

type loginData struct {
	User, Next string
	Expired    bool
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := &page{Title: requestLang(r).T("login.title"), Data: loginData{Next: localPath(q.Get("next")), Expired: q.Get("expired") == "1"}}
	s.render(w, r, http.StatusOK, "login", p)
}

// maxPasswordBytes is the longest password the server hashes (password.MaxBytes by default).
func (s *Server) maxPasswordBytes() int {
	if s.MaxPasswordBytes > 0 {
		return s.MaxPasswordBytes
	}
	return defaultMaxPasswordBytes
}

// defaultMaxPasswordBytes is password.MaxBytes, for a Server whose main did not say.
const defaultMaxPasswordBytes = 1024

// overlong reports a user name or password longer than any that can be right.
func (s *Server) overlong(name, pw string) bool {
	return len(pw) > s.maxPasswordBytes() || utf8.RuneCountInString(name) > custexport.MaxUserNameLength
}

// localPath keeps a "come back to" address only when it is a path on this server: anything
// else would make the login page an open redirect. Browsers read a Location leniently (a
// backslash as a slash, tabs and newlines dropped: "/<TAB>/evil.example" and "/./\\evil.example"
// both lead off the site), so the address must parse as a path alone, with no backslash and no
// control character anywhere, and must not start with "//".
func localPath(next string) string {
	const home = "/customers"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') {
		return home
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return home
	}
	return next
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	l := requestLang(r)
	name, pw := strings.TrimSpace(r.PostFormValue("user")), r.PostFormValue("password")
	next := localPath(r.PostFormValue("next"))
	data := loginData{User: name, Next: next}
	// An over-long name or password is refused before anything is counted or hashed: it
	// cannot be right, and counting it would let cheap requests fill the limiter.
	if s.overlong(name, pw) {
		data.User = ""
		s.render(w, r, http.StatusBadRequest, "login", &page{Title: l.T("login.title"),
			Error: l.T("login.toolong", s.maxPasswordBytes()), Data: data})
		return
	}
	now := time.Now()
	network := clientip.Network(s.clientAddr(r))
	nameKey := custexport.UserNameKey(name)
	if blocked, wait := s.LoginLimiter.Blocked(nameKey, network, now); blocked {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		s.render(w, r, http.StatusTooManyRequests, "login", &page{Title: l.T("login.title"),
			Error: l.T("login.limited", int(wait.Seconds())+1), Data: data})
		return
	}
	u, err := s.Store.UserByName(r.Context(), name)
	ok := false
	switch {
	case err == nil:
		ok, err = s.VerifyPassword(pw, u.PasswordHash)
		if err != nil {
			s.Logger.Error("verifying a password", "user", u.ID, "err", err)
			ok = false
		}
	case custexport.ErrorCode(err) == custexport.CodeNotFound:
		s.VerifyDummy(pw)
	default:
		s.fail(w, r, nil, "", err)
		return
	}
	if !ok {
		s.LoginLimiter.Fail(nameKey, network, now)
		s.Logger.Info("login failed", "client", network.String())
		s.render(w, r, http.StatusUnauthorized, "login", &page{Title: l.T("login.title"), Error: l.T("login.wrong"), Data: data})
		return
	}
	if err := s.startSession(w, r, u); err != nil {
		s.fail(w, r, nil, "", err)
		return
	}
	s.Store.TouchLogin(r.Context(), u.ID, now)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if sess, err := s.Store.SessionByTokenHash(r.Context(), custexport.HashSessionToken(c.Value)); err == nil {
			s.Store.DeleteSession(r.Context(), sess.ID)
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// handleLang remembers the chosen language for a year and goes back to the page.
func (s *Server) handleLang(w http.ResponseWriter, r *http.Request) {
	l, _ := i18n.Parse(r.PostFormValue("lang"))
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, localPath(r.PostFormValue("back")), http.StatusSeeOther)
}
