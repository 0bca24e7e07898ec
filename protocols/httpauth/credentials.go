// Package httpauth is what every HTTP listener (API, metrics, pprof, HLS,
// WebRTC, gateway) shares about authentication: where credentials are in a
// request, who the client is behind trusted proxies, and the one mapping of
// an authn error to an HTTP answer.
package httpauth

import (
	"encoding/base64"
	"net/http"
	"net/netip"
	"strings"

	"github.com/streamgate/streamgate/authn"
)

// MaxAuthorizationLength bounds the Authorization header we parse.
const MaxAuthorizationLength = 8192

// ParseAuthorization reads an Authorization header value:
//
//	Basic base64(user:pass)  → User, Pass (split at the FIRST colon, RFC 7617)
//	Bearer user:pass         → User, Pass (OBS's "Bearer Token" field)
//	Bearer TOKEN             → Token (a JWT or a signed URL token)
//
// Scheme names are case-insensitive. Anything malformed yields no credentials
// (the client is then challenged).
func ParseAuthorization(h string) authn.Credentials {
	if len(h) > MaxAuthorizationLength {
		return authn.Credentials{}
	}
	scheme, value, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return authn.Credentials{}
	}
	value = strings.TrimSpace(value)
	switch {
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(value)
		if err != nil {
			return authn.Credentials{}
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return authn.Credentials{}
		}
		return authn.Credentials{User: user, Pass: pass}
	case strings.EqualFold(scheme, "Bearer"):
		if value == "" {
			return authn.Credentials{}
		}
		if user, pass, ok := strings.Cut(value, ":"); ok && !looksLikeURLToken(value) {
			return authn.Credentials{User: user, Pass: pass}
		}
		return authn.Credentials{Token: value}
	}
	return authn.Credentials{}
}

// looksLikeURLToken recognises an EdgeAuth token (its acl may hold colons).
func looksLikeURLToken(v string) bool {
	return strings.Contains(v, "~hmac=") || strings.HasPrefix(v, "exp=") || strings.HasPrefix(v, "st=") || strings.HasPrefix(v, "ip=")
}

// Options says where else a listener accepts credentials.
type Options struct {
	// QueryToken accepts ?token= and ?jwt= (authJWTInHTTPQuery, HLS, tokens).
	QueryToken bool
	// TrustedProxies may set X-Forwarded-For.
	TrustedProxies []netip.Prefix
}

// Credentials extracts the client's credentials from r.
func Credentials(r *http.Request, o Options) authn.Credentials {
	c := ParseAuthorization(r.Header.Get("Authorization"))
	if c.Token == "" && o.QueryToken {
		q := r.URL.Query()
		if t := q.Get("token"); t != "" {
			c.Token = t
		} else if t := q.Get("jwt"); t != "" {
			c.Token = t
		}
	}
	if c.Token == "" {
		c.Token = urlToken(r)
	}
	return c
}

// urlToken is a signed URL token (CONTRACT "URL security tokens") from
// ?token=, ?__token__= or a __token__ cookie. Only EdgeAuth-shaped values are
// taken, so a JWT in the query stays behind authJWTInHTTPQuery.
func urlToken(r *http.Request) string {
	q := r.URL.Query()
	for _, t := range []string{q.Get("token"), q.Get("__token__")} {
		if looksLikeURLToken(t) {
			return t
		}
	}
	if ck, err := r.Cookie("__token__"); err == nil && looksLikeURLToken(ck.Value) {
		return ck.Value
	}
	return ""
}

// ClientIP is the client's address: the connection's peer, or, when the peer
// is a trusted proxy, the nearest untrusted address in X-Forwarded-For.
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	ip := ap.Addr().Unmap()
	if len(trusted) == 0 || !inPrefixes(ip, trusted) {
		return ip
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return ip
		}
		a = a.Unmap()
		if !inPrefixes(a, trusted) {
			return a
		}
		ip = a
	}
	return ip
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
