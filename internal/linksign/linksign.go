// Package linksign signs and verifies partner download links
// (GET /export/customers.csv?partnerId=7&…&hash=…).
//
// The hash is HMAC-SHA256 over Canonical(path, params), keyed with a per-partner key:
//
//	partnerKey = HMAC-SHA256(masterKey, "custexport partner link key v1" || 0x00 || bigEndianInt64(partnerID) || salt)
//	hash       = lowercase hex of HMAC-SHA256(partnerKey, Canonical(path, params))
//
// The master key lives outside the database (key file or environment variable), so a stolen
// database copy, which holds only partner ids and salts, cannot forge a link. The salt is random
// per partner and replaced on regenerate, which invalidates every earlier link of that partner
// only; a partner deleted and re-created under a reused id gets a new salt and so new links.
// The label and the 0x00 separator keep this derivation apart from any other use of the master
// key; the id has a fixed width and the salt comes last, so the input is unambiguous.
//
// The same rule (derive) gives the access log's key, label "custexport access log key v1", and
// the master key's check value kept in the database, label "custexport master key check v1".
package linksign

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/custexport/custexport"
)

const (
	// keyLabel names the purpose of the derived key; a new derivation gets a new version.
	keyLabel = "custexport partner link key v1"

	// canonicalPrefix versions the canonical form, so it can change later without a new format
	// ever producing the same bytes as an old one.
	canonicalPrefix = "custexport-link-v1\n"

	hashParam      = "hash"
	partnerIDParam = "partnerId"
	hashHexLen     = 2 * sha256.Size
)

// urlParamOrder is the order SignedURL writes the known parameters in, so a human reading a link
// finds the partner first and the hash last; the order does not affect the hash.
var urlParamOrder = []string{partnerIDParam, "dateFrom", "dateUntil", "encoding", "guard", "ip"}

// Signer signs and verifies links with one master key. It never changes after New, so it is
// safe for concurrent use.
type Signer struct {
	master []byte
}

// New returns a Signer for masterKey, which must be MasterKeySize bytes.
func New(masterKey []byte) (*Signer, error) {
	if len(masterKey) != MasterKeySize {
		return nil, &custexport.Error{
			Code:    custexport.CodeInvalid,
			Message: fmt.Sprintf("master key must be %d bytes, got %d", MasterKeySize, len(masterKey)),
		}
	}
	// A copy, so a caller reusing or wiping its slice cannot change the keys under us.
	return &Signer{master: bytes.Clone(masterKey)}, nil
}

// Sign returns the hash (64 lowercase hex characters) for path, e.g. "/export/customers.csv",
// and the query parameters. A "hash" parameter in params is ignored, as in Verify.
func (s *Signer) Sign(partnerID int64, salt []byte, path string, params url.Values) string {
	return hex.EncodeToString(s.mac(partnerID, salt, path, params))
}

// Verify reports whether hash is the valid hash of a request for path with params, signed for
// partnerID with salt. params may contain "hash"; it is not part of the canonical form.
// partnerId in params must be exactly one value equal to partnerID, so a link of one partner can
// never be checked against another's key by mistake. An empty salt is refused: it would make the
// id alone select the key, and a re-created partner would inherit old links.
//
// The MAC is compared with hmac.Equal on decoded bytes, in constant time; a malformed hash
// (wrong length, upper case, non-hex) is false and is decoded without data-dependent branches,
// so timing reveals nothing about how much of it matched.
//
// params should come from url.ParseQuery with its error checked: Request.URL.Query drops
// malformed pairs silently, so a request with extra garbage would still verify.
func (s *Signer) Verify(partnerID int64, salt []byte, path string, params url.Values, hash string) bool {
	// The length is public (every valid hash has it), so refusing early reveals nothing.
	if len(hash) != hashHexLen {
		return false
	}
	got, wellFormed := decodeLowerHex(hash)
	want := s.mac(partnerID, salt, path, params)
	macOK := hmac.Equal(got, want)
	ids := params[partnerIDParam]
	idOK := len(ids) == 1 && ids[0] == strconv.FormatInt(partnerID, 10)
	return wellFormed && macOK && idOK && len(salt) > 0
}

// Canonical returns the exact byte string that is MACed:
//
//	"custexport-link-v1\n" + QueryEscape(path) + "\n" + pairs
//
// where pairs is QueryEscape(name) + "=" + QueryEscape(value) for every value, joined with "&";
// names in ascending byte order, the values of a repeated name in their original order.
// The "hash" parameter is left out (it carries the MAC), and so is a name with no values (it
// cannot appear in a URL). Example: "custexport-link-v1\n%2Fexport%2Fcustomers.csv\ndateFrom=2024-01-01&partnerId=7".
//
// The form is injective: url.QueryEscape is reversible and never outputs "\n", "&" or "=", so
// path, names and values can all be read back, and therefore no two different (path, params)
// give the same string. Merely sorting the raw query would not do: {"a": "b&c=d"} and
// {"a": "b", "c": "d"} would collide.
func Canonical(path string, params url.Values) string {
	var b strings.Builder
	b.WriteString(canonicalPrefix)
	b.WriteString(url.QueryEscape(path))
	b.WriteByte('\n')
	first := true
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if name == hashParam {
			continue
		}
		escName := url.QueryEscape(name)
		for _, v := range params[name] {
			if !first {
				b.WriteByte('&')
			}
			first = false
			b.WriteString(escName)
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// SignedURL returns base + path + "?" + query + "hash=" + Sign(…). partnerId is set to partnerID
// (a different value in params is replaced); params itself is not modified and a "hash" in it
// is ignored. The query lists partnerId, dateFrom, dateUntil, encoding, guard and ip first, then
// any other names sorted, and the hash last, so links read alike. A trailing "/" of base is
// dropped, because path starts with one. path is written as is and must be a plain URL path.
func (s *Signer) SignedURL(base string, partnerID int64, salt []byte, path string, params url.Values) string {
	p := make(url.Values, len(params)+1)
	for name, values := range params {
		if name != hashParam {
			p[name] = values // shared, never modified
		}
	}
	p[partnerIDParam] = []string{strconv.FormatInt(partnerID, 10)}

	var b strings.Builder
	b.WriteString(strings.TrimSuffix(base, "/"))
	b.WriteString(path)
	b.WriteByte('?')
	write := func(name string) {
		for _, v := range p[name] {
			b.WriteString(url.QueryEscape(name))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
			b.WriteByte('&')
		}
	}
	for _, name := range urlParamOrder {
		write(name)
	}
	for _, name := range slices.Sorted(maps.Keys(p)) {
		if !slices.Contains(urlParamOrder, name) {
			write(name)
		}
	}
	b.WriteString(hashParam)
	b.WriteByte('=')
	b.WriteString(s.Sign(partnerID, salt, path, p))
	return b.String()
}

// partnerKey derives the partner's key as documented in the package comment.
func (s *Signer) partnerKey(partnerID int64, salt []byte) []byte {
	return s.derive(keyLabel, binary.BigEndian.AppendUint64(nil, uint64(partnerID)), salt)
}

// derive is the one rule by which every key comes from the master key:
// HMAC-SHA256(masterKey, label || 0x00 || parts...). The label names the purpose (and its
// version), so keys for different purposes never coincide.
func (s *Signer) derive(label string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, s.master)
	writeDeriveInput(m, label, parts...)
	return m.Sum(nil)
}

// writeDeriveInput writes what a key derived for label from parts is the master-keyed MAC of.
func writeDeriveInput(m hash.Hash, label string, parts ...[]byte) {
	m.Write([]byte(label))
	m.Write([]byte{0})
	for _, p := range parts {
		m.Write(p)
	}
}

// The labels of the other keys derived from the master key.
const (
	logKeyLabel   = "custexport access log key v1"
	keyCheckLabel = "custexport master key check v1"
)

// LogKey is the key that MACs the access log (SPEC section 7), derived from the master key.
func (s *Signer) LogKey() *custexport.LogKey {
	return custexport.NewLogKey(s.derive(logKeyLabel))
}

// KeyCheck is the master key's check value, kept in the database so that a start with a
// missing or different key is refused instead of silently breaking every link: it identifies
// the key without revealing anything that helps to forge a link or a log entry.
func (s *Signer) KeyCheck() string {
	return hex.EncodeToString(s.derive(keyCheckLabel))
}

func (s *Signer) mac(partnerID int64, salt []byte, path string, params url.Values) []byte {
	m := hmac.New(sha256.New, s.partnerKey(partnerID, salt))
	m.Write([]byte(Canonical(path, params)))
	return m.Sum(nil)
}

// decodeLowerHex decodes lowercase hex without branching on the characters, unlike
// hex.DecodeString, which stops at the first bad one (and accepts upper case, which links never
// contain). ok is false if any character is not 0-9 or a-f; the bytes are then meaningless.
func decodeLowerHex(s string) (out []byte, ok bool) {
	out = make([]byte, len(s)/2)
	valid := int32(1)
	for i := range out {
		hi, vh := lowerHexValue(s[2*i])
		lo, vl := lowerHexValue(s[2*i+1])
		out[i] = hi<<4 | lo
		valid &= vh & vl
	}
	return out, valid == 1 && len(s)%2 == 0
}

// lowerHexValue returns the value of one lowercase hex digit and valid = 1, or valid = 0.
// Range checks use the sign bit of (x | (max - x)), which is set exactly when x < 0 or x > max.
func lowerHexValue(c byte) (value byte, valid int32) {
	d := int32(c) - '0'
	l := int32(c) - 'a'
	isDigit := ^((d | (9 - d)) >> 31)  // all ones when '0' <= c <= '9'
	isLetter := ^((l | (5 - l)) >> 31) // all ones when 'a' <= c <= 'f'
	return byte(d&isDigit | (l+10)&isLetter), (isDigit | isLetter) & 1
}

// LinkParams are the query parameters (SPEC section 5) of a link for opts, restricted to the
// canonical IP list ipList when it is not empty; SignedURL adds partnerId and hash. The CLI's
// `partner url` and the admin UI's permanent-link box make the same links through it.
func LinkParams(opts custexport.ExportOptions, ipList string) url.Values {
	params := url.Values{}
	if !opts.Filter.From.IsZero() {
		params.Set("dateFrom", opts.Filter.From.String())
	}
	if !opts.Filter.Until.IsZero() {
		params.Set("dateUntil", opts.Filter.Until.String())
	}
	if opts.Format == custexport.FormatCSV && opts.Encoding == custexport.EncodingWindows1250 {
		params.Set("encoding", string(opts.Encoding))
	}
	if !opts.FormulaGuard {
		params.Set("guard", "0")
	}
	if ipList != "" {
		params.Set("ip", ipList)
	}
	return params
}

// FindByHash finds the partner whose link for path without further parameters (only partnerId,
// which a link always carries) has the hash: the hash a program that keeps only the hash sends
// (SPEC section 5, "the hash alone"). It returns the partner's index in partners, or -1.
//
// Every partner is compared, each in constant time, and a match does not stop the loop, so the
// time depends on the number of partners, never on which of them (if any) the hash belongs to.
// A malformed hash is compared like any other and matches nothing. Partners without a salt
// (deleted ones) never match, as in Verify.
func (s *Signer) FindByHash(partners []custexport.Partner, path, hash string) int {
	if len(hash) != hashHexLen {
		return -1 // the length is public: every valid hash has it
	}
	got, wellFormed := decodeLowerHex(hash)
	found := -1
	// The same MACs as Sign(id, salt, path, {partnerId: id}), computed without its
	// allocations: one master-keyed HMAC reset per partner, and the canonical form of a plain
	// link written in place (TestFindByHashMatchesSign keeps the two equal).
	master := hmac.New(sha256.New, s.master)
	var key, sum [sha256.Size]byte
	var id [8]byte
	canonical := []byte(canonicalPrefix + url.QueryEscape(path) + "\n" + partnerIDParam + "=")
	prefix := len(canonical)
	for i := range partners {
		p := &partners[i]
		master.Reset()
		writeDeriveInput(master, keyLabel, binary.BigEndian.AppendUint64(id[:0], uint64(p.ID)), p.LinkSalt)
		m := hmac.New(sha256.New, master.Sum(key[:0]))
		canonical = strconv.AppendInt(canonical[:prefix], p.ID, 10)
		m.Write(canonical)
		match := hmac.Equal(got, m.Sum(sum[:0]))
		// Branch-free selection: the loop does the same work for a match as for a miss.
		found = subtle.ConstantTimeSelect(boolInt(match && len(p.LinkSalt) > 0), i, found)
	}
	if !wellFormed {
		return -1
	}
	return found
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
