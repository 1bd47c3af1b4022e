package custexport

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"strings"
	"time"
)

// User is an admin user: one of the shop's staff who logs in to the admin UI with a name and a
// password.
type User struct {
	ID                int64
	Name              string // unique regardless of letter case; see CleanUserName
	PasswordHash      string // the encoded password hash (PHC string); never shown or logged
	CreatedAt         time.Time
	PasswordChangedAt time.Time
	LastLoginAt       time.Time // zero: never
}

// Principal is the user as the one-at-a-time rule and the access log see them.
func (u *User) Principal() Principal {
	return Principal{Kind: PrincipalUser, ID: u.ID, Name: u.Name}
}

// MaxUserNameLength is the longest user name, in characters.
const MaxUserNameLength = 64

// CleanUserName returns name without surrounding spaces, or a CodeInvalid error naming what is
// wrong with it: empty, longer than MaxUserNameLength characters, not UTF-8, or holding a
// control, line-separator or invisible formatting character. Those are refused because a name
// is shown in pages, tables and the access log, where they could forge lines, drive a terminal,
// or make one name look like another (a right-to-left override, a zero-width space).
func CleanUserName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", &Error{Code: CodeInvalid, Field: "name", Reason: ReasonRequired, Message: "a user needs a name"}
	}
	// The same rule as a partner's name: it is shown in the same pages, tables and terminals.
	if err := checkShownText("name", name, MaxUserNameLength); err != nil {
		return "", err
	}
	return name, nil
}

// UserNameKey is the form in which user names are unique and looked up: lower-cased with
// Unicode rules, so "Šárka" and "šárka" are one user (SQLite's NOCASE folds ASCII only).
func UserNameKey(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// UserStore keeps admin users. Changes (created, password changed, deleted) are also written to
// the access log by the store, in the same transaction, so the log cannot miss one; the log
// never holds a password or its hash.
type UserStore interface {
	// AddUser stores a new user and fills u.ID, CreatedAt and PasswordChangedAt. A name that
	// differs from an existing one only in letter case is refused with CodeConflict.
	AddUser(ctx context.Context, u *User, by Principal) error
	// UserByName finds a user whatever the letter case of name; CodeNotFound when none.
	UserByName(ctx context.Context, name string) (*User, error)
	// UserByID returns the user; CodeNotFound when it does not exist (or was deleted).
	UserByID(ctx context.Context, id int64) (*User, error)
	// ListUsers lists the users in the order they were added.
	ListUsers(ctx context.Context) ([]User, error)
	// SetPasswordHash replaces the user's password hash and ends every session of the user:
	// whoever knew the old password is logged out. The UI logs the user in afresh.
	SetPasswordHash(ctx context.Context, id int64, hash string, by Principal) error
	// DeleteUser deletes the user and every session of the user.
	DeleteUser(ctx context.Context, id int64, by Principal) error
	// TouchLogin records a successful login.
	TouchLogin(ctx context.Context, id int64, at time.Time) error
}

// Session is a logged-in browser. The browser holds a random token in a cookie; the store keeps
// only its SHA-256 (HashSessionToken), so a copy of the database cannot be used to log in.
type Session struct {
	ID         int64
	UserID     int64
	TokenHash  []byte // SHA-256 of the cookie token, SessionTokenHashSize bytes
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// SessionTokenHashSize is the length of Session.TokenHash.
const SessionTokenHashSize = sha256.Size

// NewSessionToken returns a new random token for a session cookie (128 bits from crypto/rand,
// as 26 base32 characters) and the hash to store for it.
func NewSessionToken() (token string, hash []byte) {
	token = rand.Text()
	return token, HashSessionToken(token)
}

// HashSessionToken is the hash under which a session is stored and found. A plain hash is
// enough, unlike for passwords: the token is random, not guessable, and a lookup by an indexed
// hash leaks nothing about the token through its timing.
func HashSessionToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// SessionLifetime says how long a session lasts: until it has been idle for Idle, and at most
// MaxAge after login, whichever comes first. A zero duration does not limit.
type SessionLifetime struct {
	Idle   time.Duration
	MaxAge time.Duration
}

// Expired reports whether s has ended at now.
func (l SessionLifetime) Expired(s *Session, now time.Time) bool {
	return (l.Idle > 0 && !now.Before(s.LastSeenAt.Add(l.Idle))) ||
		(l.MaxAge > 0 && !now.Before(s.CreatedAt.Add(l.MaxAge)))
}

// SessionStore keeps the sessions of admin users.
type SessionStore interface {
	// CreateSession stores s and fills its ID; CreatedAt and LastSeenAt default to now.
	// CodeNotFound when the user does not exist, CodeInvalid when TokenHash is not a SHA-256.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByTokenHash finds the session of a cookie token's hash; CodeNotFound when none.
	// It does not judge expiry: the caller checks SessionLifetime.Expired.
	SessionByTokenHash(ctx context.Context, hash []byte) (*Session, error)
	// TouchSession records the session's latest request. Callers need not call it on every
	// request: once a minute or so keeps the idle timeout honest without a write per page.
	TouchSession(ctx context.Context, id int64, at time.Time) error
	// DeleteSession ends one session (logout); ending one that is gone already is no error.
	DeleteSession(ctx context.Context, id int64) error
	// DeleteUserSessions ends every session of the user and returns how many there were.
	DeleteUserSessions(ctx context.Context, userID int64) (int64, error)
	// DeleteExpiredSessions removes the sessions that l says have ended at now, and returns
	// how many.
	DeleteExpiredSessions(ctx context.Context, l SessionLifetime, now time.Time) (int64, error)
}
