package storerow

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

// LoadMigrations reads a store's migrations from dir in fsys and checks that they are numbered
// 1, 2, 3, … without a gap.
func LoadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
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

// NewerSchema refuses a database that a newer custexport migrated.
func NewerSchema(current, known int) error {
	return custexport.Errorf(custexport.CodeInvalid, "schema version %d is newer than this custexport knows (up to %d); run a newer custexport", current, known)
}
