// Package password hashes and checks the passwords of admin users: argon2id (golang.org/x/crypto/argon2)
// encoded as a PHC string, the password policy, and generated one-time passwords.
//
// A hash carries its own parameters ($argon2id$v=19$m=19456,t=2,p=1$salt$hash, base64 without
// padding as in the reference implementation), so the parameters for new hashes can be raised
// later while every stored hash still verifies; NeedsRehash tells a login to store a new one.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/custexport/custexport"
)

// params are argon2id's cost parameters.
type params struct {
	memoryKiB  uint32
	iterations uint32
	threads    uint8
}

// defaultParams are OWASP's recommended minimum for argon2id (Password Storage Cheat Sheet):
// 19 MiB, 2 passes, 1 lane. The server is sized for 2 cores and an export peak of 256 MiB: one
// lane leaves the second core to the exports while a login hashes (about 20 ms on one core),
// and 19 MiB keeps even a few logins at once small beside the exports; 64 MiB would let four
// simultaneous logins take a quarter of that budget. verifySlots bounds the rest.
var defaultParams = params{memoryKiB: 19 * 1024, iterations: 2, threads: 1}

// current are the parameters of new hashes; tests lower them to stay fast.
var current = defaultParams

const (
	saltSize = 16 // bytes; PHC and RFC 9106 recommend 16
	keySize  = 32 // bytes of derived hash
)

// Limits on what Verify accepts from a stored string. They leave room for much stronger
// parameters later, but a tampered or corrupted hash cannot make one login allocate gigabytes
// or run for minutes.
const (
	maxMemoryKiB  = 256 * 1024
	maxIterations = 32
	maxThreads    = 16
	minSaltSize   = 8
	maxSaltSize   = 64
	minKeySize    = 16
	maxKeySize    = 64
)

// verifySlots bounds how many hashes run at once: each holds its memory (19 MiB) for its
// whole run, and a burst of login attempts must not add up to hundreds of megabytes beside
// running exports. More at once would not finish sooner on a machine with this many cores.
var verifySlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))

const prefix = "$argon2id$v=19$"

// Hash returns the PHC string of pw under fresh random salt. It does not apply the policy;
// call Check first for a password a person chose.
func Hash(pw string) string {
	salt := make([]byte, saltSize)
	rand.Read(salt) // never fails (crypto/rand since Go 1.24)
	return hashWithSalt(pw, salt, current)
}

// hashWithSalt is Hash with a given salt and parameters: the golden vectors need both fixed.
func hashWithSalt(pw string, salt []byte, p params) string {
	key := derive(pw, salt, p, keySize)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", prefix, p.memoryKiB, p.iterations, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// derive runs argon2id on the password in NFKC form: the same password typed on another
// keyboard or system (composed "č" or "c" plus a combining caron) gives the same hash, as NIST
// SP 800-63B asks.
func derive(pw string, salt []byte, p params, keyLen uint32) []byte {
	verifySlots <- struct{}{}
	defer func() { <-verifySlots }()
	return argon2.IDKey([]byte(norm.NFKC.String(pw)), salt, p.iterations, p.memoryKiB, p.threads, keyLen)
}

// Verify reports whether pw matches the PHC string encoded. The hash is compared in constant
// time. An error means encoded is not a hash this package can check (malformed, another
// algorithm, parameters out of bounds); it never says anything about pw.
func Verify(pw, encoded string) (bool, error) {
	h, err := parse(encoded)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxBytes {
		// Never a valid password: no hash spent on it.
		return false, nil
	}
	got := derive(pw, h.salt, h.params, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}

// VerifyDummy does the work of one Verify and throws it away. A login for a name that does not
// exist calls it, so that it takes as long as one for a name that does and the answer's timing
// does not tell which names exist.
func VerifyDummy(pw string) {
	if len(pw) <= MaxBytes {
		derive(pw, dummySalt, current, keySize)
	}
}

var dummySalt = make([]byte, saltSize)

// NeedsRehash reports whether encoded was made with other parameters, salt or hash size than
// Hash uses now (or cannot be read): after a successful login, store Hash(pw) instead.
func NeedsRehash(encoded string) bool {
	h, err := parse(encoded)
	return err != nil || h.params != current || len(h.salt) != saltSize || len(h.key) != keySize
}

// parsed is a decoded PHC string.
type parsed struct {
	params
	salt, key []byte
}

// parse decodes $argon2id$v=19$m=M,t=T,p=P$SALT$HASH strictly: the fields in that order, plain
// decimal numbers, base64 without padding.
func parse(encoded string) (*parsed, error) {
	fields := strings.Split(encoded, "$")
	if len(fields) < 2 || fields[0] != "" {
		return nil, malformed("it does not start with $argon2id$")
	}
	if fields[1] != "argon2id" {
		return nil, malformed("the algorithm is %s; only argon2id is supported", strconv.Quote(truncate(fields[1])))
	}
	if len(fields) != 6 {
		return nil, malformed("it has %d $-separated fields; $argon2id$v=19$m=…,t=…,p=…$salt$hash has 5", len(fields)-1)
	}
	if fields[2] != "v=19" {
		return nil, malformed("the version is %s; only v=19 (Argon2 1.3) is supported", strconv.Quote(truncate(fields[2])))
	}
	var h parsed
	var err error
	m, t, p, ok := cut3(fields[3])
	if !ok {
		return nil, malformed("the parameters %s are not m=…,t=…,p=…", strconv.Quote(truncate(fields[3])))
	}
	if h.memoryKiB, err = number(m, "m=", maxMemoryKiB); err != nil {
		return nil, err
	}
	if h.iterations, err = number(t, "t=", maxIterations); err != nil {
		return nil, err
	}
	threads, err := number(p, "p=", maxThreads)
	if err != nil {
		return nil, err
	}
	h.threads = uint8(threads)
	if h.memoryKiB < 8*uint32(h.threads) {
		return nil, malformed("m=%d is less than Argon2's minimum of 8 KiB per lane (p=%d)", h.memoryKiB, h.threads)
	}
	var ok64 bool
	if h.salt, ok64 = decode64(fields[4]); !ok64 {
		return nil, malformed("the salt is not base64 without padding")
	}
	if len(h.salt) < minSaltSize || len(h.salt) > maxSaltSize {
		return nil, malformed("the salt is %d bytes; %d to %d are accepted", len(h.salt), minSaltSize, maxSaltSize)
	}
	if h.key, ok64 = decode64(fields[5]); !ok64 {
		return nil, malformed("the hash is not base64 without padding")
	}
	if len(h.key) < minKeySize || len(h.key) > maxKeySize {
		return nil, malformed("the hash is %d bytes; %d to %d are accepted", len(h.key), minKeySize, maxKeySize)
	}
	return &h, nil
}

// decode64 decodes standard base64 without padding, in its one canonical spelling: the decoder
// alone would skip line breaks and accept stray bits in the last character.
func decode64(s string) ([]byte, bool) {
	b, err := base64.RawStdEncoding.DecodeString(s)
	return b, err == nil && base64.RawStdEncoding.EncodeToString(b) == s
}

// cut3 splits "m=…,t=…,p=…" into its three values.
func cut3(s string) (m, t, p string, ok bool) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return "", "", "", false
	}
	for i, name := range []string{"m=", "t=", "p="} {
		v, found := strings.CutPrefix(parts[i], name)
		if !found {
			return "", "", "", false
		}
		parts[i] = v
	}
	return parts[0], parts[1], parts[2], true
}

// number parses a parameter value: a plain decimal from 1 to limit, without sign or leading zeros.
func number(s, name string, limit uint32) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, malformed("%s%s is not a plain decimal number", name, strconv.Quote(truncate(s)))
	}
	if n < 1 || n > uint64(limit) {
		return 0, malformed("%s%d is out of bounds (1 to %d)", name, n, limit)
	}
	return uint32(n), nil
}

// truncate keeps quoted parts of a broken hash short in messages.
func truncate(s string) string {
	if len(s) > 20 {
		s = s[:20] + "…"
	}
	return s
}

func malformed(format string, args ...any) error {
	return custexport.Errorf(custexport.CodeInvalid, "password hash: "+format, args...)
}

// The password policy: length only, as NIST SP 800-63B advises (no composition rules, which
// push people to predictable patterns).
const (
	MinLength = 12   // characters (runes after NFKC normalisation)
	MaxBytes  = 1024 // bytes as typed; a longer one is refused, not cut
)

// Check applies the password policy to a password a person chose, and returns a CodeInvalid
// error about the field "password" that names the rule it breaks.
func Check(pw string) error {
	if len(pw) > MaxBytes {
		return custexport.FieldError("password", "it is %d bytes long; at most %d are allowed", len(pw), MaxBytes)
	}
	if !utf8.ValidString(pw) {
		return custexport.FieldError("password", "it is not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(norm.NFKC.String(pw)); n < MinLength {
		return custexport.FieldError("password", "it has %d characters; at least %d are required", n, MinLength)
	}
	return nil
}

// generatedAlphabet leaves out characters that are easily confused when read off a screen or
// typed from paper: 0 and o, 1, i and l; and capitals, so nobody has to guess the case.
const generatedAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// GeneratedLength is the length of Generate's passwords: 20 characters of a 31-letter alphabet
// are 99 bits, out of reach of any guessing.
const GeneratedLength = 20

// Generate returns a random one-time password (crypto/rand) that passes Check.
func Generate() string {
	out := make([]byte, 0, GeneratedLength)
	var buf [32]byte
	// Bytes at or above the largest multiple of the alphabet's size are dropped, so that every
	// letter is equally likely.
	limit := byte(256 / len(generatedAlphabet) * len(generatedAlphabet))
	for len(out) < GeneratedLength {
		rand.Read(buf[:])
		for _, b := range buf {
			if b < limit && len(out) < GeneratedLength {
				out = append(out, generatedAlphabet[int(b)%len(generatedAlphabet)])
			}
		}
	}
	return string(out)
}
