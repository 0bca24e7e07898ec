package hooks

import (
	"net/url"
	"sort"
	"strings"
)

// ownPrefixes name the variables that configure streamgate itself
// (MTX_<KEY> and STREAMGATE_<KEY> overrides, MediaMTX's legacy RTSP_<KEY>):
// any of them may hold a password, so none reaches a hook. RTSP_PORT,
// RTSP_PATH and the MTX_ variables a hook gets are set afterwards.
var ownPrefixes = []string{"MTX_", "STREAMGATE_", "RTSP_"}

// secretWords mark a variable or query parameter name as holding a
// credential (matched case-insensitively anywhere in the name).
var secretWords = []string{"PASS", "PWD", "TOKEN", "SECRET", "JWT", "CRED", "AUTH", "HMAC", "APIKEY", "API_KEY", "PRIVATE_KEY"}

// secretParams are query parameter names that carry credentials whatever
// the words above say: what streamgate's listeners read credentials from
// (user, pass, token, jwt, __token__) and their usual spellings.
var secretParams = map[string]bool{"user": true, "username": true, "u": true, "s": true, "t": true, "p": true,
	"streamid": true, "key": true, "sig": true, "signature": true}

// MinSecretLength is the shortest secret looked for inside a variable's
// value; a shorter one only drops a variable that equals it.
const MinSecretLength = 4

// FilterEnviron returns environ without what may hold one of streamgate's
// secrets: the variables that configure streamgate (MTX_…, STREAMGATE_…,
// RTSP_…), every variable whose name has a credential word in it (PASS,
// PWD, TOKEN, SECRET, JWT, CRED, AUTH, HMAC, APIKEY, API_KEY, PRIVATE_KEY), and every
// variable whose value holds one of secrets (the configuration's
// passwords, passphrases and secrets: a file's ${VAR} may have put one
// there under any name).
func FilterEnviron(environ []string, secrets []string) []string {
	out := make([]string, 0, len(environ))
next:
	for _, kv := range environ {
		k, v, ok := cut(kv)
		if !ok {
			continue
		}
		uk := strings.ToUpper(k)
		for _, p := range ownPrefixes {
			if strings.HasPrefix(uk, p) {
				continue next
			}
		}
		if hasSecretWord(uk) {
			continue
		}
		for _, s := range secrets {
			if s == "" {
				continue
			}
			if v == s || len(s) >= MinSecretLength && strings.Contains(v, s) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

func hasSecretWord(upperName string) bool {
	for _, w := range secretWords {
		if strings.Contains(upperName, w) {
			return true
		}
	}
	return false
}

// Environ is base with env's variables set (replacing those of the same
// name), env's in name order.
func Environ(base []string, env Env) []string {
	out := make([]string, 0, len(base)+len(env))
	for _, kv := range base {
		if k, _, ok := cut(kv); ok {
			if _, set := env[k]; set {
				continue
			}
		}
		out = append(out, kv)
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		out = append(out, k+"="+env[k])
	}
	return out
}

// FilterQuery returns a raw query without its credential parameters: a
// parameter is dropped when its name (decoded, any case) is a credential
// name (user, pass, password, token, jwt, __token__, passphrase, streamid…
// — see secretParams and secretWords). Parameters are split at & and at ;
// (a ; that a lax parser takes as a separator cannot smuggle one through);
// the others are kept as they were written, in order.
func FilterQuery(raw string) string {
	if raw == "" {
		return ""
	}
	kept := make([]string, 0, 4)
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		secret := false
		for sub := range strings.SplitSeq(pair, ";") {
			name, _, _ := strings.Cut(sub, "=")
			if dec, err := url.QueryUnescape(name); err == nil {
				name = dec
			}
			name = strings.TrimSpace(name)
			if secretParams[strings.ToLower(name)] || hasSecretWord(strings.ToUpper(name)) {
				secret = true
				break
			}
		}
		if !secret {
			kept = append(kept, pair)
		}
	}
	return strings.Join(kept, "&")
}

// QueryVar is MTX_QUERY as MediaMTX sets it — the reader's or publisher's
// raw query, URL-encoded — with the credential parameters taken out
// (FilterQuery).
func QueryVar(raw string) string { return url.QueryEscape(FilterQuery(raw)) }

func cut(kv string) (k, v string, ok bool) {
	k, v, ok = strings.Cut(kv, "=")
	return k, v, ok && k != ""
}
