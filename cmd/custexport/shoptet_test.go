package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The acceptance of SPEC section 15 end to end, with real processes: `custexport seed`, a
// partner and its link made by the CLI as a shop owner makes them, `serve` on loopback, and
// Keboola's Shoptet extractor (replayed by testdata/shoptet-clients/keboola_extractor.py) run
// over the default window and in yearly backfill chunks, in UTF-8 and in windows-1250. Every
// customer arrives, each with its own accountGuid.
func TestKeboolaExtractorAgainstServe(t *testing.T) {
	bin := custexportBinary(t)
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--data-dir", dir)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("custexport %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(stdout.String())
	}
	const customers = 3000
	run("seed", "--customers", "3000")
	id := run("partner", "add", "Keboola")
	_, addr := serveOnFreePort(t, bin, nil, "--data-dir", dir)
	public := "http://" + addr
	links := map[string]string{
		"utf-8":        run("partner", "url", id, "--format", "csv", "--no-guard", "--public-url", public),
		"windows-1250": run("partner", "url", id, "--format", "csv", "--encoding", "windows-1250", "--no-guard", "--public-url", public),
	}
	for charset, link := range links {
		for _, chunkDays := range []string{"0", "365"} {
			t.Run(charset+"/chunk"+chunkDays, func(t *testing.T) {
				cmd := exec.Command("/usr/bin/python3", filepath.Join("..", "..", "testdata", "shoptet-clients", "keboola_extractor.py"),
					link, charset, "--chunk-days", chunkDays)
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var out struct {
					Requests []struct{ Status int }
					Table    map[string]map[string]string
					Error    string
				}
				if jsonErr := json.Unmarshal(stdout.Bytes(), &out); jsonErr != nil || err != nil || out.Error != "" {
					t.Fatalf("the extractor: %v %v %q\n%s", err, jsonErr, out.Error, stderr.String())
				}
				guids := map[string]bool{}
				for account, row := range out.Table {
					if len(account) != 36 || row["accountGuid"] != account {
						t.Fatalf("table key %q, row accountGuid %q", account, row["accountGuid"])
					}
					guids[row["guid"]] = true
				}
				if len(out.Table) != customers || len(guids) != customers {
					t.Fatalf("%d requests gave %d accountGuids of %d customers, want %d of each",
						len(out.Requests), len(out.Table), len(guids), customers)
				}
			})
		}
	}
}
