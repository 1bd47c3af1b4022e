package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/custexport/custexport"
	"github.com/custexport/custexport/internal/linksign"
)

// masterKeyEnv holds the master key as 64 hexadecimal characters; when set, it wins over the
// key file.
const masterKeyEnv = "CUSTEXPORT_MASTER_KEY"

// masterKeyFile is the key file's name in the data directory.
const masterKeyFile = "master.key"

// newKeyFlag is migrate's flag that lets a shop get a new master key (SPEC section 5, issue 16).
const newKeyFlag = "new-master-key"

// openKey loads the master key, checks it against the check value the database keeps, gives
// the store its access-log key and returns the signer for partner links.
//
// The key comes from CUSTEXPORT_MASTER_KEY when it is set, and otherwise from
// DATA-DIR/master.key. It is never stored in the database, so a stolen copy of the database
// alone cannot forge a link or a log entry; the database keeps only a check value
// (linksign.Signer.KeyCheck). A new key file (mode 0600) is created only for a shop that
// never had a key and has no partners. A missing or different key on a shop that has one (or
// has partners) is refused with what to do, unless newKey (migrate --new-master-key): then
// the key given, or a new one, becomes the shop's key, every link issued before stops
// working, and the access log records it.
//
// Errors name the variable or the file, never the key or any part of it.
func openKey(ctx context.Context, cfg *storeConfig, getenv func(string) string, db database, newKey bool, by custexport.Principal) (*linksign.Signer, error) {
	stored, err := db.MasterKeyCheck(ctx)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cfg.dataDir, masterKeyFile)
	source := path
	var key []byte
	created := false
	if v := getenv(masterKeyEnv); v != "" {
		source = masterKeyEnv
		if key, err = linksign.ParseMasterKey(strings.TrimSpace(v)); err != nil {
			// ParseMasterKey's message never repeats its input.
			return nil, fmt.Errorf("%s: %w", masterKeyEnv, err)
		}
	} else {
		key, err = linksign.LoadMasterKey(path)
		if errors.Is(err, fs.ErrNotExist) {
			if err := mayCreateKey(ctx, db, stored, path, newKey); err != nil {
				return nil, err
			}
			// The data directory is private to the shop, as cfg.open makes it.
			if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
				return nil, fmt.Errorf("data directory: %w", err)
			}
			key, err = linksign.LoadOrCreateMasterKey(path)
			created = true
		}
		if err != nil {
			return nil, err
		}
	}
	signer, err := linksign.New(key)
	clear(key) // the signer keeps its own copy
	if err != nil {
		return nil, err
	}
	db.SetLogKey(signer.LogKey())
	check := signer.KeyCheck()
	if stored != "" && stored != check && !newKey {
		return nil, fmt.Errorf("the master key from %s is not the key this shop's partner links and access log were made with "+
			"(a wrong --data-dir or %s?). Use the shop's key: restore DATA-DIR/%s from a backup or set %s. "+
			"Only to give the shop a new key, so that every partner link issued so far stops working, run: custexport migrate --%s",
			source, masterKeyEnv, masterKeyFile, masterKeyEnv, newKeyFlag)
	}
	var event *custexport.AccessEntry
	if newKey && (created || stored != check) {
		event = &custexport.AccessEntry{Principal: by, Channel: custexport.ChannelCLI, Outcome: custexport.OutcomeEvent,
			Reason: "master key replaced (migrate --" + newKeyFlag + "): partner links issued before stop working; " +
				"access-log entries before this one were made with the earlier key and are checked for their order only"}
	}
	if stored != check || event != nil {
		if err := db.SetMasterKeyCheck(ctx, check, event); err != nil {
			return nil, err
		}
	}
	return signer, nil
}

// mayCreateKey refuses to make a new master key for a shop whose links or log were made with
// one, unless the operator asked for it.
func mayCreateKey(ctx context.Context, db database, stored, path string, newKey bool) error {
	if newKey {
		return nil
	}
	partners, err := db.Partners(ctx)
	if err != nil {
		return err
	}
	if stored == "" && len(partners) == 0 {
		return nil
	}
	what := "this shop's partner links and access log were made with one"
	if stored == "" {
		what = fmt.Sprintf("this shop has %d partners whose links were signed with one", len(partners))
	}
	return fmt.Errorf("no master key: %s does not exist and %s is not set, but %s. "+
		"Restore the key file from a backup (or set %s); a new key would make every issued link answer 403. "+
		"Only to give the shop a new key, run: custexport migrate --%s", path, masterKeyEnv, what, masterKeyEnv, newKeyFlag)
}
