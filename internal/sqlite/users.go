package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/ncruces/go-sqlite3"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/storerow"
)

// AddUser stores a new admin user and logs it, in one transaction. The name is cleaned
// (custexport.CleanUserName); one that differs from a stored name only in letter case is
// refused with CodeConflict.
func (db *DB) AddUser(ctx context.Context, u *custexport.User, by custexport.Principal) error {
	name, err := custexport.CleanUserName(u.Name)
	if err != nil {
		return err
	}
	if u.PasswordHash == "" {
		return custexport.FieldError("password", "a user needs a password hash")
	}
	return db.loggedChange(ctx, by, func(tx *sql.Tx) (string, error) {
		// The write transaction is taken before this read (BEGIN IMMEDIATE), so no other process
		// can add the name in between; the unique index still guards it.
		var takenID int64
		var takenName string
		err := tx.QueryRowContext(ctx, `SELECT id, name FROM admin_user WHERE name_key = ?`, custexport.UserNameKey(name)).Scan(&takenID, &takenName)
		if err == nil {
			return "", custexport.UserNameTaken(name, takenName, nil)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", err
		}
		now := db.clock.Now().UTC().Truncate(time.Millisecond)
		res, err := tx.ExecContext(ctx, `INSERT INTO admin_user (name, name_key, password_hash, created_at, password_changed_at)
			VALUES (?, ?, ?, ?, ?)`, name, custexport.UserNameKey(name), u.PasswordHash, now.UnixMilli(), now.UnixMilli())
		if errors.Is(err, sqlite3.CONSTRAINT_UNIQUE) {
			return "", custexport.UserNameTaken(name, name, err)
		}
		if err != nil {
			return "", err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return "", err
		}
		u.ID, u.Name, u.CreatedAt, u.PasswordChangedAt, u.LastLoginAt = id, name, now, now, time.Time{}
		return fmt.Sprintf("user %d %q created", u.ID, u.Name), nil
	})
}

// UserByName finds a user whatever the letter case of name; CodeNotFound when there is none.
func (db *DB) UserByName(ctx context.Context, name string) (*custexport.User, error) {
	row := db.sql.QueryRowContext(ctx, `SELECT `+storerow.UserColumns+` FROM admin_user WHERE name_key = ?`, custexport.UserNameKey(name))
	u, err := storerow.ScanUser(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, custexport.Errorf(custexport.CodeNotFound, "user %q does not exist", name)
	}
	return u, err
}

// UserByID returns the user; CodeNotFound when it does not exist.
func (db *DB) UserByID(ctx context.Context, id int64) (*custexport.User, error) {
	row := db.sql.QueryRowContext(ctx, `SELECT `+storerow.UserColumns+` FROM admin_user WHERE id = ?`, id)
	u, err := storerow.ScanUser(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, custexport.Errorf(custexport.CodeNotFound, "user %d does not exist", id)
	}
	return u, err
}

// ListUsers lists the users by id, which is the order they were added in. (By name would need
// a collation: SQLite and byte order both put "Šárka" after "Zdeněk".)
func (db *DB) ListUsers(ctx context.Context) ([]custexport.User, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+storerow.UserColumns+` FROM admin_user ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return storerow.Collect(rows, storerow.ScanUser)
}

// SetPasswordHash replaces the user's password hash and ends every session of the user, in one
// transaction with its access-log entry.
func (db *DB) SetPasswordHash(ctx context.Context, id int64, hash string, by custexport.Principal) error {
	if hash == "" {
		return custexport.FieldError("password", "a user needs a password hash")
	}
	return db.userChange(ctx, id, by, func(tx *sql.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, `UPDATE admin_user SET password_hash = ?, password_changed_at = ? WHERE id = ?`,
			hash, db.clock.Now().UnixMilli(), id)
		return "password changed", err
	})
}

// DeleteUser deletes the user; the foreign key's cascade deletes the user's sessions with it.
func (db *DB) DeleteUser(ctx context.Context, id int64, by custexport.Principal) error {
	return db.userChange(ctx, id, by, func(tx *sql.Tx) (string, error) {
		_, err := tx.ExecContext(ctx, `DELETE FROM admin_user WHERE id = ?`, id)
		return "deleted", err
	})
}

// userChange runs change on a stored user and logs what it did, with how many of the user's
// sessions it ended, in one transaction. Both changes end every session: a new password logs
// out whoever knew the old one.
func (db *DB) userChange(ctx context.Context, id int64, by custexport.Principal, change func(*sql.Tx) (string, error)) error {
	return db.loggedChange(ctx, by, func(tx *sql.Tx) (string, error) {
		var name string
		err := tx.QueryRowContext(ctx, `SELECT name FROM admin_user WHERE id = ?`, id).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return "", custexport.Errorf(custexport.CodeNotFound, "user %d does not exist", id)
		}
		if err != nil {
			return "", err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM admin_session WHERE user_id = ?`, id)
		if err != nil {
			return "", err
		}
		ended, err := res.RowsAffected()
		if err != nil {
			return "", err
		}
		what, err := change(tx)
		if err != nil {
			return "", err
		}
		return custexport.UserChangedEvent(id, name, what, ended), nil
	})
}

// TouchLogin records a successful login; CodeNotFound when the user is gone.
func (db *DB) TouchLogin(ctx context.Context, id int64, at time.Time) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE admin_user SET last_login_at = ? WHERE id = ?`, at.UnixMilli(), id)
	return oneRowChanged(res, err, "user %d does not exist", id)
}

// CreateSession stores s and fills its ID; CreatedAt and LastSeenAt default to now.
func (db *DB) CreateSession(ctx context.Context, s *custexport.Session) error {
	if err := storerow.PrepareSession(s, db.clock.Now()); err != nil {
		return err
	}
	res, err := db.sql.ExecContext(ctx, `INSERT INTO admin_session (user_id, token_hash, created_at, last_seen_at) VALUES (?, ?, ?, ?)`,
		s.UserID, s.TokenHash, s.CreatedAt.UnixMilli(), s.LastSeenAt.UnixMilli())
	switch {
	case errors.Is(err, sqlite3.CONSTRAINT_FOREIGNKEY):
		return &custexport.Error{Code: custexport.CodeNotFound, Message: fmt.Sprintf("user %d does not exist", s.UserID), Err: err}
	case errors.Is(err, sqlite3.CONSTRAINT_UNIQUE):
		return &custexport.Error{Code: custexport.CodeConflict, Field: "token_hash", Message: "a session with this token already exists", Err: err}
	case err != nil:
		return err
	}
	s.ID, err = res.LastInsertId()
	return err
}

// SessionByTokenHash finds the session of a cookie token's hash; CodeNotFound when none. It
// does not judge expiry.
func (db *DB) SessionByTokenHash(ctx context.Context, hash []byte) (*custexport.Session, error) {
	s, err := storerow.ScanSession(db.sql.QueryRowContext(ctx, `SELECT `+storerow.SessionColumns+` FROM admin_session WHERE token_hash = ?`, hash).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		// The hash is not repeated: it is as good as the cookie for finding the session.
		return nil, custexport.Errorf(custexport.CodeNotFound, "no session has this token")
	}
	return s, err
}

// TouchSession records the session's latest request. It never moves the time back, so touches
// arriving out of order from several requests or instances do no harm. CodeNotFound when the
// session has ended.
func (db *DB) TouchSession(ctx context.Context, id int64, at time.Time) error {
	res, err := db.sql.ExecContext(ctx, `UPDATE admin_session SET last_seen_at = max(last_seen_at, ?) WHERE id = ?`, at.UnixMilli(), id)
	return oneRowChanged(res, err, "session %d does not exist", id)
}

// DeleteSession ends one session; one that has ended already is no error.
func (db *DB) DeleteSession(ctx context.Context, id int64) error {
	_, err := db.sql.ExecContext(ctx, `DELETE FROM admin_session WHERE id = ?`, id)
	return err
}

// DeleteUserSessions ends every session of the user and returns how many there were.
func (db *DB) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `DELETE FROM admin_session WHERE user_id = ?`, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// DeleteExpiredSessions removes the sessions l says have ended at now, and returns how many.
// The cut-offs are the ones SessionLifetime.Expired applies: idle since at least Idle, or
// created at least MaxAge ago.
func (db *DB) DeleteExpiredSessions(ctx context.Context, l custexport.SessionLifetime, now time.Time) (int64, error) {
	idleCutoff, ageCutoff := int64(math.MinInt64), int64(math.MinInt64) // a zero duration never expires
	if l.Idle > 0 {
		idleCutoff = now.Add(-l.Idle).UnixMilli()
	}
	if l.MaxAge > 0 {
		ageCutoff = now.Add(-l.MaxAge).UnixMilli()
	}
	res, err := db.sql.ExecContext(ctx, `DELETE FROM admin_session WHERE last_seen_at <= ? OR created_at <= ?`, idleCutoff, ageCutoff)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// oneRowChanged turns an update that changed no row into CodeNotFound.
func oneRowChanged(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return custexport.Errorf(custexport.CodeNotFound, format, args...)
	}
	return nil
}

var (
	_ custexport.UserStore    = (*DB)(nil)
	_ custexport.SessionStore = (*DB)(nil)
)
