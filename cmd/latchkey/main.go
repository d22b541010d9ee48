// Command latchkey is Latchkey's single binary: the OAuth 2.1 authorization
// server and MCP gateway (serve), schema migrations (migrate) and the admin
// CLI (users, routes, clients, keys). main only wires; run does the work so
// tests can drive the whole program in-process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Defaults of the global flags.
const (
	defaultDataDir = "data"
	dbFileName     = "latchkey.db"
)

func main() {
	os.Exit(run(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// program holds what one invocation of latchkey works with: its standard
// streams, its environment and the global options parsed from the flags.
// Commands are methods on it, so nothing lives in package globals.
type program struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string

	opts globalOptions
	log  *slog.Logger
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	dataDir    string
	dsn        string
	secret     string
	secretFile string
	issuer     string // "" means: derive from the listen address
}

// run executes latchkey with args (args[0] is the program name) and returns
// the process exit code. Errors are reported as one line on stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	p := &program{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	err := p.app().RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	msg := strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(err.Error()) // one line, whatever the cause wrote
	fmt.Fprintf(stderr, "latchkey: %s\n", msg)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitError
}

// app builds the urfave/cli application bound to p's streams.
func (p *program) app() *cli.App {
	app := &cli.App{
		Name:    "latchkey",
		Usage:   "OAuth 2.1 authorization server and MCP gateway",
		Version: version(),
		Reader:  p.stdin,
		Writer:  p.stdout,
		// ErrWriter is unused by the commands: run reports errors itself.
		ErrWriter: p.stderr,
		Flags:     globalFlags(),
		Before:    p.before,
		Action:    missingCommand,
		Commands: []*cli.Command{
			p.serveCommand(),
			p.migrateCommand(),
			p.usersCommand(),
			p.routesCommand(),
			p.clientsCommand(),
			p.trustCommand(),
			p.tokensCommand(),
			p.keysCommand(),
		},
		HideHelpCommand: true,
		// Redirect URIs and scopes may contain commas: one value per flag.
		DisableSliceFlagSeparator: true,
		OnUsageError:              onUsageError,
		// Errors are returned to run, never turned into os.Exit by urfave.
		ExitErrHandler: func(*cli.Context, error) {},
	}
	for _, c := range app.Commands {
		setUsageHandlers(c)
	}
	return app
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "db", EnvVars: []string{"LATCHKEY_DB"}, DefaultText: "sqlite:<data-dir>/" + dbFileName,
			Usage: "database: sqlite:PATH or postgres://…"},
		&cli.StringFlag{Name: "data-dir", EnvVars: []string{"LATCHKEY_DATA_DIR"}, Value: defaultDataDir,
			Usage: "directory for the SQLite database and the generated master secret"},
		&cli.StringFlag{Name: "secret", EnvVars: []string{"LATCHKEY_SECRET"},
			Usage: "master secret (base64, hex, or at least 32 characters; prefer the environment or --secret-file to keep it out of ps); default: generated into <data-dir>/secret"},
		&cli.StringFlag{Name: "secret-file", EnvVars: []string{"LATCHKEY_SECRET_FILE"},
			Usage: "file holding the master secret (mode 0600)"},
		&cli.StringFlag{Name: "issuer", EnvVars: []string{"LATCHKEY_ISSUER"}, DefaultText: "http://<addr>",
			Usage: "issuer URL: https, or http on a loopback host"},
		&cli.StringFlag{Name: "log-level", EnvVars: []string{"LATCHKEY_LOG_LEVEL"}, Value: "info",
			Usage: "debug, info, warn or error"},
		&cli.StringFlag{Name: "log-format", EnvVars: []string{"LATCHKEY_LOG_FORMAT"}, Value: "auto",
			Usage: "text, json, or auto (json unless stderr is a terminal)"},
		jsonFlag(),
	}
}

// jsonFlag is --json; admin commands accept it after their name too.
func jsonFlag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print admin output as JSON"}
}

// before reads the global flags into p.opts and builds the logger.
func (p *program) before(c *cli.Context) error {
	p.opts = globalOptions{
		dataDir:    c.String("data-dir"),
		dsn:        c.String("db"),
		secret:     c.String("secret"),
		secretFile: c.String("secret-file"),
		issuer:     strings.TrimRight(c.String("issuer"), "/"),
	}
	if p.opts.dataDir == "" {
		return usageErrorf("--data-dir must not be empty")
	}
	if p.opts.dsn == "" {
		p.opts.dsn = "sqlite:" + filepath.Join(p.opts.dataDir, dbFileName)
	}
	log, err := newLogger(p.stderr, c.String("log-level"), c.String("log-format"))
	if err != nil {
		return err
	}
	p.log = log
	return nil
}

// jsonOutput reports whether --json was given globally or after the command.
func jsonOutput(c *cli.Context) bool {
	for _, cc := range c.Lineage() {
		if cc.Bool("json") {
			return true
		}
	}
	return false
}

// version is the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
