package oauth

import "testing"

func TestWireDescription(t *testing.T) {
	t.Parallel()
	got := wireDescription("The scope \"fïles:\\read\" is not offered.\n")
	if want := "The scope 'f?les:/read' is not offered.?"; got != want {
		t.Fatalf("wireDescription = %q, want %q", got, want)
	}
}
