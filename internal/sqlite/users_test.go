package sqlite

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

const testHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$bm90IGEgcmVhbCBoYXNoIGJ1dCB3ZWxsLWZvcm1lZA"

func addUser(t *testing.T, db *DB, name string) *custexport.User {
	t.Helper()
	u := &custexport.User{Name: name, PasswordHash: testHash}
	if err := db.AddUser(context.Background(), u, operator); err != nil {
		t.Fatalf("AddUser(%q): %v", name, err)
	}
	return u
}

func addSession(t *testing.T, db *DB, userID int64) (*custexport.Session, string) {
	t.Helper()
	token, hash := custexport.NewSessionToken()
	s := &custexport.Session{UserID: userID, TokenHash: hash}
	if err := db.CreateSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s, token
}

func sessionCount(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM admin_session`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCode(t *testing.T, what string, err error, code custexport.Code) *custexport.Error {
	t.Helper()
	var e *custexport.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("%s: %v, want a %s error", what, err, code)
	}
	return e
}

func TestUserLifecycle(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	u := addUser(t, db, "  Šárka Nováková ")
	if u.ID == 0 || u.Name != "Šárka Nováková" || u.CreatedAt.Before(before) || !u.PasswordChangedAt.Equal(u.CreatedAt) || !u.LastLoginAt.IsZero() {
		t.Fatalf("AddUser filled %+v", u)
	}
	other := addUser(t, db, "admin")

	t.Run("ByNameIgnoresLetterCase", func(t *testing.T) {
		for _, name := range []string{"Šárka Nováková", "ŠÁRKA NOVÁKOVÁ", "šárka nováková", " šárka nováková "} {
			got, err := db.UserByName(ctx, name)
			if err != nil || got.ID != u.ID || got.Name != "Šárka Nováková" || got.PasswordHash != testHash {
				t.Errorf("UserByName(%q) = %+v, %v", name, got, err)
			}
		}
		e := wantCode(t, "UserByName of an unknown name", func() error { _, err := db.UserByName(ctx, "Sarka Novakova"); return err }(), custexport.CodeNotFound)
		if !strings.Contains(e.Message, `"Sarka Novakova"`) {
			t.Errorf("message %q does not name the user", e.Message)
		}
	})

	t.Run("ErrNameTaken", func(t *testing.T) {
		err := db.AddUser(ctx, &custexport.User{Name: "ŠÁRKA nováková", PasswordHash: testHash}, operator)
		e := wantCode(t, "a name differing only in case", err, custexport.CodeConflict)
		if e.Field != "name" || !strings.Contains(e.Message, `"ŠÁRKA nováková" is taken by "Šárka Nováková"`) {
			t.Errorf("conflict error %+v", e)
		}
		err = db.AddUser(ctx, &custexport.User{Name: "admin", PasswordHash: testHash}, operator)
		if e := wantCode(t, "the same name", err, custexport.CodeConflict); !strings.Contains(e.Message, `"admin" is taken`) {
			t.Errorf("conflict error %+v", e)
		}
		// The unique index holds even for a writer that skips AddUser's check.
		_, err = db.sql.Exec(`INSERT INTO admin_user (name, name_key, password_hash, created_at, password_changed_at) VALUES ('ADMIN', 'admin', 'x', 0, 0)`)
		if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
			t.Errorf("a second row with name_key 'admin' was stored: %v", err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, bad := range []*custexport.User{
			{Name: "", PasswordHash: testHash},
			{Name: "evil\x1b[2J", PasswordHash: testHash},
			{Name: strings.Repeat("x", 65), PasswordHash: testHash},
			{Name: "nohash"},
		} {
			wantCode(t, "AddUser "+bad.Name, db.AddUser(ctx, bad, operator), custexport.CodeInvalid)
		}
	})

	t.Run("List", func(t *testing.T) {
		users, err := db.ListUsers(ctx)
		if err != nil || len(users) != 2 || users[0].ID != u.ID || users[1].ID != other.ID {
			t.Fatalf("ListUsers = %+v, %v; want Šárka, then admin: the order they were added in", users, err)
		}
	})

	t.Run("SetPasswordHashEndsSessions", func(t *testing.T) {
		addSession(t, db, u.ID)
		addSession(t, db, u.ID)
		addSession(t, db, other.ID)
		time.Sleep(2 * time.Millisecond)
		if err := db.SetPasswordHash(ctx, u.ID, "$argon2id$new", operator); err != nil {
			t.Fatal(err)
		}
		got, _ := db.UserByID(ctx, u.ID)
		if got.PasswordHash != "$argon2id$new" || !got.PasswordChangedAt.After(got.CreatedAt) {
			t.Errorf("after SetPasswordHash: %+v", got)
		}
		if n := sessionCount(t, db); n != 1 {
			t.Errorf("%d sessions left, want only the other user's", n)
		}
		wantCode(t, "an empty hash", db.SetPasswordHash(ctx, u.ID, "", operator), custexport.CodeInvalid)
		wantCode(t, "an unknown user", db.SetPasswordHash(ctx, 999, "$argon2id$x", operator), custexport.CodeNotFound)
	})

	t.Run("TouchLogin", func(t *testing.T) {
		at := time.UnixMilli(1767225600123)
		if err := db.TouchLogin(ctx, u.ID, at); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.UserByID(ctx, u.ID); !got.LastLoginAt.Equal(at) {
			t.Errorf("LastLoginAt = %v, want %v", got.LastLoginAt, at)
		}
		wantCode(t, "TouchLogin of an unknown user", db.TouchLogin(ctx, 999, at), custexport.CodeNotFound)
	})

	t.Run("DeleteCascadesSessions", func(t *testing.T) {
		addSession(t, db, other.ID)
		if err := db.DeleteUser(ctx, other.ID, operator); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "UserByID of a deleted user", func() error { _, err := db.UserByID(ctx, other.ID); return err }(), custexport.CodeNotFound)
		if n := sessionCount(t, db); n != 0 {
			t.Errorf("%d sessions of the deleted user left", n)
		}
		wantCode(t, "deleting twice", db.DeleteUser(ctx, other.ID, operator), custexport.CodeNotFound)
		// The foreign key cascades on its own, for any way a user row goes.
		third := addUser(t, db, "third")
		addSession(t, db, third.ID)
		if _, err := db.sql.Exec(`DELETE FROM admin_user WHERE id = ?`, third.ID); err != nil {
			t.Fatal(err)
		}
		if n := sessionCount(t, db); n != 0 {
			t.Errorf("deleting a user row left %d sessions: no ON DELETE CASCADE", n)
		}
		again := addUser(t, db, "admin")
		if again.ID == other.ID {
			t.Error("a new user reused a deleted user's id")
		}
	})

	t.Run("AccessLog", func(t *testing.T) {
		var events []string
		err := db.AccessEntries(ctx, time.Time{}, func(e *custexport.AccessEntry) error {
			if e.Outcome != custexport.OutcomeEvent || e.Principal != operator || e.Channel != custexport.ChannelCLI {
				t.Errorf("entry %+v", e)
			}
			events = append(events, e.Reason)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			`user 1 "Šárka Nováková" created`,
			`user 2 "admin" created`,
			`user 1 "Šárka Nováková" password changed; 2 sessions ended`,
			`user 2 "admin" deleted; 2 sessions ended`,
			`user 3 "third" created`,
			`user 4 "admin" created`,
		}
		if strings.Join(events, "\n") != strings.Join(want, "\n") {
			t.Errorf("logged\n%s\nwant (refused changes logged nothing)\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
		}
		if all := strings.Join(events, ""); strings.Contains(all, "argon2") {
			t.Error("a password hash reached the access log")
		}
	})
}

// Two processes adding "Novák" and "NOVÁK" at once: exactly one wins.
func TestAddUserRaceOneWins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	var dbs [4]*DB
	for i := range dbs {
		db, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	names := []string{"Novák", "NOVÁK", "novák", "NoVáK"}
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() {
			errs[i] = db.AddUser(context.Background(), &custexport.User{Name: names[i], PasswordHash: testHash}, operator)
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch custexport.ErrorCode(err) {
		case "":
			won++
		case custexport.CodeConflict:
		default:
			t.Errorf("AddUser(%q): %v", names[i], err)
		}
	}
	users, _ := dbs[0].ListUsers(context.Background())
	if won != 1 || len(users) != 1 {
		t.Errorf("%d of 4 racing adds won, %d users stored; want 1 and 1", won, len(users))
	}
}

func TestSessions(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	u := addUser(t, db, "novak")
	s, token := addSession(t, db, u.ID)
	if s.ID == 0 || s.CreatedAt.IsZero() || !s.LastSeenAt.Equal(s.CreatedAt) {
		t.Fatalf("CreateSession filled %+v", s)
	}

	got, err := db.SessionByTokenHash(ctx, custexport.HashSessionToken(token))
	if err != nil || got.ID != s.ID || got.UserID != u.ID || !bytes.Equal(got.TokenHash, s.TokenHash) || !got.CreatedAt.Equal(s.CreatedAt) {
		t.Fatalf("SessionByTokenHash = %+v, %v; want %+v", got, err, s)
	}
	_, err = db.SessionByTokenHash(ctx, custexport.HashSessionToken(token+"x"))
	wantCode(t, "an unknown token", err, custexport.CodeNotFound)
	_, err = db.SessionByTokenHash(ctx, []byte(token))
	wantCode(t, "the token itself instead of its hash", err, custexport.CodeNotFound)

	t.Run("ErrBadSession", func(t *testing.T) {
		wantCode(t, "a short token hash", db.CreateSession(ctx, &custexport.Session{UserID: u.ID, TokenHash: []byte("short")}), custexport.CodeInvalid)
		_, hash := custexport.NewSessionToken()
		wantCode(t, "an unknown user", db.CreateSession(ctx, &custexport.Session{UserID: 999, TokenHash: hash}), custexport.CodeNotFound)
		wantCode(t, "a token hash in use", db.CreateSession(ctx, &custexport.Session{UserID: u.ID, TokenHash: s.TokenHash}), custexport.CodeConflict)
		if n := sessionCount(t, db); n != 1 {
			t.Errorf("%d sessions stored, want 1", n)
		}
	})

	t.Run("Touch", func(t *testing.T) {
		later := s.CreatedAt.Add(10 * time.Minute)
		if err := db.TouchSession(ctx, s.ID, later); err != nil {
			t.Fatal(err)
		}
		if err := db.TouchSession(ctx, s.ID, later.Add(-5*time.Minute)); err != nil { // a slower request's touch
			t.Fatal(err)
		}
		got, _ := db.SessionByTokenHash(ctx, s.TokenHash)
		if !got.LastSeenAt.Equal(later) {
			t.Errorf("LastSeenAt = %v, want %v: a touch moved it back", got.LastSeenAt, later)
		}
		wantCode(t, "touching an unknown session", db.TouchSession(ctx, 999, later), custexport.CodeNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		s2, _ := addSession(t, db, u.ID)
		if err := db.DeleteSession(ctx, s2.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteSession(ctx, s2.ID); err != nil {
			t.Errorf("logging out twice: %v", err)
		}
		addSession(t, db, u.ID)
		other := addUser(t, db, "other")
		addSession(t, db, other.ID)
		n, err := db.DeleteUserSessions(ctx, u.ID)
		if err != nil || n != 2 || sessionCount(t, db) != 1 {
			t.Errorf("DeleteUserSessions = %d, %v; %d left; want 2 deleted and the other user's left", n, err, sessionCount(t, db))
		}
	})
}

func TestDeleteExpiredSessions(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	u := addUser(t, db, "novak")
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	l := custexport.SessionLifetime{Idle: 2 * time.Hour, MaxAge: 12 * time.Hour}
	mk := func(created, lastSeen time.Duration) *custexport.Session {
		_, hash := custexport.NewSessionToken()
		s := &custexport.Session{UserID: u.ID, TokenHash: hash, CreatedAt: now.Add(-created), LastSeenAt: now.Add(-lastSeen)}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	sessions := map[string]*custexport.Session{
		"fresh":         mk(time.Hour, time.Minute),
		"idleJustUnder": mk(3*time.Hour, 2*time.Hour-time.Millisecond),
		"idleExactly":   mk(3*time.Hour, 2*time.Hour),
		"idleLong":      mk(5*time.Hour, 4*time.Hour),
		"oldButActive":  mk(12*time.Hour, time.Minute),
		"almostTooOld":  mk(12*time.Hour-time.Millisecond, time.Minute),
		"seenAfterNow":  mk(time.Hour, -time.Minute),
	}
	n, err := db.DeleteExpiredSessions(ctx, l, now)
	if err != nil {
		t.Fatal(err)
	}
	left := 0
	for name, s := range sessions {
		_, err := db.SessionByTokenHash(ctx, s.TokenHash)
		kept := err == nil
		if kept {
			left++
		}
		if expired := l.Expired(s, now); kept == expired {
			t.Errorf("session %s: Expired = %v but the store kept it = %v", name, expired, kept)
		}
	}
	if n != 3 || left != 4 {
		t.Errorf("deleted %d, %d left; want idleExactly, idleLong and oldButActive deleted", n, left)
	}
	if n, err := db.DeleteExpiredSessions(ctx, custexport.SessionLifetime{}, now.Add(1000*time.Hour)); n != 0 || err != nil {
		t.Errorf("an unlimited lifetime deleted %d sessions, %v", n, err)
	}
}

// Only the token's hash reaches the disk: neither the database nor its write-ahead log holds
// the token a browser sends.
func TestSessionTokenIsNeverStored(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(context.Background(), filepath.Join(dir, "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	u := addUser(t, db, "novak")
	_, token := addSession(t, db, u.ID)
	hash := custexport.HashSessionToken(token)
	db.Close()
	var all []byte
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if !bytes.Contains(all, hash) {
		t.Fatal("test is blind: the token's hash is not found in the files either")
	}
	if bytes.Contains(all, []byte(token)) {
		t.Error("the session token itself was written to disk")
	}
}
