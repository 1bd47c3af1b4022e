package storetest

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custexport/custexport"
)

var userTests = []test{
	{"UserLifecycle", testUserLifecycle},
	{"AddUserRaceOneWins", testAddUserRace},
	{"Sessions", testSessions},
	{"DeleteExpiredSessions", testDeleteExpiredSessions},
}

// AddUser adds a user of the given name (with a well-formed password hash), added by the
// operator.
func AddUser(t *testing.T, db custexport.Database, name string) *custexport.User {
	t.Helper()
	u := &custexport.User{Name: name, PasswordHash: testHash}
	if err := db.AddUser(t.Context(), u, operator); err != nil {
		t.Fatalf("AddUser(%q): %v", name, err)
	}
	return u
}

// AddSession creates a session of the user and returns it with its token.
func AddSession(t *testing.T, db custexport.Database, userID int64) (*custexport.Session, string) {
	t.Helper()
	token, hash := custexport.NewSessionToken()
	s := &custexport.Session{UserID: userID, TokenHash: hash}
	if err := db.CreateSession(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	return s, token
}

// liveSessions counts how many of the sessions are still found by their token hash.
func liveSessions(t *testing.T, db custexport.Database, sessions ...*custexport.Session) int {
	t.Helper()
	n := 0
	for _, s := range sessions {
		got, err := db.SessionByTokenHash(t.Context(), s.TokenHash)
		switch custexport.ErrorCode(err) {
		case "":
			if got.ID != s.ID {
				t.Fatalf("session %d's token finds session %d", s.ID, got.ID)
			}
			n++
		case custexport.CodeNotFound:
		default:
			t.Fatal(err)
		}
	}
	return n
}

func testUserLifecycle(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	clock := UseClock(t, db)
	if users, err := db.ListUsers(ctx); err != nil || len(users) != 0 {
		t.Fatalf("a new store lists users %+v, %v", users, err)
	}
	u := AddUser(t, db, "  Šárka Nováková ")
	if u.ID == 0 || u.Name != "Šárka Nováková" || !u.CreatedAt.Equal(clock.Now()) || !u.PasswordChangedAt.Equal(u.CreatedAt) || !u.LastLoginAt.IsZero() {
		t.Fatalf("AddUser filled %+v", u)
	}
	other := AddUser(t, db, "admin")

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
		got, err := db.UserByID(ctx, u.ID)
		if err != nil || got.Name != u.Name || got.PasswordHash != testHash || !got.CreatedAt.Equal(u.CreatedAt) ||
			!got.PasswordChangedAt.Equal(u.PasswordChangedAt) || !got.LastLoginAt.IsZero() {
			t.Errorf("UserByID = %+v, %v; want %+v", got, err, u)
		}
		wantCode(t, "UserByID of an unknown id", func() error { _, err := db.UserByID(ctx, 999); return err }(), custexport.CodeNotFound)
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

	var otherSessions []*custexport.Session
	t.Run("SetPasswordHashEndsSessions", func(t *testing.T) {
		s1, _ := AddSession(t, db, u.ID)
		s2, _ := AddSession(t, db, u.ID)
		s3, _ := AddSession(t, db, other.ID)
		otherSessions = append(otherSessions, s3)
		clock.Advance(time.Millisecond)
		if err := db.SetPasswordHash(ctx, u.ID, "$argon2id$new", operator); err != nil {
			t.Fatal(err)
		}
		got, _ := db.UserByID(ctx, u.ID)
		if got.PasswordHash != "$argon2id$new" || !got.PasswordChangedAt.After(got.CreatedAt) {
			t.Errorf("after SetPasswordHash: %+v", got)
		}
		if n := liveSessions(t, db, s1, s2); n != 0 {
			t.Errorf("%d of the user's sessions left, want none", n)
		}
		if n := liveSessions(t, db, s3); n != 1 {
			t.Error("the other user's session was ended too")
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

	var again *custexport.User
	t.Run("DeleteCascadesSessions", func(t *testing.T) {
		s, _ := AddSession(t, db, other.ID)
		otherSessions = append(otherSessions, s)
		if err := db.DeleteUser(ctx, other.ID, operator); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "UserByID of a deleted user", func() error { _, err := db.UserByID(ctx, other.ID); return err }(), custexport.CodeNotFound)
		wantCode(t, "UserByName of a deleted user", func() error { _, err := db.UserByName(ctx, "admin"); return err }(), custexport.CodeNotFound)
		if n := liveSessions(t, db, otherSessions...); n != 0 {
			t.Errorf("%d sessions of the deleted user left", n)
		}
		wantCode(t, "deleting twice", db.DeleteUser(ctx, other.ID, operator), custexport.CodeNotFound)
		again = AddUser(t, db, "admin")
		if again.ID == other.ID {
			t.Error("a new user reused a deleted user's id")
		}
		if users, _ := db.ListUsers(ctx); len(users) != 2 || users[0].ID != u.ID || users[1].ID != again.ID {
			t.Errorf("ListUsers after delete and re-add = %+v", users)
		}
	})

	t.Run("AccessLog", func(t *testing.T) {
		if again == nil {
			t.Skip("DeleteCascadesSessions failed")
		}
		events := operatorEvents(t, db)
		want := []string{
			fmt.Sprintf(`user %d "Šárka Nováková" created`, u.ID),
			fmt.Sprintf(`user %d "admin" created`, other.ID),
			fmt.Sprintf(`user %d "Šárka Nováková" password changed; 2 sessions ended`, u.ID),
			fmt.Sprintf(`user %d "admin" deleted; 2 sessions ended`, other.ID),
			fmt.Sprintf(`user %d "admin" created`, again.ID),
		}
		if strings.Join(events, "\n") != strings.Join(want, "\n") {
			t.Errorf("logged\n%s\nwant (refused changes logged nothing)\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
		}
		if all := strings.Join(events, ""); strings.Contains(all, "argon2") {
			t.Error("a password hash reached the access log")
		}
		if brk, _ := VerifyChain(t, db); brk != nil {
			t.Errorf("the log of user changes does not verify: %+v", brk)
		}
	})
}

// Adding "Novák" and "NOVÁK" at once: exactly one wins.
func testAddUserRace(t *testing.T, db custexport.Database) {
	RaceAddUser(t, db, db, db, db)
	if n := len(accessLog(t, db)); n != 1 {
		t.Errorf("%d events logged, want 1 (the add that won)", n)
	}
}

// RaceAddUser has each store add one spelling of the same name ("Novák", "NOVÁK", …; four at
// the most) at once, and fails t unless exactly one add won, the others were refused as a
// conflict, and stores[0] lists one user.
func RaceAddUser(t *testing.T, stores ...custexport.UserStore) {
	t.Helper()
	names := []string{"Novák", "NOVÁK", "novák", "NoVáK"}[:len(stores)]
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, db := range stores {
		wg.Go(func() {
			<-start
			errs[i] = db.AddUser(t.Context(), &custexport.User{Name: names[i], PasswordHash: testHash}, operator)
		})
	}
	close(start)
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
	users, err := stores[0].ListUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || len(users) != 1 {
		t.Errorf("%d of %d racing adds won, %d users stored; want 1 and 1", won, len(names), len(users))
	}
}

func testSessions(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	u := AddUser(t, db, "novak")
	s, token := AddSession(t, db, u.ID)
	if s.ID == 0 || s.CreatedAt.IsZero() || !s.LastSeenAt.Equal(s.CreatedAt) || time.Since(s.CreatedAt) > time.Minute {
		t.Fatalf("CreateSession filled %+v", s)
	}

	got, err := db.SessionByTokenHash(ctx, custexport.HashSessionToken(token))
	if err != nil || got.ID != s.ID || got.UserID != u.ID || !bytes.Equal(got.TokenHash, s.TokenHash) || !got.CreatedAt.Equal(s.CreatedAt) ||
		!got.LastSeenAt.Equal(s.LastSeenAt) {
		t.Fatalf("SessionByTokenHash = %+v, %v; want %+v", got, err, s)
	}
	_, err = db.SessionByTokenHash(ctx, custexport.HashSessionToken(token+"x"))
	wantCode(t, "an unknown token", err, custexport.CodeNotFound)
	_, err = db.SessionByTokenHash(ctx, []byte(token))
	wantCode(t, "the token itself instead of its hash", err, custexport.CodeNotFound)

	t.Run("ErrBadSession", func(t *testing.T) {
		short := &custexport.Session{UserID: u.ID, TokenHash: []byte("short")}
		wantCode(t, "a short token hash", db.CreateSession(ctx, short), custexport.CodeInvalid)
		_, hash := custexport.NewSessionToken()
		unknownUser := &custexport.Session{UserID: 999, TokenHash: hash}
		wantCode(t, "an unknown user", db.CreateSession(ctx, unknownUser), custexport.CodeNotFound)
		wantCode(t, "a token hash in use", db.CreateSession(ctx, &custexport.Session{UserID: u.ID, TokenHash: s.TokenHash}), custexport.CodeConflict)
		if n := liveSessions(t, db, short, unknownUser); n != 0 {
			t.Errorf("%d refused sessions were stored", n)
		}
		if got, err := db.SessionByTokenHash(ctx, s.TokenHash); err != nil || got.ID != s.ID {
			t.Errorf("the token in use now finds %+v, %v; want the first session", got, err)
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
		if !got.LastSeenAt.Equal(later) || !got.CreatedAt.Equal(s.CreatedAt) {
			t.Errorf("LastSeenAt = %v, want %v: a touch moved it back (CreatedAt %v)", got.LastSeenAt, later, got.CreatedAt)
		}
		wantCode(t, "touching an unknown session", db.TouchSession(ctx, 999, later), custexport.CodeNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		s2, _ := AddSession(t, db, u.ID)
		if err := db.DeleteSession(ctx, s2.ID); err != nil {
			t.Fatal(err)
		}
		if liveSessions(t, db, s2) != 0 {
			t.Error("a deleted session is still found")
		}
		if err := db.DeleteSession(ctx, s2.ID); err != nil {
			t.Errorf("logging out twice: %v", err)
		}
		s3, _ := AddSession(t, db, u.ID)
		other := AddUser(t, db, "other")
		s4, _ := AddSession(t, db, other.ID)
		n, err := db.DeleteUserSessions(ctx, u.ID)
		if err != nil || n != 2 || liveSessions(t, db, s, s3) != 0 || liveSessions(t, db, s4) != 1 {
			t.Errorf("DeleteUserSessions = %d, %v; want 2 deleted and the other user's left", n, err)
		}
		if n, err := db.DeleteUserSessions(ctx, u.ID); err != nil || n != 0 {
			t.Errorf("DeleteUserSessions again = %d, %v; want 0", n, err)
		}
	})
}

func testDeleteExpiredSessions(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	u := AddUser(t, db, "novak")
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
