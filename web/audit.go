package web

import (
	"log/slog"
	"net/http"

	"github.com/latchkey/latchkey/oauth"
)

// audit records who did what, to what, from where. A failure to record is
// logged and does not undo the action.
func (s *Server) audit(r *http.Request, actor, action, target, detail string) {
	e := &oauth.AuditEvent{At: s.clock().UTC(), Actor: actor, Action: action, Target: target, Detail: detail,
		IP: oauth.ClientIP(r), RequestID: RequestID(r.Context())}
	if err := s.store.RecordAudit(r.Context(), e); err != nil {
		s.log.ErrorContext(r.Context(), "audit: record event", slog.String("action", action), slog.Any("error", err))
	}
}
