package demo

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// receive takes n values from ch, failing the test when ctx ends first.
// Notifications may be handled after CallTool has returned, so the test
// waits for them rather than reading what has arrived.
func receive[T any](ctx context.Context, t *testing.T, ch <-chan T, n int) []T {
	t.Helper()
	got := make([]T, 0, n)
	for len(got) < n {
		select {
		case v := <-ch:
			got = append(got, v)
		case <-ctx.Done():
			t.Fatalf("got %d of %d notifications before %v", len(got), n, ctx.Err())
		}
	}
	return got
}

func TestCountSlowlyProgress(t *testing.T) {
	t.Parallel()
	const n = 4
	ts := startServer(t)
	for _, p := range protocols() {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			tc := connect(ctx, t, ts, p.version, nil)

			params := &mcp.CallToolParams{Name: "count_slowly", Arguments: map[string]any{"n": n, "delay_ms": 20}}
			token := "progress-" + p.name
			params.SetProgressToken(token)
			// Log messages are opt-in: the client sets a session-wide level.
			//lint:ignore SA1019 the demo still sends log messages
			if err := tc.session.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
				t.Fatalf("set logging level: %v", err)
			}

			res := callText(ctx, t, tc.session, params)
			if got, want := resultText(t, res), fmt.Sprintf("counted to %d", n); got != want {
				t.Errorf("got text %q, want %q", got, want)
			}

			progress := receive(ctx, t, tc.progress, n)
			slices.SortFunc(progress, func(a, b *mcp.ProgressNotificationParams) int { return int(a.Progress - b.Progress) })
			for i, pn := range progress {
				step := i + 1
				if pn.ProgressToken != token || pn.Progress != float64(step) || pn.Total != n {
					t.Errorf("progress %d: got token %v, %v of %v, want %q, %d of %d", step, pn.ProgressToken, pn.Progress, pn.Total, token, step, n)
				}
				if want := fmt.Sprintf("counted %d of %d", step, n); pn.Message != want {
					t.Errorf("progress %d: got message %q, want %q", step, pn.Message, want)
				}
			}

			logs := receive(ctx, t, tc.logs, n)
			var data []string
			for _, l := range logs {
				if l.Level != "info" || l.Logger != Name {
					t.Errorf("got log level %q logger %q, want info %s", l.Level, l.Logger, Name)
				}
				data = append(data, fmt.Sprint(l.Data))
			}
			slices.Sort(data)
			for i, d := range data {
				if want := fmt.Sprintf("counted %d of %d", i+1, n); d != want {
					t.Errorf("got log %q, want %q", d, want)
				}
			}
		})
	}
}
