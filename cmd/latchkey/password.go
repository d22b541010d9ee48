package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/oauth"
)

// newPassword is the password for users add and users passwd: the first
// line of stdin with --password-stdin, else a generated one (generated is
// then true and the caller prints it, once).
func (p *program) newPassword(c *cli.Context) (password string, generated bool, err error) {
	if !c.Bool("password-stdin") {
		return oauth.GeneratePassword(), true, nil
	}
	password, err = readPasswordLine(p.stdin)
	return password, false, err
}

// readPasswordLine reads one line, without its line ending, and checks it.
func readPasswordLine(r io.Reader) (string, error) {
	// Room for the longest password, a CRLF, and one byte to detect excess.
	line, err := bufio.NewReader(io.LimitReader(r, 4*oauth.MaxPasswordLen+3)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", errors.New("no password on stdin (--password-stdin reads its first line)")
	}
	if err := oauth.CheckPassword(line); err != nil {
		return "", err
	}
	return line, nil
}
