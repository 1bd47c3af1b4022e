package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/importlookup"
	"github.com/custexport/custexport/internal/storetest"
)

// The import's customer stream answers every order of guids a file can have exactly as lookups
// by guid would, reports each guid asked for twice, and serves a file in export order, whole or
// with gaps, from the stream rather than by lookups.
func TestImportStreamOrders(t *testing.T) {
	const n = 3000 // about six batches
	db, _ := seeded(t, n)
	_, flat := readAll(t, db, custexport.SnapshotQuery{}) // export order, flat records
	byGUID, orders := storetest.LookupOrders(flat)
	// How many calls the stream answers at its head instead of by lookups.
	hits := map[string]struct{ min, max int }{
		storetest.OrderExport:      {n, n},
		storetest.OrderFromMiddle:  {n/2 - 1, n / 2},
		storetest.OrderReversed:    {0, n},
		storetest.OrderShuffled:    {0, n},
		storetest.OrderEachTwice:   {n / 2, n / 2},
		storetest.OrderFileTwice:   {n, 2 * n},
		storetest.OrderWithUnknown: {n, n},
	}
	for _, tc := range orders {
		want, ok := hits[tc.Name]
		if tc.Name == storetest.OrderGaps {
			want, ok = struct{ min, max int }{len(tc.GUIDs) - 200, len(tc.GUIDs)}, true
		}
		if !ok {
			t.Fatalf("no expectation for order %q", tc.Name)
		}
		t.Run(tc.Name, func(t *testing.T) {
			err := db.Import(context.Background(), false, func(itx custexport.ImportTx) error {
				tx := itx.(*importTx)
				if tx.stream == nil {
					t.Fatal("the import has no stream")
				}
				if err := storetest.AskEach(t, context.Background(), tx, tc.GUIDs, byGUID); err != nil {
					return err
				}
				if h := tx.stream.cursor.Hits(); h < want.min || h > want.max {
					t.Errorf("%d of %d calls answered by the stream, want %d to %d", h, len(tc.GUIDs), want.min, want.max)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Writes of the import itself do not confuse the stream: a customer updated to another
// registration date (another place in export order) or inserted is found by the lookups that
// see the import's writes, and asking for it again is a repeat. (Reading back the import's own
// writes is this store's behaviour, not the contract's: the PostgreSQL store answers from the
// customers as the import found them. The contract part is storetest's ImportAfterWrites.)
func TestImportStreamAfterWrites(t *testing.T) {
	db, _ := seeded(t, 2000)
	_, flat := readAll(t, db, custexport.SnapshotQuery{})
	ctx := context.Background()
	err := db.Import(ctx, false, func(tx custexport.ImportTx) error {
		// Move the 10th customer to the end of export order, then read on in order.
		c, _, err := tx.Customer(ctx, flat[10].GUID)
		if err != nil {
			return err
		}
		moved := *c
		moved.RegistrationDate = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		moved.Phone = "+420 777 000 000"
		if err := tx.Update(ctx, &moved); err != nil {
			return err
		}
		added := flat[0]
		added.GUID, added.Email = "eeeeeeee-0000-4000-8000-000000000001", "added@example.cz"
		added.AccountGUID = storetest.AccountFor(added.GUID)
		if err := tx.Insert(ctx, &added); err != nil {
			return err
		}
		again, err := storetest.AskAllInOrder(t, ctx, tx, flat, 10)
		if err != nil {
			return err
		}
		if again.Phone != moved.Phone || !again.RegistrationDate.Equal(moved.RegistrationDate) {
			t.Fatalf("the updated customer read back as %+v", again)
		}
		got, repeated, err := tx.Customer(ctx, added.GUID)
		if err != nil || got == nil || !repeated {
			t.Fatalf("the inserted customer: %v, repeated %v, %v; want found and repeated", got, repeated, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A customer id beyond the duplicate bitset's range (ids are not reused, so an old shop's can
// be large) is still caught when its guid comes twice.
func TestImportRepeatedLargeID(t *testing.T) {
	db, all := seeded(t, 3)
	ctx := context.Background()
	if _, err := db.sql.ExecContext(ctx, `UPDATE customer SET id = ? WHERE guid = ?`, int64(importlookup.MaxClaimID)+6, all[1].GUID); err != nil {
		t.Fatal(err)
	}
	err := db.Import(ctx, false, func(tx custexport.ImportTx) error {
		for i, want := range []bool{false, true, true} {
			c, repeated, err := tx.Customer(ctx, all[1].GUID)
			if err != nil || c == nil || repeated != want {
				t.Fatalf("call %d: %v, repeated %v, %v; want found, repeated %v", i, c, repeated, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
