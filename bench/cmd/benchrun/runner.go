package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// sample is one timed run of a measure.
type sample struct {
	wall      time.Duration // measured here around the process: finer than time's m:ss.ss
	maxRSSKiB int64         // GNU time's "Maximum resident set size"
	cpu       time.Duration // user + system, to see whether a command used both cores
	// serverCPU is the part of cpu that the PostgreSQL server's backends used for the
	// command (PostgreSQL measures only; watched says whether it was measured).
	serverCPU   time.Duration
	watched     bool
	outputBytes int64
	// others is the share of the machine's CPU time that other processes used during the
	// run: on a shared machine it tells which wall times to distrust.
	others float64
}

// run executes argv once under `/usr/bin/time -v` and returns its sample. With stdout the
// command's standard output goes to out; otherwise it is kept (its tail) for error messages.
// watchDB, when set, names the PostgreSQL database whose server backends work for the
// command: their CPU time is added to the command's.
func run(argv []string, out string, stdout bool, watchDB string) (sample, error) {
	report, err := os.CreateTemp("", "benchrun-time-*")
	if err != nil {
		return sample{}, err
	}
	report.Close()
	defer os.Remove(report.Name())

	cmd := exec.Command("/usr/bin/time", append([]string{"-v", "-o", report.Name()}, argv...)...)
	cmd.Env = childEnv()
	var tail tailBuffer
	cmd.Stderr = &tail
	cmd.Stdout = &tail
	if stdout {
		f, err := os.Create(out)
		if err != nil {
			return sample{}, err
		}
		defer f.Close()
		// An *os.File makes the child write to the file directly, with no copy through us.
		cmd.Stdout = f
	}
	var watch *backendWatch
	if watchDB != "" {
		watch = watchBackends(watchDB)
	}
	busyBefore := machineBusy()
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	busy := machineBusy() - busyBefore
	var serverCPU time.Duration
	if watch != nil {
		serverCPU = watch.done()
	}
	if err != nil {
		msg := fmt.Sprintf("%s: %v", strings.Join(quoteArgs(argv), " "), err)
		if out := strings.TrimSpace(tail.String()); out != "" {
			msg += "\n" + out
		}
		return sample{}, errors.New(msg)
	}
	s := sample{wall: wall, serverCPU: serverCPU, watched: watch != nil}
	if s.maxRSSKiB, s.cpu, err = parseTimeReport(report.Name()); err != nil {
		return sample{}, err
	}
	s.cpu += serverCPU
	// /proc/stat and time count in 10 ms ticks: below a second the share would be noise.
	if busyBefore > 0 && wall >= time.Second {
		s.others = min(1, max(0, (busy-s.cpu).Seconds()/(wall.Seconds()*float64(runtime.NumCPU()))))
	}
	if fi, err := os.Stat(out); err == nil {
		s.outputBytes = fi.Size()
	}
	return s, nil
}

// parseTimeReport reads the peak RSS and the CPU time from a `time -v` report.
func parseTimeReport(path string) (rssKiB int64, cpu time.Duration, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, err
	}
	found := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": ")
		if !ok {
			continue
		}
		switch key {
		case "Maximum resident set size (kbytes)":
			rssKiB, err = strconv.ParseInt(val, 10, 64)
			found = err == nil
		case "User time (seconds)", "System time (seconds)":
			if sec, err := strconv.ParseFloat(val, 64); err == nil {
				cpu += time.Duration(sec * float64(time.Second))
			}
		}
	}
	if !found {
		return 0, 0, fmt.Errorf("no peak RSS in the time report:\n%s", data)
	}
	return rssKiB, cpu, nil
}

// machineBusy returns the CPU time all processes have used since boot (the non-idle columns
// of /proc/stat's "cpu" line, in the kernel's 100 Hz ticks), or 0 when it cannot be read.
func machineBusy() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0
	}
	var ticks int64
	for i, f := range fields[1:8] { // user nice system idle iowait irq softirq
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(f, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// settle waits up to limit for a second in which other processes used under a tenth of the
// machine's CPU: on a shared machine, their bursts then fall between runs rather than into
// them. It gives up quietly at the limit; the run's others share still tells.
func settle(limit time.Duration) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		before := machineBusy()
		time.Sleep(time.Second)
		if (machineBusy() - before).Seconds() < 0.10*float64(runtime.NumCPU()) {
			return
		}
	}
}

// tailBuffer keeps the last few KiB written to it: enough for an error message, and bounded
// when a command is chatty.
type tailBuffer struct{ b []byte }

const tailMax = 4096

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 2*tailMax {
		t.b = append(t.b[:0], t.b[len(t.b)-tailMax:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	if len(t.b) > tailMax {
		return "…" + string(t.b[len(t.b)-tailMax:])
	}
	return string(t.b)
}

// quoteArgs quotes arguments for display, shortening the long SQL ones.
func quoteArgs(argv []string) []string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if len(a) > 80 {
			a = a[:60] + "…" + a[len(a)-17:]
		}
		if strings.ContainsAny(a, " \"'") {
			a = strconv.Quote(a)
		}
		q[i] = a
	}
	return q
}
