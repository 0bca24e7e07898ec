package authn

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/streamgate/streamgate/authz"
)

// ReasonToken is the reason of every refused URL token.
const ReasonToken = "token"

// EdgeAuthToken is an Akamai EdgeAuth token's fields:
// [ip=IP~][st=START~]exp=END~acl=PATH[!PATH…][~id=ID][~data=DATA]~hmac=HEX.
type EdgeAuthToken struct {
	IP    string // empty: any client
	Start int64  // unix seconds; 0: not set
	End   int64  // unix seconds
	ACL   []string
	ID    string
	Data  string
	// Signed is the text the HMAC covers (everything before "~hmac=").
	Signed string
	// MAC is the decoded HMAC.
	MAC []byte
}

// LooksLikeEdgeAuth reports whether s has an EdgeAuth token's shape (a JWT
// or a password does not).
func LooksLikeEdgeAuth(s string) bool {
	return (strings.HasPrefix(s, "exp=") || strings.HasPrefix(s, "st=") || strings.HasPrefix(s, "ip=")) &&
		strings.Contains(s, "~hmac=")
}

// ParseEdgeAuthToken splits an EdgeAuth token into its fields. It checks the
// syntax only, not the signature or the times.
func ParseEdgeAuthToken(s string) (*EdgeAuthToken, error) {
	i := strings.LastIndex(s, "~hmac=")
	if i < 0 {
		return nil, errors.New("no hmac field")
	}
	t := &EdgeAuthToken{Signed: s[:i]}
	mac, err := hex.DecodeString(s[i+len("~hmac="):])
	if err != nil || len(mac) != sha256.Size {
		return nil, errors.New("hmac is not a hex SHA-256 digest")
	}
	t.MAC = mac
	seen := map[string]bool{}
	for f := range strings.SplitSeq(t.Signed, "~") {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("field %q has no value", f)
		}
		if seen[k] {
			return nil, fmt.Errorf("field %s given twice", k)
		}
		seen[k] = true
		switch k {
		case "ip":
			t.IP = v
		case "st":
			t.Start, err = parseUnix(v)
		case "exp":
			t.End, err = parseUnix(v)
		case "acl":
			if v == "" {
				return nil, errors.New("empty acl")
			}
			t.ACL = strings.Split(v, "!")
		case "id":
			t.ID = v
		case "data":
			t.Data = v
		default:
			return nil, fmt.Errorf("unknown field %q", k)
		}
		if err != nil {
			return nil, fmt.Errorf("field %s: %w", k, err)
		}
	}
	switch {
	case !seen["exp"]:
		return nil, errors.New("no exp field")
	case !seen["acl"]:
		return nil, errors.New("no acl field")
	}
	return t, nil
}

func parseUnix(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || strings.HasPrefix(v, "+") {
		return 0, errors.New("not a positive unix time")
	}
	return n, nil
}

// SignEdgeAuth returns the token of t's fields signed with key (HMAC-SHA256),
// in the order the Akamai generators write them. Signed and MAC are ignored.
func SignEdgeAuth(key []byte, t EdgeAuthToken) string {
	var fs []string
	if t.IP != "" {
		fs = append(fs, "ip="+t.IP)
	}
	if t.Start != 0 {
		fs = append(fs, "st="+strconv.FormatInt(t.Start, 10))
	}
	fs = append(fs, "exp="+strconv.FormatInt(t.End, 10), "acl="+strings.Join(t.ACL, "!"))
	if t.ID != "" {
		fs = append(fs, "id="+t.ID)
	}
	if t.Data != "" {
		fs = append(fs, "data="+t.Data)
	}
	signed := strings.Join(fs, "~")
	return signed + "~hmac=" + hex.EncodeToString(edgeAuthMAC(key, signed))
}

func edgeAuthMAC(key []byte, signed string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(signed))
	return h.Sum(nil)
}

// ACLAllows reports whether one of the acl patterns matches path ("*" matches
// any run of characters, "/" included).
func (t *EdgeAuthToken) ACLAllows(path string) bool {
	for _, p := range t.ACL {
		if globMatch(p, path) {
			return true
		}
	}
	return false
}

// globMatch matches s against pattern, where "*" matches any run of bytes.
// It runs in O(len(pattern)·len(s)) at worst, without recursion.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case px < len(pattern) && pattern[px] == s[sx]:
			px++
			sx++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// TokenVerificationConfig binds secrets to paths (authTokens.verifications).
type TokenVerificationConfig struct {
	// Name names the verification in logs.
	Name string
	// Enabled switches the verification.
	Enabled bool
	// Paths are path patterns (authz.CompilePath); empty matches every
	// path; "default" applies to requests matching no verification's paths.
	Paths []string
	// Actions are all a token verified here may do; empty: read and
	// playback (DefaultTokenActions). A token never grants another action.
	Actions []authz.Action
	// ExcludedIPs pass without a token, for Actions only.
	ExcludedIPs authz.Networks
	// SecretIDs may sign tokens.
	SecretIDs []string
}

// DefaultTokenActions are a verification's actions when it lists none:
// tokens are for playback.
var DefaultTokenActions = []authz.Action{authz.ActionRead, authz.ActionPlayback}

// TokenConfig configures the token backend (authTokens).
type TokenConfig struct {
	// Enabled switches the polling of secret files; verification stays on.
	Enabled bool
	// Secrets are the secret files.
	Secrets []TokenSecretConfig
	// RefreshInterval is how often the files are re-read.
	RefreshInterval time.Duration
	// Verifications bind secrets to paths, first match first.
	Verifications []TokenVerificationConfig
	// Metrics counts verifications (nil: not counted).
	Metrics *Metrics
	// Logger logs secret reload failures (nil: not logged).
	Logger *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Token is the backend of URL security tokens (seed 003): Akamai
// EdgeAuth-compatible tokens signed with secrets read from files.
type Token struct {
	secrets       *tokenSecrets
	verifications []*tokenVerification
	poll          bool
	metrics       *Metrics
	now           func() time.Time
}

type tokenVerification struct {
	name      string
	enabled   bool
	paths     []authz.PathMatcher
	isDefault bool
	actions   []authz.Action
	excluded  authz.Networks
	secretIDs []string
}

// allows reports whether the verification lists action.
func (v *tokenVerification) allows(action authz.Action) bool {
	return slices.Contains(v.actions, action)
}

// grant is what a token verified here may do on path: its actions there,
// nothing more.
func (v *tokenVerification) grant(path string) authz.Permissions {
	perms := make(authz.Permissions, len(v.actions))
	for i, a := range v.actions {
		perms[i] = authz.Permission{Action: a, Path: authz.ExactPath(path)}
	}
	return perms
}

var _ Backend = (*Token)(nil)

// NewToken reads the secrets once and compiles the verifications. It starts
// nothing: Start polls the secret files, Close stops.
func NewToken(c TokenConfig) (*Token, error) {
	known := map[string]bool{}
	for _, s := range c.Secrets {
		known[s.ID] = true
	}
	b := &Token{poll: c.Enabled, metrics: c.Metrics, now: c.Now}
	if b.now == nil {
		b.now = time.Now
	}
	for _, vc := range c.Verifications {
		v := &tokenVerification{name: vc.Name, enabled: vc.Enabled, actions: slices.Clone(vc.Actions),
			excluded: vc.ExcludedIPs, secretIDs: vc.SecretIDs}
		if len(v.actions) == 0 {
			v.actions = slices.Clone(DefaultTokenActions)
		}
		if len(vc.Paths) == 0 {
			vc.Paths = []string{""} // every path
		}
		for _, p := range vc.Paths {
			if p == "default" {
				v.isDefault = true
				continue
			}
			m, err := authz.CompilePath(p)
			if err != nil {
				return nil, fmt.Errorf("verification %s: %w", vc.Name, err)
			}
			v.paths = append(v.paths, m)
		}
		for _, id := range vc.SecretIDs {
			if !known[id] {
				return nil, fmt.Errorf("verification %s: no secret has id %q", vc.Name, id)
			}
		}
		b.verifications = append(b.verifications, v)
	}
	s, err := newTokenSecrets(c.Secrets, c.RefreshInterval, c.Logger)
	if err != nil {
		return nil, err
	}
	b.secrets = s
	return b, nil
}

// UserVersion implements UserVersions: every decision the cache holds is
// dropped when a secret changes, so a grant does not outlive the secret
// that signed its token (a rotation is rare; the cost is one re-check of
// each client).
func (b *Token) UserVersion(string) uint64 { return b.secrets.generation.Load() }

// Name implements Backend.
func (b *Token) Name() string { return "token" }

// Start polls the secret files every RefreshInterval when Enabled.
func (b *Token) Start() {
	if b.poll {
		b.secrets.start()
	}
}

// Close stops polling; it implements io.Closer for Pipeline.Close.
func (b *Token) Close() error {
	b.secrets.close()
	return nil
}

// verification returns the first enabled verification that applies to path,
// nil when none does. A path matching no verification's patterns belongs to
// the default account.
func (b *Token) verification(path string) *tokenVerification {
	matched := false
	for _, v := range b.verifications {
		for _, m := range v.paths {
			if m.Match(path) {
				if v.enabled {
					return v
				}
				matched = true
			}
		}
	}
	if matched {
		return nil
	}
	for _, v := range b.verifications {
		if v.isDefault && v.enabled {
			return v
		}
	}
	return nil
}

// Authenticate implements Backend. A path no enabled verification covers and
// a request without an EdgeAuth token are not this backend's; a client of an
// excluded network passes for the verification's actions; any other token
// must verify, and then grants the verification's actions on the requested
// path and nothing else (an action not listed is forbidden).
func (b *Token) Authenticate(_ context.Context, req *Request) (*Identity, error) {
	v := b.verification(req.Path)
	if v == nil {
		return nil, ErrNotApplicable
	}
	perms := v.grant(req.Path)
	if len(v.excluded) > 0 && v.excluded.Contains(req.IP) && v.allows(req.Action) {
		b.count("", "excluded")
		return &Identity{User: "token", Backend: "token", Permissions: perms}, nil
	}
	if !LooksLikeEdgeAuth(req.Credentials.Token) {
		return nil, ErrNotApplicable
	}
	t, err := ParseEdgeAuthToken(req.Credentials.Token)
	if err != nil {
		b.count("", "malformed")
		return nil, tokenRefused(err, false)
	}
	secret := ""
	for _, id := range v.secretIDs {
		key := b.secrets.get(id)
		if key != nil && hmac.Equal(edgeAuthMAC(key, t.Signed), t.MAC) {
			secret = id
			break
		}
	}
	if secret == "" {
		b.count("", "bad_signature")
		return nil, tokenRefused(errors.New("signature"), false)
	}
	now := b.now().Unix()
	path := req.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	switch {
	case t.End <= now:
		b.count(secret, "expired")
		return nil, tokenRefused(errors.New("expired"), false)
	case t.Start > now:
		b.count(secret, "not_yet_valid")
		return nil, tokenRefused(errors.New("not valid yet"), true)
	case t.IP != "" && !sameIP(t.IP, req.IP):
		b.count(secret, "ip")
		return nil, tokenRefused(errors.New("client address"), false)
	case !t.ACLAllows(path) && !t.ACLAllows(path+"/"):
		// "/cam/*", the acl a CDN signs for an HLS stream's files, covers
		// the stream cam itself on every protocol.
		b.count(secret, "acl")
		return nil, tokenRefused(errors.New("path outside acl"), false)
	case !v.allows(req.Action):
		b.count(secret, "action")
		return nil, tokenRefused(fmt.Errorf("action %s not among the verification's actions", req.Action), false)
	}
	b.count(secret, "ok")
	user := "token"
	if t.ID != "" {
		user = "token:" + t.ID
	}
	return &Identity{User: user, Backend: "token", Permissions: perms, Expires: time.Unix(t.End, 0)}, nil
}

func sameIP(s string, ip netip.Addr) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && ip.IsValid() && a.Unmap() == ip.Unmap()
}

func tokenRefused(err error, transient bool) *Error {
	return &Error{Kind: KindForbidden, Reason: ReasonToken, Err: err, transient: transient}
}

func (b *Token) count(secret, result string) {
	if b.metrics != nil {
		b.metrics.tokens.WithLabelValues(secret, result).Inc()
	}
}
