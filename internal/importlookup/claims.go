package importlookup

import (
	"context"
	"strconv"
)

// ClaimSet marks the customer ids an import asked for, so that a second row naming the same
// customer is found a duplicate: a bit per customer, not a key per row, keeps it small (1M
// customers: 125 KiB).
type ClaimSet struct{ bits []uint64 }

// MaxClaimID caps the set at 16 MiB; the caller keeps larger (and negative) ids elsewhere.
const MaxClaimID = 1<<27 - 1

// Claim marks id and reports whether it was marked before; ok is false, and nothing is marked,
// for an id outside 0…MaxClaimID.
func (c *ClaimSet) Claim(id int64) (was, ok bool) {
	if id < 0 || id > MaxClaimID {
		return false, false
	}
	word, bit := int(id/64), uint64(1)<<(id%64)
	if word >= len(c.bits) {
		c.bits = append(c.bits, make([]uint64, word+1-len(c.bits)+len(c.bits)/4)...)
	}
	was = c.bits[word]&bit != 0
	c.bits[word] |= bit
	return was, true
}

// FileKeys is where an import keeps the keys its file named that no ClaimSet holds: the import
// transaction's SeenInFile.
type FileKeys interface {
	SeenInFile(ctx context.Context, key string) (bool, error)
}

// ClaimCustomer marks the customer id as asked for and reports whether it was already: in the
// set, or, for an id outside its range, under the key "id:<id>" in file.
func (c *ClaimSet) ClaimCustomer(ctx context.Context, id int64, file FileKeys) (bool, error) {
	if was, ok := c.Claim(id); ok {
		return was, nil
	}
	return file.SeenInFile(ctx, "id:"+strconv.FormatInt(id, 10))
}
