package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/latchkey/latchkey/oauth"
)

// Password length bounds, in characters.
const (
	minPasswordLen = 8
	maxPasswordLen = 1024
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
	line, err := bufio.NewReader(io.LimitReader(r, 4*maxPasswordLen+3)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	switch n := utf8.RuneCountInString(line); {
	case line == "":
		return "", errors.New("no password on stdin (--password-stdin reads its first line)")
	case !utf8.ValidString(line):
		return "", errors.New("the password on stdin is not valid UTF-8")
	case n < minPasswordLen:
		return "", fmt.Errorf("the password must be at least %d characters", minPasswordLen)
	case n > maxPasswordLen:
		return "", fmt.Errorf("the password must be at most %d characters", maxPasswordLen)
	}
	return line, nil
}
