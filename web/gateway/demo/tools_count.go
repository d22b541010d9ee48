package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// countSlowlySchema is the input schema of count_slowly. The SDK validates
// arguments against it and fills in the default before the handler runs, so
// the handler can trust n and delay_ms to be in range.
const countSlowlySchema = `{
  "type": "object",
  "properties": {
    "n": {"type": "integer", "minimum": 1, "maximum": 20, "description": "the number to count to"},
    "delay_ms": {"type": "integer", "minimum": 0, "maximum": 1000, "default": 100, "description": "milliseconds to wait before each step"}
  },
  "required": ["n"],
  "additionalProperties": false
}`

// countArgs is the input of count_slowly.
type countArgs struct {
	N       int `json:"n"`
	DelayMS int `json:"delay_ms"`
}

// countSlowly counts to in.N, one step every in.DelayMS. After each step it
// sends a progress notification, when the client asked for progress by
// sending a progress token, and a log message, which the SDK drops unless
// the client asked for a log level. Both go out with the handler's context,
// so the SDK writes them to the SSE stream of this call's POST (and to the
// event store, for replay).
func (t *tools) countSlowly(ctx context.Context, req *mcp.CallToolRequest, in countArgs) (*mcp.CallToolResult, any, error) {
	token := req.Params.GetProgressToken()
	delay := time.Duration(in.DelayMS) * time.Millisecond
	for i := 1; i <= in.N; i++ {
		if err := wait(ctx, delay); err != nil {
			return nil, nil, fmt.Errorf("demo: count_slowly: %w", err)
		}
		msg := fmt.Sprintf("counted %d of %d", i, in.N)
		if token != nil {
			err := req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{
				ProgressToken: token,
				Progress:      float64(i),
				Total:         float64(in.N),
				Message:       msg,
			})
			if err != nil {
				return nil, nil, fmt.Errorf("demo: count_slowly: notify progress: %w", err)
			}
		}
		//lint:ignore SA1019 the brief asks for a log message per step; logging is deprecated only from protocol 2026-07-28.
		err := req.Session.Log(ctx, &mcp.LoggingMessageParams{Level: "info", Logger: Name, Data: msg})
		if err != nil {
			return nil, nil, fmt.Errorf("demo: count_slowly: log: %w", err)
		}
	}
	t.log.DebugContext(ctx, "demo: counted", "n", in.N, "delay_ms", in.DelayMS, "progress", token != nil)
	return textResult(fmt.Sprintf("counted to %d", in.N)), nil, nil
}

// wait blocks for d, or until ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
