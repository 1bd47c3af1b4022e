package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The long-line import (issue 17, item 8): a file of one 200 MB line without a line end,
// imported by the product. The import must refuse it having held little of it (SPEC section
// 10: memory does not grow with line length); the row checks its peak RSS against the 64 MiB
// of every product measure. A line of 180 MB took 2.8 GB before.

const (
	productLongLine = "import of a 200 MB line"
	longLineBytes   = 200 << 20
	// longLineRefusal is what the product says of the line.
	longLineRefusal = "header row is longer than"
)

func longLinePath(c *config) string { return filepath.Join(c.outDir, "import-long-line.csv") }

// longLineFile writes the file once per invocation, as a stream: a header's first tags, then
// 'x' up to 200 MB, no line end.
func longLineFile(c *config) error {
	path := longLinePath(c)
	if fi, err := os.Stat(path); err == nil && fi.Size() == longLineBytes {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	head := "guid;email;remark;"
	w.WriteString(head)
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	for left := longLineBytes - len(head); left > 0; left -= len(chunk) {
		w.Write(chunk[:min(left, len(chunk))])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// longLineMeasure runs the import through sh, which turns the expected refusal (exit 1) into
// success and any other outcome into a failure; its message goes to the output file for
// verify. /usr/bin/time reports the peak RSS of the largest process it waited for: the product.
func longLineMeasure(skip func(*config) bool, runs func(*config) int) measure {
	return measure{name: productLongLine, ext: "txt", stdout: true, runs: runs, skip: skip,
		setup: func(c *config, _ string) error { return longLineFile(c) },
		verify: func(c *config, out string) error {
			msg, err := os.ReadFile(out)
			if err != nil {
				return err
			}
			if !strings.Contains(string(msg), longLineRefusal) {
				return fmt.Errorf("the import did not refuse the line as expected: %s", msg)
			}
			return nil
		},
		argv: func(c *config, _ string) []string {
			return []string{"sh", "-c", `"$0" "$@" 2>&1; test $? -eq 1`, c.bin, "import", longLinePath(c), "--data-dir", c.dataDir}
		}}
}
