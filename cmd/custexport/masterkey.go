package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/custexport/custexport/internal/linksign"
)

// masterKeyEnv holds the master key as 64 hexadecimal characters; when set, it wins over the
// key file.
const masterKeyEnv = "CUSTEXPORT_MASTER_KEY"

// masterKeyFile is the key file's name in the data directory.
const masterKeyFile = "master.key"

// loadSigner returns the signer for partner links. The master key comes from the environment
// variable CUSTEXPORT_MASTER_KEY when it is set, and otherwise from DATA-DIR/master.key, which is
// created (mode 0600) with a new random key when it does not exist. The key is never stored in
// the database, so a stolen copy of the database alone cannot forge a link.
//
// Errors name the variable or the file, never the key or any part of it.
func loadSigner(cfg *storeConfig, getenv func(string) string) (*linksign.Signer, error) {
	var key []byte
	if v := getenv(masterKeyEnv); v != "" {
		k, err := linksign.ParseMasterKey(strings.TrimSpace(v))
		if err != nil {
			// ParseMasterKey's message never repeats its input.
			return nil, fmt.Errorf("%s: %w", masterKeyEnv, err)
		}
		key = k
	} else {
		// The data directory is private to the shop, as cfg.open makes it.
		if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		k, err := linksign.LoadOrCreateMasterKey(filepath.Join(cfg.dataDir, masterKeyFile))
		if err != nil {
			return nil, err
		}
		key = k
	}
	signer, err := linksign.New(key)
	clear(key) // the signer keeps its own copy
	return signer, err
}
