package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A setting is a flag whose default comes from an environment variable. Both forms are read by
// the same Set, so a value is valid or invalid the same way wherever it is written, and every
// message names the flag and the variable. A malformed variable is not skipped in favour of the
// built-in default: it is reported when the command's line is parsed (unless the flag, which
// wins, is given too).
type setting interface {
	flag.Value
	// envError is why the environment variable's value was refused, or nil.
	envError() error
}

// envValue registers a setting: the flag, its variable's value applied through Set, and the
// error that value gave, kept for checkSettings.
type envValue struct {
	flagName, env string
	err           error
}

func (e *envValue) envError() error { return e.err }

// load applies the environment variable's value, if any, through set.
func (e *envValue) load(getenv func(string) string, set func(string) error) {
	raw := getenv(e.env)
	if raw == "" {
		return
	}
	if err := set(raw); err != nil {
		e.err = usagef("%s=%s (the environment's --%s): %v", e.env, strconv.Quote(raw), e.flagName, err)
	}
}

// also names the variable in an error about the flag's value.
func (e *envValue) also(err error) error {
	return fmt.Errorf("%w (the same setting as %s)", err, e.env)
}

// durationSetting is a duration flag with an environment variable. It takes Go durations (720h,
// 90m, 30s) and whole days (400d), and only values of at least min.
type durationSetting struct {
	envValue
	d   *time.Duration
	min time.Duration
}

func registerDuration(fs *flag.FlagSet, getenv func(string) string, name, env string, def, min time.Duration, usage string) *time.Duration {
	v := &durationSetting{envValue: envValue{flagName: name, env: env}, d: new(time.Duration), min: min}
	*v.d = def
	v.load(getenv, v.set)
	fs.Var(v, name, usage+" (env "+env+"; a `duration` such as 720h or 400d)")
	return v.d
}

func (v *durationSetting) Set(s string) error {
	if err := v.set(s); err != nil {
		return v.also(err)
	}
	return nil
}

func (v *durationSetting) set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	if d < v.min {
		if v.min == 1 {
			return errors.New("must be longer than 0 (e.g. 720h or 30d)")
		}
		return fmt.Errorf("must be at least %s", formatDuration(v.min))
	}
	*v.d = d
	return nil
}

func (v *durationSetting) String() string {
	if v == nil || v.d == nil {
		return ""
	}
	return formatDuration(*v.d)
}

// parseDuration reads a Go duration or a whole number of days.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err == nil && n >= 0 && n <= 100*365 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, errors.New("not a duration: write it as e.g. 720h, 90m, 30s or 400d (days)")
	}
	return d, nil
}

// formatDuration writes whole days as days (400d, not 9600h0m0s) and drops zero minutes and
// seconds (5m, not 5m0s).
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// boolSetting is a boolean flag with an environment variable (true, false, 1, 0).
type boolSetting struct {
	envValue
	b *bool
}

func registerBool(fs *flag.FlagSet, getenv func(string) string, name, env string, usage string) *bool {
	v := &boolSetting{envValue: envValue{flagName: name, env: env}, b: new(bool)}
	v.load(getenv, v.set)
	fs.Var(v, name, usage+" (env "+env+")")
	return v.b
}

func (v *boolSetting) IsBoolFlag() bool { return true }

func (v *boolSetting) Set(s string) error {
	if err := v.set(s); err != nil {
		return v.also(err)
	}
	return nil
}

func (v *boolSetting) set(s string) error {
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not true or false (e.g. true, false, 1 or 0)")
	}
	*v.b = b
	return nil
}

func (v *boolSetting) String() string {
	return strconv.FormatBool(v != nil && v.b != nil && *v.b)
}

// checkSettings returns the first refused environment variable whose flag was not given.
func checkSettings(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if s, ok := f.Value.(setting); ok && err == nil && !given[f.Name] {
			err = s.envError()
		}
	})
	return err
}

// intSetting is a whole-number flag with an environment variable, at least min.
type intSetting struct {
	envValue
	n   *int
	min int
}

func registerInt(fs *flag.FlagSet, getenv func(string) string, name, env string, def, min int, usage string) *int {
	v := &intSetting{envValue: envValue{flagName: name, env: env}, n: new(int), min: min}
	*v.n = def
	v.load(getenv, v.set)
	fs.Var(v, name, usage+" (env "+env+"; a whole `number`)")
	return v.n
}

func (v *intSetting) Set(s string) error {
	if err := v.set(s); err != nil {
		return v.also(err)
	}
	return nil
}

func (v *intSetting) set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a whole number")
	}
	if n < v.min {
		return fmt.Errorf("must be at least %d", v.min)
	}
	*v.n = n
	return nil
}

func (v *intSetting) String() string {
	if v == nil || v.n == nil {
		return ""
	}
	return strconv.Itoa(*v.n)
}
