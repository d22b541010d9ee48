package demo

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// tools holds the demo tool handlers and what they share.
type tools struct {
	log *slog.Logger
}

// echoArgs is the input of echo.
type echoArgs struct {
	Text string `json:"text" jsonschema:"the text to return"`
}

// addArgs is the input of add.
type addArgs struct {
	A float64 `json:"a" jsonschema:"the first addend"`
	B float64 `json:"b" jsonschema:"the second addend"`
}

// addResult is the structured output of add.
type addResult struct {
	Sum float64 `json:"sum" jsonschema:"a + b"`
}

// noteArgs is the input of delete_note.
type noteArgs struct {
	ID string `json:"id" jsonschema:"the note to delete"`
}

// whoamiResult is the structured output of whoami.
type whoamiResult struct {
	User string `json:"user" jsonschema:"the X-Latchkey-User header the server saw, or empty"`
}

// registerTools adds every demo tool to s. Input schemas are inferred from
// the argument structs (all fields required) except for count_slowly, whose
// bounds and default need a hand-written schema.
func registerTools(s *mcp.Server, log *slog.Logger) {
	t := &tools{log: log}
	mcp.AddTool(s, &mcp.Tool{
		Name:        "echo",
		Description: "Returns the text it is given.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true},
	}, t.echo)
	mcp.AddTool(s, &mcp.Tool{
		Name:        "add",
		Description: "Adds two numbers; the sum comes back as text and as structured output.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true},
	}, t.add)
	mcp.AddTool(s, &mcp.Tool{
		Name:        "count_slowly",
		Description: "Counts to n, waiting delay_ms before each step and reporting progress and a log message per step.",
		InputSchema: json.RawMessage(countSlowlySchema),
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true},
	}, t.countSlowly)
	mcp.AddTool(s, &mcp.Tool{
		Name:        "delete_note",
		Description: "Pretends to delete a note. Destructive by name: the gateway asks for a step-up scope for delete_* tools.",
		Annotations: &mcp.ToolAnnotations{DestructiveHint: new(true), IdempotentHint: true},
	}, t.deleteNote)
	mcp.AddTool(s, &mcp.Tool{
		Name:        "whoami",
		Description: "Returns the " + UserHeader + " request header that reached this server.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true},
	}, t.whoami)
}

// echo returns its input text.
func (t *tools) echo(_ context.Context, _ *mcp.CallToolRequest, in echoArgs) (*mcp.CallToolResult, any, error) {
	return textResult(in.Text), nil, nil
}

// add returns a + b as text and as {"sum": …}.
func (t *tools) add(_ context.Context, _ *mcp.CallToolRequest, in addArgs) (*mcp.CallToolResult, addResult, error) {
	sum := in.A + in.B
	return textResult(strconv.FormatFloat(sum, 'g', -1, 64)), addResult{Sum: sum}, nil
}

// deleteNote deletes nothing: it only reports the ID it was given.
func (t *tools) deleteNote(ctx context.Context, _ *mcp.CallToolRequest, in noteArgs) (*mcp.CallToolResult, any, error) {
	if in.ID == "" {
		return nil, nil, errors.New("id is empty")
	}
	t.log.InfoContext(ctx, "demo: note deleted", "note_id", in.ID)
	return textResult("deleted " + in.ID), nil, nil
}

// whoami returns the UserHeader of the HTTP request that carried the call.
// The go-sdk exposes the request headers as req.Extra.Header; Extra is nil
// on transports other than HTTP.
func (t *tools) whoami(_ context.Context, req *mcp.CallToolRequest, _ any) (*mcp.CallToolResult, whoamiResult, error) {
	var user string
	if req.Extra != nil && req.Extra.Header != nil {
		user = req.Extra.Header.Get(UserHeader)
	}
	if user == "" {
		return textResult("no " + UserHeader + " header"), whoamiResult{}, nil
	}
	return textResult(user), whoamiResult{User: user}, nil
}

// textResult is a tool result holding one text block.
func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}
