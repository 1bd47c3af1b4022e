package web

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/custexport/custexport"
)

// sessionCookie holds the session token; only its SHA-256 is stored.
const sessionCookie = "custexport_session"

// authedHandler is a page handler with the signed-in user.
type authedHandler func(w http.ResponseWriter, r *http.Request, u *custexport.User)

// authed lets the request through only with a live session; otherwise it goes to the login
// page, which comes back here afterwards.
func (s *Server) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, expired, err := s.sessionUser(w, r)
		if err != nil {
			s.fail(w, r, nil, "", err)
			return
		}
		if u == nil {
			q := url.Values{"next": {r.URL.RequestURI()}}
			if r.Method != http.MethodGet {
				q.Set("next", r.URL.Path)
			}
			if expired {
				q.Set("expired", "1")
			}
			http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
			return
		}
		h(w, r, u)
	}
}

// sessionUser returns the user of the request's session, or nil (and whether a session had
// expired) when there is none.
func (s *Server) sessionUser(w http.ResponseWriter, r *http.Request) (*custexport.User, bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, false, nil
	}
	ctx := r.Context()
	sess, err := s.Store.SessionByTokenHash(ctx, custexport.HashSessionToken(c.Value))
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		s.clearSessionCookie(w)
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	now := time.Now()
	if s.Lifetime.Expired(sess, now) {
		s.Store.DeleteSession(ctx, sess.ID)
		s.clearSessionCookie(w)
		return nil, true, nil
	}
	u, err := s.Store.UserByID(ctx, sess.UserID)
	if custexport.ErrorCode(err) == custexport.CodeNotFound {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	// Once a minute is enough to keep the idle timeout honest without a write per page.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.Store.TouchSession(ctx, sess.ID, now); err != nil {
			s.Logger.Warn("touching a session", "err", err)
		}
	}
	return u, false, nil
}

func (s *Server) secureCookies() bool { return strings.HasPrefix(s.PublicURL, "https://") }

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

// startSession makes a new session for u and gives its token to the browser. A new token at
// every login (and password change) means a token planted before cannot be ridden.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *custexport.User) error {
	token, hash := custexport.NewSessionToken()
	if err := s.Store.CreateSession(r.Context(), &custexport.Session{UserID: u.ID, TokenHash: hash}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
	return nil
}

// clientAddr is the address of the browser (behind the trusted proxies).
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	addr, _ := s.Clients.ClientAddr(r)
	return addr
}
