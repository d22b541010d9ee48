package views

import (
	"strings"
	"testing"
)

func TestLoginContract(t *testing.T) {
	t.Parallel()
	doc, _ := render(t, Login(loginProps()))

	forms := findAll(doc, tag("form"))
	if len(forms) != 1 {
		t.Fatalf("found %d forms, want 1", len(forms))
	}
	form := forms[0]
	wantAttr(t, form, "method", "post")
	wantAttr(t, form, "action", "/login")
	if got := hiddenInput(t, form, "csrf_token"); got != "csrf-1" {
		t.Errorf("csrf_token = %q, want %q", got, "csrf-1")
	}
	if got := hiddenInput(t, form, "next"); got != "opaque-next" {
		t.Errorf("next = %q, want %q", got, "opaque-next")
	}

	user := one(t, form, "name", "username")
	wantAttr(t, user, "id", "username")
	wantAttr(t, user, "autocomplete", "username")
	wantBool(t, user, "autofocus")
	wantBool(t, user, "required")

	pass := one(t, form, "name", "password")
	wantAttr(t, pass, "id", "password")
	wantAttr(t, pass, "type", "password")
	wantAttr(t, pass, "autocomplete", "current-password")
	wantBool(t, pass, "required")
	if _, ok := attr(pass, "value"); ok {
		t.Error("password input has a value attribute, want none")
	}

	for _, id := range []string{"username", "password"} {
		one(t, form, "for", id)
	}

	buttons := submitButtons(doc)
	if len(buttons) != 1 {
		t.Fatalf("found %d submit buttons, want exactly 1", len(buttons))
	}
	wantAttr(t, buttons[0], "id", "login-submit")
	wantAttr(t, buttons[0], "data-testid", "login-submit")

	none(t, doc, "data-testid", "login-error")
	none(t, doc, "data-testid", "client-name")
}

func TestLoginError(t *testing.T) {
	t.Parallel()
	p := loginProps()
	p.Username = "bob"
	p.Error = "Incorrect username or password."
	p.ClientName = "Claude"
	doc, out := render(t, Login(p))

	alert := one(t, doc, "data-testid", "login-error")
	wantAttr(t, alert, "role", "alert")
	wantText(t, alert, p.Error)
	if strings.Index(out, `data-testid="login-error"`) > strings.Index(out, "<form") {
		t.Error("login error is rendered after the form, want above it")
	}
	user := one(t, doc, "name", "username")
	wantAttr(t, user, "value", "bob")
	wantAttr(t, user, "aria-invalid", "true")
	wantText(t, one(t, doc, "data-testid", "client-name"), "Claude")
	wantText(t, one(t, doc, "class", "lead"), "Sign in to continue to Claude")
}
