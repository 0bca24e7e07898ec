package httpauth_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/protocols/httpauth"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParseAuthorization(t *testing.T) {
	long := "Basic " + b64("user:"+strings.Repeat("p", httpauth.MaxAuthorizationLength))
	tests := []struct {
		name   string
		header string
		want   authn.Credentials
	}{
		{"basic", "Basic " + b64("user:pass"), authn.Credentials{User: "user", Pass: "pass"}},
		{"basic splits at the first colon", "Basic " + b64("user:pa:ss:word"), authn.Credentials{User: "user", Pass: "pa:ss:word"}},
		{"basic empty password", "Basic " + b64("user:"), authn.Credentials{User: "user"}},
		{"basic empty user", "Basic " + b64(":pass"), authn.Credentials{Pass: "pass"}},
		{"basic scheme lower case", "basic " + b64("u:p"), authn.Credentials{User: "u", Pass: "p"}},
		{"basic scheme upper case", "BASIC " + b64("u:p"), authn.Credentials{User: "u", Pass: "p"}},
		{"basic scheme mixed case", "bAsIc " + b64("u:p"), authn.Credentials{User: "u", Pass: "p"}},
		{"basic extra spaces", "  Basic   " + b64("u:p") + "  ", authn.Credentials{User: "u", Pass: "p"}},
		{"basic utf-8", "Basic " + b64("ü:päss"), authn.Credentials{User: "ü", Pass: "päss"}},
		{"basic without a colon", "Basic " + b64("user"), authn.Credentials{}},
		{"basic bad base64", "Basic !!!", authn.Credentials{}},
		{"basic url-safe base64 is not base64", "Basic " + base64.URLEncoding.EncodeToString([]byte("u:\xfb\xff")), authn.Credentials{}},
		{"basic without value", "Basic", authn.Credentials{}},
		{"basic with empty value", "Basic ", authn.Credentials{}},
		{"bearer user:pass", "Bearer user:pass", authn.Credentials{User: "user", Pass: "pass"}},
		{"bearer user:pass with colons", "Bearer user:pa:ss", authn.Credentials{User: "user", Pass: "pa:ss"}},
		{"bearer scheme lower case", "bearer user:pass", authn.Credentials{User: "user", Pass: "pass"}},
		{"bearer token", "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln", authn.Credentials{Token: "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}},
		{"bearer url token with colons", "Bearer exp=1700000000~acl=/live/a:b~hmac=00ff", authn.Credentials{Token: "exp=1700000000~acl=/live/a:b~hmac=00ff"}},
		{"bearer url token with ip", "Bearer ip=10.0.0.1~exp=1~acl=/*~hmac=00", authn.Credentials{Token: "ip=10.0.0.1~exp=1~acl=/*~hmac=00"}},
		{"bearer without value", "Bearer", authn.Credentials{}},
		{"bearer with blank value", "Bearer   ", authn.Credentials{}},
		{"unknown scheme", "Digest username=\"u\"", authn.Credentials{}},
		{"no scheme", b64("u:p"), authn.Credentials{}},
		{"empty", "", authn.Credentials{}},
		{"too long", long, authn.Credentials{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpauth.ParseAuthorization(tt.header); got != tt.want {
				t.Errorf("ParseAuthorization(%q) = %+v, want %+v", tt.header, got, tt.want)
			}
		})
	}
}

func TestCredentialsFromQuery(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/cam/index.m3u8?token=tok1&jwt=tok2", nil)
	if got := httpauth.Credentials(r, httpauth.Options{}); !got.IsEmpty() {
		t.Errorf("query token read without QueryToken: %+v", got)
	}
	if got := httpauth.Credentials(r, httpauth.Options{QueryToken: true}); got.Token != "tok1" {
		t.Errorf("?token= gave %+v, want tok1", got)
	}
	r = httptest.NewRequest(http.MethodGet, "/cam/index.m3u8?jwt=tok2", nil)
	if got := httpauth.Credentials(r, httpauth.Options{QueryToken: true}); got.Token != "tok2" {
		t.Errorf("?jwt= gave %+v, want tok2", got)
	}
	r.Header.Set("Authorization", "Bearer header-token")
	if got := httpauth.Credentials(r, httpauth.Options{QueryToken: true}); got.Token != "header-token" {
		t.Errorf("the header's token should win over the query's: %+v", got)
	}
	r.Header.Set("Authorization", "Basic "+b64("u:p"))
	if got := httpauth.Credentials(r, httpauth.Options{QueryToken: true}); got != (authn.Credentials{User: "u", Pass: "p", Token: "tok2"}) {
		t.Errorf("Basic and ?jwt= gave %+v", got)
	}
}

func TestClientIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"no proxies trusted: the peer", "192.0.2.7:1234", []string{"198.51.100.1"}, nil, "192.0.2.7"},
		{"untrusted peer: X-Forwarded-For ignored", "192.0.2.7:1234", []string{"198.51.100.1"}, proxies, "192.0.2.7"},
		{"trusted peer without X-Forwarded-For", "127.0.0.1:1234", nil, proxies, "127.0.0.1"},
		{"trusted peer: the forwarded client", "127.0.0.1:1234", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"trusted chain: the nearest untrusted hop", "127.0.0.1:1234", []string{"198.51.100.1, 10.1.1.1"}, proxies, "198.51.100.1"},
		{"spoofed left hops are not believed", "127.0.0.1:1234", []string{"6.6.6.6, 198.51.100.1, 10.1.1.1"}, proxies, "198.51.100.1"},
		{"several headers are one list", "127.0.0.1:1234", []string{"6.6.6.6", "198.51.100.1", "10.1.1.1"}, proxies, "198.51.100.1"},
		{"every hop trusted: the leftmost", "127.0.0.1:1234", []string{"10.2.2.2, 10.1.1.1"}, proxies, "10.2.2.2"},
		{"garbage hop: the last trusted address", "127.0.0.1:1234", []string{"garbage"}, proxies, "127.0.0.1"},
		{"garbage behind a trusted hop", "127.0.0.1:1234", []string{"garbage, 10.1.1.1"}, proxies, "10.1.1.1"},
		{"spaces around hops", "127.0.0.1:1234", []string{"  198.51.100.1  ,  10.1.1.1 "}, proxies, "198.51.100.1"},
		{"ipv6 peer", "[::1]:1234", []string{"2001:db8::1"}, proxies, "2001:db8::1"},
		{"ipv4-mapped peer", "[::ffff:127.0.0.1]:1234", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"ipv4-mapped hop", "127.0.0.1:1234", []string{"::ffff:198.51.100.1"}, proxies, "198.51.100.1"},
		{"ipv4-mapped peer, untrusted", "[::ffff:192.0.2.7]:1234", nil, nil, "192.0.2.7"},
		{"bad remote address", "not-an-address", []string{"198.51.100.1"}, proxies, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := httpauth.ClientIP(r, tt.trusted).String(); got != tt.want {
				t.Errorf("ClientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		challenged bool
	}{
		{"ask", &authn.Error{Kind: authn.KindAskCredentials, Reason: authn.ReasonNoCredentials}, 401, true},
		{"denied", &authn.Error{Kind: authn.KindDenied, Reason: authn.ReasonWrongPassword}, 401, true},
		{"quarantined", &authn.Error{Kind: authn.KindDenied, Reason: authn.ReasonQuarantined}, 401, true},
		{"forbidden", &authn.Error{Kind: authn.KindForbidden, Reason: authn.ReasonNoPermission}, 403, false},
		{"unavailable", &authn.Error{Kind: authn.KindUnavailable, Reason: "backend unavailable"}, 503, false},
		{"not an authn error", errors.New("boom"), 503, false},
	}
	var denied *httptest.ResponseRecorder
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			httpauth.WriteError(w, tt.err, "my realm")
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			wantChallenge := ""
			if tt.challenged {
				wantChallenge = `Basic realm="my realm"`
			}
			if got := w.Header().Get("WWW-Authenticate"); got != wantChallenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, wantChallenge)
			}
			if w.Body.Len() != 0 {
				t.Errorf("body %q, want empty", w.Body.String())
			}
			if strings.Contains(w.Body.String()+strings.Join(w.Header().Values("WWW-Authenticate"), ""), "password") {
				t.Errorf("the reason leaked into the answer")
			}
			switch tt.name {
			case "denied":
				denied = w
			case "quarantined":
				if denied != nil && (denied.Code != w.Code || denied.Body.String() != w.Body.String() ||
					!equalHeaders(denied.Header(), w.Header())) {
					t.Errorf("a quarantined answer differs from a wrong password's")
				}
			}
		})
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if strings.Join(a[k], "\n") != strings.Join(b[k], "\n") {
			return false
		}
	}
	return true
}

func TestCredentialsURLToken(t *testing.T) {
	const tok = "exp=1700000000~acl=/*~hmac=00"
	for _, setup := range []func(r *http.Request){
		func(r *http.Request) { r.URL.RawQuery = "token=" + tok },
		func(r *http.Request) { r.URL.RawQuery = "__token__=" + tok },
		func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "__token__", Value: tok}) },
	} {
		r := httptest.NewRequest(http.MethodGet, "/cam/index.m3u8", nil)
		setup(r)
		if got := httpauth.Credentials(r, httpauth.Options{}); got.Token != tok {
			t.Errorf("%s %v: token %q, want the URL token without QueryToken", r.URL, r.Cookies(), got.Token)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/cam/index.m3u8?__token__=eyJhbGciOi.x.y", nil)
	if got := httpauth.Credentials(r, httpauth.Options{}); !got.IsEmpty() {
		t.Errorf("a JWT in ?__token__= was taken: %+v", got)
	}
}
