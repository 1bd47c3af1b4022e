package storetest

import (
	"errors"
	"regexp"
	"testing"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/sample"
)

// accountTests hold the store to accountGuid's rules (SPEC section 1): given on create,
// unique, never changed.
var accountTests = []test{
	{"AccountGUIDGeneratedOnCreate", testAccountGeneratedOnCreate},
	{"AccountGUIDUnique", testAccountUnique},
	{"AccountGUIDSurvivesUpdate", testAccountSurvivesUpdate},
	{"AccountGUIDOfImportedCustomer", testAccountOfImportedCustomer},
	{"AccountGUIDClashOnImportRefused", testAccountClashOnImport},
}

// accounts maps the stored customers' guids to their account guids.
func accounts(t *testing.T, db custexport.Database) map[string]string {
	t.Helper()
	_, all := ReadAll(t, db, custexport.SnapshotQuery{})
	out := make(map[string]string, len(all))
	for _, c := range all {
		out[c.GUID] = c.AccountGUID
	}
	return out
}

// A customer inserted without an account guid gets a well-formed one of its own; one inserted
// with an account guid keeps it.
func testAccountGeneratedOnCreate(t *testing.T, db custexport.Database) {
	cs := sample.Customers()
	cs[1].AccountGUID, cs[2].AccountGUID = "", ""
	insert(t, db, cs...)
	got := accounts(t, db)
	seen := map[string]string{}
	for _, c := range cs {
		a := got[c.GUID]
		if canon, err := custexport.ParseGUID(a); err != nil || canon != a {
			t.Errorf("customer %s: account guid %q, want a lowercase UUID", c.GUID, a)
		}
		if c.AccountGUID != "" && a != c.AccountGUID {
			t.Errorf("customer %s: account guid %q, want the given %s", c.GUID, a, c.AccountGUID)
		}
		if other, dup := seen[a]; dup {
			t.Errorf("customers %s and %s share account guid %s", other, c.GUID, a)
		}
		seen[a] = c.GUID
	}
}

// A second customer with a stored account guid is refused, naming the column, and nothing of
// its batch is stored.
func testAccountUnique(t *testing.T, db custexport.Database) {
	cs := sample.Customers()
	insert(t, db, cs[0])
	clash := cs[2]
	clash.AccountGUID = cs[0].AccountGUID
	err := db.InsertCustomers(t.Context(), []custexport.Customer{cs[1], clash})
	if e := wantCode(t, "inserting an account guid that exists", err, custexport.CodeConflict); e.Field != "accountGuid" {
		t.Errorf("conflict %+v: want field accountGuid", e)
	}
	if n, _ := db.CountCustomers(t.Context()); n != 1 {
		t.Fatalf("after the refused batch the store holds %d customers, want 1", n)
	}
}

// An import's update never changes the account guid, even when handed another one; the
// customer the import reads carries it.
func testAccountSurvivesUpdate(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	cs := sample.Customers()
	insert(t, db, cs...)
	err := db.Import(ctx, true, func(tx custexport.ImportTx) error {
		c, _, err := tx.Customer(ctx, cs[0].GUID)
		if err != nil || c == nil {
			return errors.Join(err, errors.New("the stored customer was not found"))
		}
		if c.AccountGUID != cs[0].AccountGUID {
			t.Errorf("the import reads account guid %q, want %s", c.AccountGUID, cs[0].AccountGUID)
		}
		c.Phone = "+420 1"
		c.AccountGUID = "acc00000-0000-4000-8000-000000000001"
		return tx.Update(ctx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	_, all := ReadAll(t, db, custexport.SnapshotQuery{})
	for _, c := range all {
		if c.GUID == cs[0].GUID && (c.Phone != "+420 1" || c.AccountGUID != cs[0].AccountGUID) {
			t.Errorf("after the update: phone %q, account guid %q; want +420 1 and %s kept", c.Phone, c.AccountGUID, cs[0].AccountGUID)
		}
	}
}

// A customer an import inserts keeps the account guid it brings; AccountOwner finds stored
// account guids, and none for an unknown one.
func testAccountOfImportedCustomer(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	cs := sample.Customers()
	insert(t, db, cs[:3]...)
	added := cs[3]
	err := db.Import(ctx, true, func(tx custexport.ImportTx) error {
		if owner, err := tx.AccountOwner(ctx, cs[1].AccountGUID); err != nil || owner != cs[1].GUID {
			t.Errorf("AccountOwner(%s) = %q, %v; want %s", cs[1].AccountGUID, owner, err, cs[1].GUID)
		}
		if owner, err := tx.AccountOwner(ctx, added.AccountGUID); err != nil || owner != "" {
			t.Errorf("AccountOwner of an unused account guid = %q, %v; want none", owner, err)
		}
		if _, _, err := tx.Customer(ctx, added.GUID); err != nil {
			return err
		}
		return tx.Insert(ctx, &added)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := accounts(t, db)[added.GUID]; got != added.AccountGUID {
		t.Errorf("imported customer's account guid %q, want %s", got, added.AccountGUID)
	}
	err = db.Import(ctx, false, func(tx custexport.ImportTx) error {
		owner, err := tx.AccountOwner(ctx, added.AccountGUID)
		if err == nil && owner != added.GUID {
			t.Errorf("AccountOwner after the import = %q, want %s", owner, added.GUID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An import that inserts a customer with a stored account guid fails as a conflict naming the
// column, and writes nothing. (The importer checks AccountOwner first; this is the store's
// own guarantee.)
func testAccountClashOnImport(t *testing.T, db custexport.Database) {
	ctx := t.Context()
	cs := sample.Customers()
	insert(t, db, cs[:2]...)
	err := db.Import(ctx, true, func(tx custexport.ImportTx) error {
		c, _, err := tx.Customer(ctx, cs[0].GUID)
		if err != nil || c == nil {
			return errors.Join(err, errors.New("the stored customer was not found"))
		}
		c.Phone = "+420 2"
		if err := tx.Update(ctx, c); err != nil {
			return err
		}
		clash := cs[2]
		clash.AccountGUID = cs[1].AccountGUID
		if _, _, err := tx.Customer(ctx, clash.GUID); err != nil {
			return err
		}
		return tx.Insert(ctx, &clash)
	})
	if e := wantCode(t, "importing a customer with a stored account guid", err, custexport.CodeConflict); e.Field != "accountGuid" {
		t.Errorf("conflict %+v: want field accountGuid", e)
	}
	_, all := ReadAll(t, db, custexport.SnapshotQuery{})
	if len(all) != 2 || all[0].Phone == "+420 2" || all[1].Phone == "+420 2" {
		t.Errorf("the refused import left %d customers or its update behind", len(all))
	}
}

// uuid4 is a lowercase canonical version-4 UUID.
var uuid4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// WantMigratedAccounts fails t unless db, just opened, applied migration 0006, and each of its
// n customers then has a version-4 UUID of its own as account guid.
func WantMigratedAccounts(t *testing.T, db custexport.CustomerStore, n int) {
	t.Helper()
	_, all := ReadAll(t, db, custexport.SnapshotQuery{})
	seen := make(map[string]bool, len(all))
	for _, c := range all {
		if !uuid4.MatchString(c.AccountGUID) || seen[c.AccountGUID] {
			t.Fatalf("customer %s: account guid %q, want a version-4 UUID of its own", c.GUID, c.AccountGUID)
		}
		seen[c.AccountGUID] = true
	}
	if len(seen) != n {
		t.Fatalf("%d account guids, want %d", len(seen), n)
	}
}
