package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// usageError is a mistake in how latchkey was invoked; run exits with 2.
type usageError struct {
	msg string
	err error
}

func (e *usageError) Error() string { return e.msg }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// opError is an operation that failed for a reason the operator can act on:
// its message is what they read, the cause stays reachable for errors.Is.
type opError struct {
	msg string
	err error
}

func (e *opError) Error() string { return e.msg }
func (e *opError) Unwrap() error { return e.err }

// explain replaces err's message with a sentence for the operator.
func explain(err error, format string, args ...any) error {
	return &opError{msg: fmt.Sprintf(format, args...), err: err}
}

// onUsageError turns flag-parsing failures into usage errors without the
// help text urfave would print by default.
func onUsageError(c *cli.Context, err error, isSubcommand bool) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "flag provided but not defined: ") && c.Command != nil && c.Command.ArgsUsage != "" {
		msg += " (put -- before an argument that starts with '-')"
	}
	if isSubcommand {
		msg = commandPath(c) + ": " + msg
	}
	return &usageError{msg: msg, err: err}
}

// setUsageHandlers applies the usage conventions to cmd and its subcommands:
// flag errors are usage errors, and a command group run without a known
// subcommand shows its help or fails with a usage error.
func setUsageHandlers(cmd *cli.Command) {
	cmd.OnUsageError = onUsageError
	if len(cmd.Subcommands) == 0 {
		return
	}
	cmd.HideHelpCommand = true
	if cmd.Action == nil {
		cmd.Action = missingCommand
	}
	for _, sub := range cmd.Subcommands {
		setUsageHandlers(sub)
	}
}

// missingCommand is the action of the app and of every command group: help
// when nothing was given, a usage error for an unknown command.
func missingCommand(c *cli.Context) error {
	name := commandPath(c)
	if c.Args().Present() {
		return usageErrorf("unknown command %q (see %s --help)", c.Args().First(), strings.TrimSpace(c.App.Name+" "+name))
	}
	if name == "" {
		return cli.ShowAppHelp(c)
	}
	return cli.ShowSubcommandHelp(c)
}

// positional checks that c got exactly the named positional arguments and
// returns them.
func positional(c *cli.Context, names ...string) ([]string, error) {
	args := c.Args().Slice()
	cmd := commandPath(c)
	if len(args) < len(names) {
		return nil, usageErrorf("%s: missing %s", cmd, strings.ToUpper(names[len(args)]))
	}
	if len(args) > len(names) {
		extra := args[len(names)]
		if strings.HasPrefix(extra, "-") {
			return nil, usageErrorf("%s: flag %s must come before the arguments", cmd, extra)
		}
		return nil, usageErrorf("%s: unexpected argument %q", cmd, extra)
	}
	return args, nil
}

// commandPath names the command of c below the app, e.g. "users add"; it
// is "" for the app itself.
func commandPath(c *cli.Context) string {
	var names []string
	for _, cc := range c.Lineage() {
		if cc.Command != nil && cc.Command.Name != "" && cc.Command.Name != c.App.Name {
			names = append(names, cc.Command.Name)
		}
	}
	slices.Reverse(names)
	return strings.Join(names, " ")
}
