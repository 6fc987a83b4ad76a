package proxy

// The client key the balancer hashes (algorithms.Request.Key).

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/fulcrum-lb/fulcrum/traffic"
)

// clientKey returns the request's client key: traffic.ClientKey(id) for a
// decimal id in the client header (as the simulator keys client id), else a
// hash of the client's IP address: the first of X-Forwarded-For with
// TrustForwarded, else the connection's remote address. Never 0.
//
// With Config.SessionCookie, the key is instead the hash of the session
// cookie's value (textKey): the one the request carries, or the one
// sessionHandler generated for it.
func (p *Proxy) clientKey(r *http.Request) uint64 {
	if p.cfg.SessionCookie != "" {
		if id, ok := r.Context().Value(sessionIDKey{}).(string); ok {
			return textKey(id)
		}
		if c, err := r.Cookie(p.cfg.SessionCookie); err == nil && c.Value != "" {
			return textKey(c.Value)
		}
	}
	if v := r.Header[p.cfg.ClientHeader]; len(v) > 0 && p.readClient {
		if id, err := strconv.ParseUint(strings.TrimSpace(v[0]), 10, 63); err == nil && id <= uint64(maxInt) {
			return traffic.ClientKey(int(id))
		}
	}
	host := r.RemoteAddr
	if p.cfg.TrustForwarded {
		if v := r.Header["X-Forwarded-For"]; len(v) > 0 {
			first, _, _ := strings.Cut(v[0], ",")
			host = strings.TrimSpace(first)
		}
	}
	return addrKey(host)
}

const maxInt = int(^uint(0) >> 1)

// addrKey hashes an address ("ip", "ip:port" or "[ip]:port") with FNV-1a
// over the 16-byte form of its IP (so 10.0.0.1 and ::ffff:10.0.0.1 agree),
// then splitmix64's finaliser, which FNV's weak high bits need before a
// key is reduced mod n. Something that is not an IP is hashed as text.
func addrKey(host string) uint64 {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		b := ip.Unmap().As16()
		h := uint64(fnvOffset)
		for _, c := range b {
			h = (h ^ uint64(c)) * fnvPrime
		}
		return mix(h)
	}
	return textKey(host)
}

const fnvOffset, fnvPrime = 14695981039346656037, 1099511628211

// textKey hashes s as addrKey does: FNV-1a, then splitmix64's finaliser.
// Never 0.
func textKey(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return mix(h)
}

// mix is splitmix64's finaliser, mapping 0 to 1 (0 means no key).
func mix(h uint64) uint64 {
	h = (h ^ h>>30) * 0xbf58476d1ce4e5b9
	h = (h ^ h>>27) * 0x94d049bb133111eb
	h ^= h >> 31
	if h == 0 {
		return 1
	}
	return h
}
