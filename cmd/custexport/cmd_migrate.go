package main

import (
	"context"
	"fmt"

	"github.com/custexport/custexport/internal/postgres"
	"github.com/custexport/custexport/internal/sqlite"
)

func runMigrate(ctx context.Context, args []string, io *stdio, getenv func(string) string) error {
	fs := newFlagSet("migrate", "migrate [--data-dir DIR] [--db FILE]", io.err)
	var cfg storeConfig
	cfg.register(fs, getenv)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	// Opening the store applies whatever migrations it lacks.
	db, err := cfg.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	if applied := db.AppliedMigrations(); len(applied) > 0 {
		fmt.Fprintf(io.out, "applied migrations %v\n", applied)
	}
	latest := sqlite.LatestVersion()
	if _, ok := db.(*postgres.DB); ok {
		latest = postgres.LatestVersion()
	}
	fmt.Fprintf(io.out, "database %s is at schema version %d\n", db.Describe(), latest)
	return nil
}
