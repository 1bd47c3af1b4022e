package migration

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/custexport/custexport"
)

func files(names ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, n := range names {
		fsys["m/"+n] = &fstest.MapFile{Data: []byte("-- " + n)}
	}
	return fsys
}

// Migrations load in version order whatever order the directory lists them in; a gap, a
// misnamed file or a missing directory is refused.
func TestLoad(t *testing.T) {
	ms, err := Load(files("0002_b.sql", "0001_a.sql", "0010_j.sql", "0003_c.sql", "0004_d.sql", "0005_e.sql",
		"0006_f.sql", "0007_g.sql", "0008_h.sql", "0009_i.sql"), "m")
	if err != nil || len(ms) != 10 || ms[0] != (Migration{1, "a", "-- 0001_a.sql"}) || ms[9].Name != "j" {
		t.Fatalf("Load = %+v, %v", ms, err)
	}
	if Latest(files("0001_a.sql", "0002_b.sql"), "m") != 2 || Latest(files(), "none") != 0 {
		t.Error("Latest does not count the migrations")
	}
	for fsys, says := range map[*fstest.MapFS]string{
		ptr(files("0001_a.sql", "0003_c.sql")): "found 3 at position 2",
		ptr(files("0001_a.sql", "x_b.sql")):    "x_b.sql is not named NNNN_name.sql",
		ptr(files("0001a.sql")):                "0001a.sql is not named",
	} {
		if _, err := Load(*fsys, "m"); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("Load = %v, want an error saying %q", err, says)
		}
	}
	if _, err := Load(files(), "none"); err == nil {
		t.Error("a missing directory loaded")
	}
}

func ptr(f fstest.MapFS) *fstest.MapFS { return &f }

// Apply runs and records exactly the migrations a database lacks, stops at the first failure
// naming the migration, and refuses a newer schema.
func TestApply(t *testing.T) {
	ms := []Migration{{1, "a", "A"}, {2, "b", "B"}, {3, "c", "C"}}
	var ran, recorded []string
	run := func(sql string) error { ran = append(ran, sql); return nil }
	record := func(m Migration) error { recorded = append(recorded, m.Name); return nil }
	applied, err := Apply(ms, 1, run, record)
	if err != nil || !reflect.DeepEqual(applied, []int{2, 3}) || !reflect.DeepEqual(ran, []string{"B", "C"}) || !reflect.DeepEqual(recorded, []string{"b", "c"}) {
		t.Fatalf("Apply from 1 = %v, %v; ran %v, recorded %v", applied, err, ran, recorded)
	}
	if applied, err := Apply(ms, 3, run, record); err != nil || applied != nil {
		t.Fatalf("Apply when current = %v, %v", applied, err)
	}
	ran, recorded = nil, nil
	boom := errors.New("syntax error")
	_, err = Apply(ms, 0, func(sql string) error {
		if sql == "B" {
			return boom
		}
		return nil
	}, record)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "migration 2 (b)") || !reflect.DeepEqual(recorded, []string{"a"}) {
		t.Fatalf("a failing migration: %v, recorded %v", err, recorded)
	}
	_, err = Apply(ms, 4, run, record)
	var e *custexport.Error
	if !errors.As(err, &e) || e.Code != custexport.CodeInvalid || !strings.Contains(e.Message, "schema version 4 is newer") {
		t.Fatalf("a newer schema: %v", err)
	}
}
