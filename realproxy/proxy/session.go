package proxy

// Sessions held by a cookie (Config.SessionCookie).

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// sessionIDKey is the request context key of a session id generated for a
// request that came without the session cookie.
type sessionIDKey struct{}

// sessionHandler gives a request without the session cookie a new session:
// a random id, set on the response before the ReverseProxy answers (it adds
// the backend's headers to it, and error answers keep it) and passed to
// clientKey and the backend through the request's context.
type sessionHandler struct{ p *Proxy }

func (h sessionHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := h.p.cfg.SessionCookie
	if c, err := r.Cookie(name); err == nil && c.Value != "" {
		h.p.rp.ServeHTTP(w, r)
		return
	}
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics instead)
	id := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: name, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	h.p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionIDKey{}, id)))
}
