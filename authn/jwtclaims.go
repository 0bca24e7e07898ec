package authn

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	"github.com/streamgate/streamgate/authz"
)

// MaxJWTLength bounds the tokens the jwt backend looks at.
const MaxJWTLength = 16 << 10

// maxClaimPermissions bounds the permissions one token may carry.
const maxClaimPermissions = 1000

// looksLikeJWT recognises the compact JWS shape: three base64url parts
// (the signature may be empty, as in alg "none", which is then refused
// rather than passed on), the first decoding to a JSON object.
func looksLikeJWT(s string) bool {
	if len(s) < 5 || len(s) > MaxJWTLength || strings.Count(s, ".") != 2 {
		return false
	}
	head, rest, _ := strings.Cut(s, ".")
	payload, sig, _ := strings.Cut(rest, ".")
	if head == "" || payload == "" || !isBase64URL(head) || !isBase64URL(payload) || !isBase64URL(sig) {
		return false
	}
	// The header must be a JSON object: its first bytes decide, and four
	// characters decode to three bytes without allocating.
	var first [3]byte
	n, _ := base64.RawURLEncoding.Decode(first[:], []byte(head[:min(4, len(head))]))
	for _, c := range first[:n] {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// jwtFrom returns the JWT a client presented: the token (Bearer, ?token=,
// ?jwt=) or, as MediaMTX documents for RTSP, RTMP and SRT, the password with
// an arbitrary user. "" when neither has the shape of a JWT.
func jwtFrom(c Credentials) string {
	switch {
	case looksLikeJWT(c.Token):
		return c.Token
	case looksLikeJWT(c.Pass):
		return c.Pass
	}
	return ""
}

// jwtClaims are the claims the backend reads: the registered ones (checked
// by the parser), the user's name, and the permissions claim under the
// configured key, kept raw.
type jwtClaims struct {
	jwt.RegisteredClaims
	PreferredUsername string
	Permissions       json.RawMessage

	key string // the permissions claim's name (authJWTClaimKey)
}

// UnmarshalJSON decodes the payload once into its members.
func (c *jwtClaims) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	// RFC 7519 NumericDate is a JSON number; golang-jwt also takes a
	// string holding one ("exp":"9999999999"), which is refused here.
	for _, k := range [...]string{"exp", "nbf", "iat"} {
		if raw, ok := m[k]; ok && !isJSONNumber(raw) {
			return fmt.Errorf("%s: %w", k, errNotNumericDate)
		}
	}
	if err := json.Unmarshal(b, &c.RegisteredClaims); err != nil {
		return err
	}
	if raw, ok := m["preferred_username"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &c.PreferredUsername); err != nil {
			return fmt.Errorf("preferred_username: %w", err)
		}
	}
	c.Permissions = m[c.key]
	return nil
}

// errNotNumericDate: exp, nbf or iat is not a JSON number.
var errNotNumericDate = errors.New("not a NumericDate (a JSON number of seconds)")

// isJSONNumber reports whether raw is a JSON number literal (not a string,
// null, or anything else).
func isJSONNumber(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && (raw[0] == '-' || '0' <= raw[0] && raw[0] <= '9')
}

// user is the identity's name: preferred_username (Keycloak's login name),
// else sub.
func (c *jwtClaims) user() string {
	if c.PreferredUsername != "" {
		return c.PreferredUsername
	}
	return c.Subject
}

// errClaimShape: the permissions claim is none of the accepted shapes.
var errClaimShape = errors.New("want a JSON array of {action, path}, a JSON string holding one, or an array of JSON strings each holding one {action, path}")

// parsePermissionClaim compiles the permissions claim. Accepted shapes:
//
//	[{"action":"publish","path":"cam"}, …]         a JSON array (MediaMTX)
//	"[{\"action\":\"publish\",\"path\":\"cam\"}]"  a JSON-encoded string of it
//	["{\"action\":\"publish\",\"path\":\"\"}", …]  Keycloak's multivalued JSON
//	                                                user attribute: an array of
//	                                                strings, one permission each
//
// An absent or null claim grants nothing. Unknown members of a permission
// are ignored; an unknown action, an invalid "~" expression, or a publish,
// read or playback permission without a path member (MediaMTX reads it as
// every path; "path": "" says so) refuses the token.
func parsePermissionClaim(raw json.RawMessage) (authz.Permissions, error) {
	return parseClaimValue(raw, 0)
}

// maxClaimUnwraps bounds how many JSON strings may be nested around a
// permission (a string claim holding Keycloak's array of strings is 2).
const maxClaimUnwraps = 2

// errClaimTooDeep: JSON strings nested deeper than maxClaimUnwraps.
var errClaimTooDeep = errors.New("permissions nested in too many JSON strings")

// parseClaimValue parses an array, an object, or a JSON string holding one
// of them; unwraps counts the strings already opened.
func parseClaimValue(raw json.RawMessage, unwraps int) (authz.Permissions, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		if unwraps >= maxClaimUnwraps {
			return nil, errClaimTooDeep
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return parseClaimValue(json.RawMessage(s), unwraps+1)
	case '{':
		p, err := parsePermission(raw)
		if err != nil {
			return nil, err
		}
		return authz.Permissions{p}, nil
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		if len(items) > maxClaimPermissions {
			return nil, errTooManyPermissions
		}
		perms := make(authz.Permissions, 0, len(items))
		for _, it := range items {
			it = bytes.TrimSpace(it)
			if len(it) == 0 || (it[0] != '{' && it[0] != '"') {
				return nil, errClaimShape
			}
			ps, err := parseClaimValue(it, unwraps)
			if err != nil {
				return nil, err
			}
			perms = append(perms, ps...)
			if len(perms) > maxClaimPermissions {
				return nil, errTooManyPermissions
			}
		}
		return perms, nil
	}
	return nil, errClaimShape
}

var errTooManyPermissions = fmt.Errorf("more than %d permissions", maxClaimPermissions)

func parsePermission(raw json.RawMessage) (authz.Permission, error) {
	var p struct {
		Action *string `json:"action"`
		Path   *string `json:"path"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return authz.Permission{}, err
	}
	if p.Action == nil {
		return authz.Permission{}, errors.New("a permission without action")
	}
	path := ""
	switch {
	case p.Path != nil:
		path = *p.Path
	case pathScoped(authz.Action(*p.Action)):
		// A claim grants what it names: every path only when it says so.
		return authz.Permission{}, fmt.Errorf("a %s permission without path (\"path\": \"\" grants every path)", *p.Action)
	}
	return authz.CompilePermission(*p.Action, path)
}

// pathScoped reports whether action applies to a stream path (publish,
// read, playback), as opposed to a whole service (api, metrics, pprof,
// gateway).
func pathScoped(a authz.Action) bool {
	return a == authz.ActionPublish || a == authz.ActionRead || a == authz.ActionPlayback
}
