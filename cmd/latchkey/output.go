package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"
)

// printer writes admin output: aligned text for people, or one JSON
// document (an array for lists, an object otherwise) with --json.
type printer struct {
	w    io.Writer
	json bool
}

func (p *program) printer(c *cli.Context) *printer {
	return &printer{w: p.stdout, json: jsonOutput(c)}
}

// JSON writes v as one indented JSON document.
func (o *printer) JSON(v any) error {
	enc := json.NewEncoder(o.w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// table writes a header and rows as aligned columns.
func (o *printer) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(o.w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, cell := range row {
			cells[i] = textCell(cell)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// fields writes "name: value" lines with the values aligned.
func (o *printer) fields(pairs [][2]string) error {
	tw := tabwriter.NewWriter(o.w, 0, 4, 1, ' ', 0)
	for _, kv := range pairs {
		fmt.Fprintf(tw, "%s:\t%s\n", kv[0], textCell(kv[1]))
	}
	return tw.Flush()
}

// removed reports that a remove command deleted what it named.
func (o *printer) removed(kind, name string) error {
	if o.json {
		return o.JSON(map[string]string{"removed": kind, "name": name})
	}
	o.linef("removed %s %s", kind, name)
	return nil
}

// linef writes one line of text output.
func (o *printer) linef(format string, args ...any) {
	fmt.Fprintf(o.w, format+"\n", args...)
}

// textCell makes a stored value safe for a terminal: names and URIs may come
// from dynamic registration, so control characters (escape sequences, tabs,
// newlines) and bidi overrides are replaced. An empty value prints as "-".
func textCell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return '?'
		}
		return r
	}, s)
}

// textTime formats t for text output; the zero time prints as "-".
func textTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func textTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return textTime(*t)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
