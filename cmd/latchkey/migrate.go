package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/db"
	"github.com/latchkey/latchkey/db/migrations"
)

func (p *program) migrateCommand() *cli.Command {
	return &cli.Command{
		Name:   "migrate",
		Usage:  "apply pending database migrations (serve and the admin commands do it too)",
		Flags:  []cli.Flag{jsonFlag()},
		Action: p.migrate,
	}
}

// migrationReport is the JSON output of migrate.
type migrationReport struct {
	Applied []string `json:"applied"` // by this run, in order
	Total   int      `json:"total"`   // migrations the database now has
}

func (p *program) migrate(c *cli.Context) (err error) {
	if _, err := positional(c); err != nil {
		return err
	}
	ctx := c.Context
	bdb, err := db.Open(ctx, p.opts.dsn, p.log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := bdb.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close database: %w", cerr))
		}
	}()
	before, err := migrations.Status(ctx, bdb)
	if err != nil {
		return err
	}
	if err := migrations.Migrate(ctx, bdb); err != nil {
		return err
	}
	after, err := migrations.Status(ctx, bdb)
	if err != nil {
		return err
	}
	applied := map[string]bool{}
	for _, m := range after.Applied() {
		applied[m.Name] = true
	}
	report := migrationReport{Applied: []string{}, Total: len(applied)}
	for _, m := range before.Unapplied() { // another process may have applied some meanwhile
		if applied[m.Name] {
			report.Applied = append(report.Applied, m.Name)
		}
	}
	out := p.printer(c)
	if out.json {
		return out.JSON(report)
	}
	for _, name := range report.Applied {
		out.linef("applied %s", name)
	}
	if len(report.Applied) == 0 {
		out.linef("up to date: nothing to apply (%d migrations applied before)", report.Total)
	} else {
		out.linef("up to date (%d migrations applied in total)", report.Total)
	}
	return nil
}
