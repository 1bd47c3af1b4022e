package custexport

import "testing"

func TestParseGUID(t *testing.T) {
	for in, want := range map[string]string{
		"0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162": "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162",
		"0B9E3C1A-5F6D-4E2B-9A7C-1D2E3F405162": "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f405162",
		"0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f40516F": "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f40516f",
	} {
		if got, err := ParseGUID(in); err != nil || got != want {
			t.Errorf("ParseGUID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0b9e3c1a5f6d4e2b9a7c1d2e3f405162", "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f40516g",
		"0b9e3c1a-5f6d-4e2b-9a7c_1d2e3f405162", "0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f4051620", " 0b9e3c1a-5f6d-4e2b-9a7c-1d2e3f40516"} {
		if _, err := ParseGUID(bad); err == nil {
			t.Errorf("ParseGUID(%q) accepted", bad)
		}
	}
}

func TestLogText(t *testing.T) {
	for in, want := range map[string]string{
		"zákazníci.csv":  "zákazníci.csv",
		"x\xff.csv":      "x\uFFFD.csv",
		"a\x00b.csv":     "ab.csv",
		"\xc3\x00\xa1.c": "\uFFFD\uFFFD.c",
	} {
		if got := LogText(in); got != want {
			t.Errorf("LogText(%q) = %q, want %q", in, got, want)
		}
	}
}
