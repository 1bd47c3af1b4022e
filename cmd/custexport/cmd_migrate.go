package main

import (
	"context"
	"fmt"

	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/sqlite"
)

func runMigrate(ctx context.Context, c *commandLine, args []string) error {
	c.flags.BoolVar(&c.newKey, newKeyFlag, false, "give the shop a new master key: the one in "+masterKeyEnv+" or DATA-DIR/"+masterKeyFile+
		", or a new one when neither is there. Every partner link issued so far stops working; the access log records the change")
	// Opening the store applies whatever migrations it lacks, and checks the master key.
	db, err := c.parseOpen(ctx, args)
	if err != nil {
		return err
	}
	defer db.Close()
	if applied := db.AppliedMigrations(); len(applied) > 0 {
		fmt.Fprintf(c.io.out, "applied migrations %v\n", applied)
	}
	latest := sqlite.LatestVersion()
	if _, ok := db.(*postgres.DB); ok {
		latest = postgres.LatestVersion()
	}
	fmt.Fprintf(c.io.out, "database %s is at schema version %d\n", db.Describe(), latest)
	return nil
}
