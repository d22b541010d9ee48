package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/latchkey/latchkey/oauth"
	"github.com/latchkey/latchkey/views"
)

// listKeys handles GET /admin/keys.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	ks := s.provider.Keys()
	if err := ks.Reload(r.Context()); err != nil {
		s.consoleError(w, r, err)
		return
	}
	now := s.clock()
	var rows []views.KeyRow
	for _, k := range ks.Keys() {
		row := views.KeyRow{KID: k.ID, Alg: k.Algorithm, Created: when(k.CreatedAt), Until: "—", Status: oauth.KeyStatus(k, ks.ActiveKeyID(), now)}
		if row.Status == oauth.KeyRetired {
			row.Until = whenPtr(k.NotAfter)
		}
		rows = append(rows, row)
	}
	s.render(w, r, http.StatusOK, views.Keys(views.KeysProps{
		Console: s.frame(w, r, "Signing keys", "keys", views.Crumb{Label: "Signing keys"}), Keys: rows}))
}

// rotateKeys handles POST /admin/keys/rotate.
func (s *Server) rotateKeys(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	k, err := s.provider.Keys().Rotate(r.Context())
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.audit(r, user.Username, "key.rotate", k.ID, "")
	s.flashTo(w, r, "/admin/keys", "ok", "New signing key "+k.ID+" is active; other replicas pick it up at their next token.")
}

// showTrust handles GET /admin/trust.
func (s *Server) showTrust(w http.ResponseWriter, r *http.Request) {
	s.renderTrust(w, r, http.StatusOK, views.TrustProps{})
}

func (s *Server) renderTrust(w http.ResponseWriter, r *http.Request, status int, p views.TrustProps) {
	pol, err := oauth.LoadTrustPolicy(r.Context(), s.store)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	p.Mode, p.Domains = pol.Mode, pol.Domains
	p.Console = s.frame(w, r, "Trust policy", "trust", views.Crumb{Label: "Trust policy"})
	s.render(w, r, status, views.Trust(p))
}

// setTrustMode handles POST /admin/trust/mode.
func (s *Server) setTrustMode(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	mode := r.PostFormValue("mode")
	switch mode {
	case oauth.TrustAny, oauth.TrustAllowlist, oauth.TrustOff:
	default:
		s.flashTo(w, r, "/admin/trust", "error", "Choose one of the modes.")
		return
	}
	if err := oauth.SetTrustMode(r.Context(), s.store, mode, s.clock()); err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.audit(r, user.Username, "trust.mode", mode, "")
	s.flashTo(w, r, "/admin/trust", "ok", "Trust mode set to "+mode+".")
}

// addTrustDomain handles POST /admin/trust/add.
func (s *Server) addTrustDomain(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	raw := r.PostFormValue("domain")
	domain, err := oauth.NormalizeTrustDomain(raw)
	if err == nil {
		err = s.store.AddTrustedDomain(r.Context(), domain, s.clock())
		if errors.Is(err, oauth.ErrConflict) {
			err = errors.New(domain + " is already allowlisted")
		} else if err != nil {
			s.consoleError(w, r, err)
			return
		}
	}
	if err != nil {
		s.renderTrust(w, r, http.StatusUnprocessableEntity, views.TrustProps{Domain: raw, Errors: views.FieldErrors{"domain": upperFirst(err.Error()) + "."}})
		return
	}
	s.audit(r, user.Username, "trust.add", domain, "")
	s.flashTo(w, r, "/admin/trust", "ok", domain+" allowlisted.")
}

// removeTrustDomain handles POST /admin/trust/remove.
func (s *Server) removeTrustDomain(w http.ResponseWriter, r *http.Request) {
	user, _ := current(r)
	domain := r.PostFormValue("domain")
	if err := s.store.RemoveTrustedDomain(r.Context(), domain); err != nil && !errors.Is(err, oauth.ErrNotFound) {
		s.consoleError(w, r, err)
		return
	}
	s.audit(r, user.Username, "trust.remove", domain, "")
	s.flashTo(w, r, "/admin/trust", "ok", domain+" removed from the allowlist.")
}

// showAudit handles GET /admin/audit (search, pages by event ID).
func (s *Server) showAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	query := strings.TrimSpace(q.Get("q"))
	events, err := s.store.ListAudit(r.Context(), oauth.AuditFilter{Query: query, BeforeID: before, Limit: consolePageSize + 1})
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	p := views.AuditProps{Query: query}
	if len(events) > consolePageSize {
		events = events[:consolePageSize]
		next := q
		next.Set("before", strconv.FormatInt(events[len(events)-1].ID, 10))
		p.Pager.Next = "/admin/audit?" + next.Encode()
	}
	if before > 0 {
		first := q
		first.Del("before")
		p.Pager.Prev = "/admin/audit?" + first.Encode()
	}
	for _, e := range events {
		p.Events = append(p.Events, views.AuditRow{At: when(e.At), Actor: e.Actor, Action: e.Action, Target: e.Target, Detail: e.Detail, IP: e.IP})
	}
	p.Console = s.frame(w, r, "Audit log", "audit", views.Crumb{Label: "Audit log"})
	s.render(w, r, http.StatusOK, views.Audit(p))
}

// upperFirst capitalizes a message's first letter.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
