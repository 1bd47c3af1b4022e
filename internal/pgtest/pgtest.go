// Package pgtest gives tests a PostgreSQL database of their own: created on the server that
// CUSTEXPORT_TEST_PG names (default: the local server, user postgres) and dropped when the test
// ends. It never skips: a test that needs PostgreSQL fails when the server cannot be reached,
// because a suite that quietly skips its PostgreSQL half proves nothing.
package pgtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultServer is the server tests use when CUSTEXPORT_TEST_PG is not set.
const DefaultServer = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Server is the DSN of the maintenance database on the test server.
func Server() string {
	if s := os.Getenv("CUSTEXPORT_TEST_PG"); s != "" {
		return s
	}
	return DefaultServer
}

// NewDatabase creates an empty database for the test and returns its DSN; it is dropped (with
// whatever connections are still open to it) when the test and its subtests end.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, Server())
	if err != nil {
		t.Fatalf("PostgreSQL test server %s is not reachable (start it, or set CUSTEXPORT_TEST_PG): %v", redact(Server()), err)
	}
	defer admin.Close(context.Background())
	name := "custexport_test_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, Server())
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(Server())
	if err != nil {
		t.Fatalf("CUSTEXPORT_TEST_PG: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return fmt.Sprintf("%s/%s", u.Host, strings.TrimPrefix(u.Path, "/"))
}
