package oauth

import (
	"errors"
	"log/slog"
	"net/http"
)

// OAuth error codes (RFC 6749 §4.1.2.1 and §5.2, RFC 7591 §3.2.2, RFC 8707 §2).
const (
	CodeInvalidRequest          = "invalid_request"
	CodeInvalidClient           = "invalid_client"
	CodeInvalidGrant            = "invalid_grant"
	CodeUnauthorizedClient      = "unauthorized_client"
	CodeUnsupportedGrantType    = "unsupported_grant_type"
	CodeUnsupportedResponseType = "unsupported_response_type"
	CodeInvalidScope            = "invalid_scope"
	CodeInvalidTarget           = "invalid_target"
	CodeAccessDenied            = "access_denied"
	CodeServerError             = "server_error"
	CodeLoginRequired           = "login_required"
	CodeConsentRequired         = "consent_required"
	CodeInvalidRedirectURI      = "invalid_redirect_uri"
	CodeInvalidClientMetadata   = "invalid_client_metadata"
	// OpenID Connect Core §3.1.2.6: request objects are not supported.
	CodeRequestNotSupported    = "request_not_supported"
	CodeRequestURINotSupported = "request_uri_not_supported"
)

// Error is a protocol error. Description is safe to show to the client; the
// cause is only logged. NoRedirect marks authorize errors raised before the
// client and redirect URI were validated: they render a page, never a redirect.
type Error struct {
	Code        string
	Description string
	Status      int
	NoRedirect  bool
	// BasicChallenge asks for a WWW-Authenticate: Basic header (RFC 6749 §5.2).
	BasicChallenge bool
	cause          error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return e.Code + ": " + e.Description + ": " + e.cause.Error()
	}
	return e.Code + ": " + e.Description
}

// Unwrap exposes the cause to errors.Is / errors.As.
func (e *Error) Unwrap() error { return e.cause }

// Wrap records the internal cause; it is logged, never sent.
func (e *Error) Wrap(err error) *Error { e.cause = err; return e }

// LogLevel is Error for server errors and Info for client mistakes.
func (e *Error) LogLevel() slog.Level {
	if e.Status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogValue renders the error for structured logs.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("code", e.Code), slog.String("description", e.Description)}
	if e.cause != nil {
		attrs = append(attrs, slog.String("cause", e.cause.Error()))
	}
	return slog.GroupValue(attrs...)
}

func newErr(code string, status int, desc string) *Error {
	return &Error{Code: code, Description: desc, Status: status}
}

// InvalidRequest is a malformed request (400).
func InvalidRequest(desc string) *Error {
	return newErr(CodeInvalidRequest, http.StatusBadRequest, desc)
}

// InvalidClient is a failed client authentication (401, RFC 6749 §5.2).
func InvalidClient(desc string) *Error {
	return newErr(CodeInvalidClient, http.StatusUnauthorized, desc)
}

// InvalidGrant is a bad, expired, revoked or mismatched code or refresh token.
func InvalidGrant(desc string) *Error { return newErr(CodeInvalidGrant, http.StatusBadRequest, desc) }

// UnauthorizedClient is a client not allowed this grant or response type.
func UnauthorizedClient(desc string) *Error {
	return newErr(CodeUnauthorizedClient, http.StatusBadRequest, desc)
}

// UnsupportedGrantType is an unknown grant_type.
func UnsupportedGrantType(desc string) *Error {
	return newErr(CodeUnsupportedGrantType, http.StatusBadRequest, desc)
}

// RequestNotSupported refuses a request object (the request parameter).
func RequestNotSupported(desc string) *Error {
	return newErr(CodeRequestNotSupported, http.StatusBadRequest, desc)
}

// RequestURINotSupported refuses a request_uri (RFC 9101, RFC 9126).
func RequestURINotSupported(desc string) *Error {
	return newErr(CodeRequestURINotSupported, http.StatusBadRequest, desc)
}

// UnsupportedResponseType is a response_type other than code.
func UnsupportedResponseType(desc string) *Error {
	return newErr(CodeUnsupportedResponseType, http.StatusBadRequest, desc)
}

// InvalidScope is a scope the route does not offer.
func InvalidScope(desc string) *Error { return newErr(CodeInvalidScope, http.StatusBadRequest, desc) }

// InvalidTarget is a resource that names no route (RFC 8707 §2).
func InvalidTarget(desc string) *Error {
	return newErr(CodeInvalidTarget, http.StatusBadRequest, desc)
}

// AccessDenied is the user's refusal.
func AccessDenied(desc string) *Error { return newErr(CodeAccessDenied, http.StatusForbidden, desc) }

// InvalidRedirectURI is a registration with a bad redirect URI (RFC 7591 §3.2.2).
func InvalidRedirectURI(desc string) *Error {
	return newErr(CodeInvalidRedirectURI, http.StatusBadRequest, desc)
}

// InvalidClientMetadata is a registration with bad metadata (RFC 7591 §3.2.2).
func InvalidClientMetadata(desc string) *Error {
	return newErr(CodeInvalidClientMetadata, http.StatusBadRequest, desc)
}

// ServerError is an internal failure; its description is fixed so nothing leaks.
func ServerError(cause error) *Error {
	return newErr(CodeServerError, http.StatusInternalServerError, "The server could not complete the request.").Wrap(cause)
}

// AsError converts any error to an *Error, treating unknown errors as server errors.
func AsError(err error) *Error {
	var oe *Error
	if errors.As(err, &oe) {
		return oe
	}
	return ServerError(err)
}

// wireDescription maps a description to the characters RFC 6749 §5.2 and
// §4.1.2.1 allow (%x20-21 / %x23-5B / %x5D-7E): quotes become apostrophes,
// backslashes slashes, anything else outside the set "?".
func wireDescription(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == '"':
			b = append(b, '\'')
		case r == '\\':
			b = append(b, '/')
		case r >= 0x20 && r <= 0x7e:
			b = append(b, byte(r))
		default:
			b = append(b, '?')
		}
	}
	return string(b)
}
