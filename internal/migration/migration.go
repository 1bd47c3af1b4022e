// Package migration is how both stores version their schema: numbered SQL files, applied in
// order, each recorded once, and a database from a newer program refused.
package migration

import (
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/custexport/custexport"
)

// Migration is one versioned schema step, from a file NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Load reads a store's migrations from dir in fsys and checks that they are numbered 1, 2, 3, …
// without a gap.
func Load(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %s is not named NNNN_name.sql", e.Name())
		}
		body, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations must be numbered 1, 2, 3, …; found %d at position %d", m.Version, i+1)
		}
	}
	return ms, nil
}

// Latest is the schema version the migrations in dir of fsys bring a database to; 0 when they
// cannot be read.
func Latest(fsys fs.FS, dir string) int {
	ms, err := Load(fsys, dir)
	if err != nil {
		return 0
	}
	return len(ms)
}

// Apply brings a database at schema version current up to the last of ms: for each migration it
// lacks, run executes its SQL and record notes it as applied. The caller holds whatever makes
// this happen once (a transaction with a lock). It returns the versions applied, and refuses a
// database that a newer program migrated.
func Apply(ms []Migration, current int, run func(sql string) error, record func(Migration) error) ([]int, error) {
	if current > len(ms) {
		return nil, NewerSchema(current, len(ms))
	}
	var applied []int
	for _, m := range ms[current:] {
		if err := run(m.SQL); err != nil {
			return nil, fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
		}
		if err := record(m); err != nil {
			return nil, err
		}
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// NewerSchema refuses a database that a newer custexport migrated.
func NewerSchema(current, known int) error {
	return custexport.Errorf(custexport.CodeInvalid, "schema version %d is newer than this custexport knows (up to %d); run a newer custexport", current, known)
}
