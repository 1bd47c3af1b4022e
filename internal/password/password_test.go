package password

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/custexport/custexport"
)

// cheap are the parameters of new hashes in these tests: argon2id's smallest, so that the
// tests stay fast. The golden vectors and TestDefaultParams use the real ones.
var cheap = params{memoryKiB: 64, iterations: 1, threads: 1}

func TestMain(m *testing.M) {
	current = cheap
	os.Exit(m.Run())
}

func TestRoundTrip(t *testing.T) {
	for _, pw := range []string{"correct horse battery staple", "Příliš žluťoučký kůň", " leading and trailing spaces ", strings.Repeat("x", MaxBytes)} {
		h := Hash(pw)
		if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("Hash = %q, want a PHC string with the current parameters", h)
		}
		if ok, err := Verify(pw, h); !ok || err != nil {
			t.Errorf("Verify(%.20q, own hash) = %v, %v", pw, ok, err)
		}
		for _, wrong := range []string{"", pw + " ", strings.TrimSpace(pw), strings.ToUpper(pw), pw[:len(pw)-1]} {
			if wrong == pw {
				continue
			}
			if ok, err := Verify(wrong, h); ok || err != nil {
				t.Errorf("Verify(%.20q) against the hash of %.20q = %v, %v; want false, nil", wrong, pw, ok, err)
			}
		}
	}
	if first, second := Hash("same"), Hash("same"); first == second {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

// The golden vectors come from the reference implementation, the argon2 command of the
// phc-winner-argon2 project (Debian package argon2), e.g.
//
//	printf %s 'correct horse battery staple' | argon2 'custexport-salt!' -id -t 2 -k 19456 -p 1 -l 32 -e
func TestGoldenVectors(t *testing.T) {
	cases := []struct {
		pw, salt string
		p        params
		want     string
	}{
		{"correct horse battery staple", "custexport-salt!", defaultParams,
			"$argon2id$v=19$m=19456,t=2,p=1$Y3VzdGV4cG9ydC1zYWx0IQ$c9gEQwCqis7aSYYzd5ggl4n6NoAnxToenPEOtY0cwRI"},
		{"Příliš žluťoučký kůň úpěl", "custexport-salt!", defaultParams,
			"$argon2id$v=19$m=19456,t=2,p=1$Y3VzdGV4cG9ydC1zYWx0IQ$FGUbKRipTev1BNVcaeHWfuc1fWC3Q7wSLj+x8aywA/4"},
	}
	for _, tc := range cases {
		if got := hashWithSalt(tc.pw, []byte(tc.salt), tc.p); got != tc.want {
			t.Errorf("hashWithSalt(%q) =\n%s\nwant\n%s", tc.pw, got, tc.want)
		}
		if ok, err := Verify(tc.pw, tc.want); !ok || err != nil {
			t.Errorf("Verify(%q, reference hash) = %v, %v", tc.pw, ok, err)
		}
	}
	// Parameters, salt and hash length are read from the string: two lanes, a 12-byte salt and
	// a 16-byte hash made by the reference implementation verify too.
	ref := "$argon2id$v=19$m=64,t=1,p=2$c2FsdHNhbHRzYWx0$ehc5CB5+zw2Qb8nTb8kWqg"
	if ok, err := Verify("correct horse battery staple", ref); !ok || err != nil {
		t.Errorf("Verify(reference hash with p=2, 16-byte hash) = %v, %v", ok, err)
	}
	if ok, _ := Verify("correct horse battery stapl", ref); ok {
		t.Error("a wrong password verifies against the reference hash")
	}
}

// The same password typed as decomposed characters ("c" and a combining caron) verifies.
func TestVerifyNormalisesUnicode(t *testing.T) {
	composed := "Příliš žluťoučký kůň úpěl"
	decomposed := norm.NFD.String(composed)
	if decomposed == composed {
		t.Fatal("test data: NFD changed nothing")
	}
	const reference = "$argon2id$v=19$m=19456,t=2,p=1$Y3VzdGV4cG9ydC1zYWx0IQ$FGUbKRipTev1BNVcaeHWfuc1fWC3Q7wSLj+x8aywA/4"
	if ok, err := Verify(decomposed, reference); !ok || err != nil {
		t.Errorf("the decomposed form of the password does not verify: %v, %v", ok, err)
	}
}

func TestDefaultParams(t *testing.T) {
	if defaultParams != (params{memoryKiB: 19456, iterations: 2, threads: 1}) {
		t.Errorf("default parameters %+v, want OWASP's m=19456,t=2,p=1", defaultParams)
	}
	saved := current
	current = defaultParams
	defer func() { current = saved }()
	h := Hash("correct horse battery staple")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || len(h) != len("$argon2id$v=19$m=19456,t=2,p=1$")+22+1+43 {
		t.Errorf("Hash = %q, want m=19456,t=2,p=1, a 16-byte salt and a 32-byte hash", h)
	}
	if ok, err := Verify("correct horse battery staple", h); !ok || err != nil {
		t.Errorf("Verify = %v, %v", ok, err)
	}
}

func TestVerifyRefusesMalformedHashes(t *testing.T) {
	good := hashWithSalt("pw", []byte("saltsaltsaltsalt"), cheap)
	salt, key := "c2FsdHNhbHRzYWx0c2FsdA", good[strings.LastIndex(good, "$")+1:]
	cases := []struct {
		name, encoded, want string
	}{
		{"Empty", "", "does not start with $argon2id$"},
		{"NotPHC", "secret", "does not start with $argon2id$"},
		{"Bcrypt", "$2b$12$abcdefghijklmnopqrstuu", "only argon2id"},
		{"Argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, "only argon2id"},
		{"Argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key, "only argon2id"},
		{"NoVersion", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key, "has 4 $-separated fields"},
		{"Version16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, "only v=19"},
		{"TrailingDollar", good + "$", "has 6 $-separated fields"},
		{"ParamsReordered", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key, "not m=…,t=…,p=…"},
		{"ParamMissing", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key, "not m=…,t=…,p=…"},
		{"KeyIDParam", "$argon2id$v=19$m=64,t=1,p=1,keyid=x$" + salt + "$" + key, "not m=…,t=…,p=…"},
		{"MemoryNotANumber", "$argon2id$v=19$m=abc,t=1,p=1$" + salt + "$" + key, `m="abc" is not a plain decimal`},
		{"MemoryLeadingZero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key, "not a plain decimal"},
		{"MemorySigned", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key, "not a plain decimal"},
		{"MemoryOverflow", "$argon2id$v=19$m=99999999999,t=1,p=1$" + salt + "$" + key, "not a plain decimal"},
		{"MemoryTooLarge", "$argon2id$v=19$m=4194304,t=1,p=1$" + salt + "$" + key, "m=4194304 is out of bounds"},
		{"MemoryBelowLanes", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key, "minimum of 8 KiB per lane"},
		{"ZeroIterations", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key, "t=0 is out of bounds"},
		{"ZeroThreads", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key, "p=0 is out of bounds"},
		{"TooManyThreads", "$argon2id$v=19$m=8192,t=1,p=300$" + salt + "$" + key, "p=300 is out of bounds"},
		{"SaltNotBase64", "$argon2id$v=19$m=64,t=1,p=1$salt!salt!salt$" + key, "salt is not base64"},
		{"SaltPadded", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, "salt is not base64"},
		{"SaltWithLineBreak", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:8] + "\n" + salt[8:] + "$" + key, "salt is not base64"},
		{"SaltTooShort", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key, "salt is 4 bytes"},
		{"HashNotBase64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:20] + "-" + key[21:], "hash is not base64"},
		{"HashStrayBits", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:len(key)-1] + "J", "hash is not base64"},
		{"HashTooShort", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key[:8], "hash is 6 bytes"},
		{"HashEmpty", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$", "hash is 0 bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := Verify("pw", tc.encoded)
			var e *custexport.Error
			if ok || !errors.As(err, &e) || e.Code != custexport.CodeInvalid {
				t.Fatalf("Verify(%q) = %v, %v; want false and a CodeInvalid error", tc.encoded, ok, err)
			}
			if !strings.HasPrefix(err.Error(), "password hash: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if !NeedsRehash(tc.encoded) {
				t.Error("a malformed hash does not need a rehash")
			}
		})
	}
	if ok, err := Verify("pw", good); !ok || err != nil {
		t.Fatalf("the untampered hash: %v, %v", ok, err)
	}
}

// Any change to a well-formed hash makes the right password fail, without an error.
func TestVerifyRefusesTamperedHashes(t *testing.T) {
	good := hashWithSalt("pw", []byte("saltsaltsaltsalt"), cheap)
	tampered := map[string]string{
		"Memory":     strings.Replace(good, "m=64", "m=72", 1),
		"Iterations": strings.Replace(good, "t=1", "t=2", 1),
		"Threads":    strings.Replace(good, "p=1", "p=2", 1),
		"Salt":       strings.Replace(good, "c2FsdHNhbHRzYWx0c2FsdA", "c2FsdHNhbHRzYWx0c2FsdQ", 1),
		"Hash":       good[:len(good)-5] + flip(good[len(good)-5]) + good[len(good)-4:],
		"HashCut":    good[:len(good)-11], // 24 of 32 bytes: still well-formed
	}
	for name, h := range tampered {
		if h == good {
			t.Fatalf("%s: test data unchanged", name)
		}
		if ok, err := Verify("pw", h); ok || err != nil {
			t.Errorf("%s tampered: Verify = %v, %v; want false, nil", name, ok, err)
		}
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestVerifyRefusesOverlongPasswordCheaply(t *testing.T) {
	long := strings.Repeat("a", MaxBytes+1)
	h := hashWithSalt(long, []byte("saltsaltsaltsalt"), cheap)
	if ok, err := Verify(long, h); ok || err != nil {
		t.Errorf("a password over %d bytes verified: %v, %v", MaxBytes, ok, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	if NeedsRehash(Hash("pw")) {
		t.Error("a fresh hash needs a rehash")
	}
	for name, h := range map[string]string{
		"OlderParams": hashWithSalt("pw", []byte("saltsaltsaltsalt"), params{memoryKiB: 32, iterations: 1, threads: 1}),
		"ShorterSalt": hashWithSalt("pw", []byte("saltsalt"), cheap),
		"ShorterHash": "$argon2id$v=19$m=64,t=1,p=2$c2FsdHNhbHRzYWx0$ehc5CB5+zw2Qb8nTb8kWqg",
	} {
		if !NeedsRehash(h) {
			t.Errorf("%s: %s does not need a rehash under %+v", name, h, current)
		}
	}
}

func TestCheck(t *testing.T) {
	accepted := []string{
		"twelve chars",
		"ěščřžýáíéůúň",                // 12 characters, 24 bytes
		"            ",                // spaces are characters too
		strings.Repeat("a", MaxBytes), // at the limit
		norm.NFD.String("ěščřžýáíéůúň"),
	}
	for _, pw := range accepted {
		if err := Check(pw); err != nil {
			t.Errorf("Check(%.30q) = %v, want nil", pw, err)
		}
	}
	refused := []struct {
		name, pw, want string
	}{
		{"Empty", "", "it has 0 characters; at least 12 are required"},
		{"Eleven", "eleven char", "it has 11 characters; at least 12"},
		{"ElevenWideCharacters", "ěščřžýáíéůú", "it has 11 characters"}, // 22 bytes
		{"ElevenDecomposed", norm.NFD.String("ěščřžýáíéůú"), "it has 11 characters"},
		{"TooLong", strings.Repeat("a", MaxBytes+1), "it is 1025 bytes long; at most 1024"},
		{"InvalidUTF8", "valid prefix \xff and more", "not valid UTF-8"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.pw)
			var e *custexport.Error
			if !errors.As(err, &e) || e.Code != custexport.CodeInvalid || e.Field != "password" {
				t.Fatalf("Check = %v, want a CodeInvalid error about the password", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for range 2000 {
		pw := Generate()
		if len(pw) != GeneratedLength || utf8.RuneCountInString(pw) != GeneratedLength {
			t.Fatalf("Generate() = %q, want %d characters", pw, GeneratedLength)
		}
		if err := Check(pw); err != nil {
			t.Fatalf("a generated password fails the policy: %v", err)
		}
		if seen[pw] {
			t.Fatalf("Generate repeated %q", pw)
		}
		seen[pw] = true
		for _, r := range pw {
			if !strings.ContainsRune(generatedAlphabet, r) {
				t.Fatalf("Generate() = %q holds %q, outside the unambiguous alphabet", pw, r)
			}
			counts[r]++
		}
	}
	// 40,000 letters of 31: each about 1290 times; a letter never or twice as often as the
	// others would mean a biased draw.
	for _, r := range generatedAlphabet {
		if c := counts[r]; c < 1000 || c > 1600 {
			t.Errorf("letter %q drawn %d times in 40,000, want about 1290", r, c)
		}
	}
	for _, ambiguous := range "0oO1iIlL" {
		if strings.ContainsRune(generatedAlphabet, ambiguous) {
			t.Errorf("the alphabet holds the ambiguous %q", ambiguous)
		}
	}
}

func TestConcurrentVerify(t *testing.T) {
	h := Hash("correct horse battery staple")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			pw := "correct horse battery staple"
			if i%2 == 1 {
				pw = "wrong"
				VerifyDummy(pw)
			}
			if ok, err := Verify(pw, h); ok != (i%2 == 0) || err != nil {
				t.Errorf("Verify #%d = %v, %v", i, ok, err)
			}
		})
	}
	wg.Wait()
	if len(verifySlots) != 0 {
		t.Errorf("%d hashing slots still taken after every hash ended", len(verifySlots))
	}
}

// FuzzVerify checks that no stored string, however broken, makes Verify or NeedsRehash panic,
// and that a string Verify accepts is one parse reads the same way again.
func FuzzVerify(f *testing.F) {
	f.Add("pw", hashWithSalt("pw", []byte("saltsaltsaltsalt"), cheap))
	f.Add("correct horse battery staple", "$argon2id$v=19$m=64,t=1,p=2$c2FsdHNhbHRzYWx0$ehc5CB5+zw2Qb8nTb8kWqg")
	f.Add("", "")
	f.Add("x", "$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA")
	f.Add("x", "$argon2id$v=19$m=4294967295,t=4294967295,p=255$$")
	f.Add("x", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("x", "$$$$$$")
	f.Fuzz(func(t *testing.T, pw, encoded string) {
		NeedsRehash(encoded)
		h, err := parse(encoded)
		if err != nil {
			if ok, verr := Verify(pw, encoded); ok || verr == nil {
				t.Fatalf("parse refused %q (%v) but Verify gave %v, %v", encoded, err, ok, verr)
			}
			return
		}
		if uint64(h.memoryKiB)*uint64(h.iterations) > 4096 {
			return // well-formed but too costly to run thousands of times a second
		}
		if _, err := Verify(pw, encoded); err != nil {
			t.Fatalf("parse accepted %q but Verify refused it: %v", encoded, err)
		}
		if again := hashWithSalt(pw, h.salt, h.params); len(h.key) == keySize {
			if ok, _ := Verify(pw, again); !ok {
				t.Fatalf("a hash made with %q's salt and parameters does not verify", encoded)
			}
		}
	})
}
