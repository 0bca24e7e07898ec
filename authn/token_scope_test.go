package authn_test

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/daemon"
)

// tokenScopePipeline builds, as the daemon does, the chain [internal,
// token] of a configuration with one secret (keyA) and verification (a
// YAML flow mapping, secretIds [s] added).
func tokenScopePipeline(t *testing.T, verification string) *authn.Pipeline {
	t.Helper()
	f := writeSecret(t, t.TempDir(), "s.txt", string(keyA))
	c, err := config.Parse("test.yml", fmt.Appendf(nil, `
authMethod: [internal, token]
authInternalUsers: []
authTokens:
  secrets: [{id: s, file: %s}]
  verifications: [%s]
`, filepath.ToSlash(f), strings.Replace(verification, "{", "{secretIds: [s], ", 1)), nil)
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	m := authn.NewMetrics(nil)
	deps := authn.NewTestDeps(m)
	p, err := daemon.BuildPipeline(c, deps, daemon.Resources{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// A URL token grants the actions its verification lists — read and
// playback unless others are listed — and nothing else (issue 12, defect
// 4): a viewer's token signed for acl /* (`token sign`'s default) does not
// open the API, the metrics, pprof, the gateway or publishing. A
// verification without `enabled` is on (seed 003); an excluded network
// passes without a token for the listed actions only.
func TestTokenGrantsOnlyItsActions(t *testing.T) {
	tok := authn.SignEdgeAuth(keyA, authn.EdgeAuthToken{End: time.Now().Unix() + 300, ACL: []string{"/*"}})
	const (
		defaults = "{name: v}"
		publish  = "{name: v, actions: [read, playback, publish]}"
		off      = "{name: v, enabled: no}"
		excluded = "{name: v, excludedIPs: [10.0.0.0/8]}"
	)
	tests := []struct {
		name, verification string
		action             authz.Action
		path, token, ip    string
		want               string
	}{
		{"default: read", defaults, authz.ActionRead, "cam", tok, "192.0.2.1", "granted"},
		{"default: playback", defaults, authz.ActionPlayback, "cam", tok, "192.0.2.1", "granted"},
		{"default: publish", defaults, authz.ActionPublish, "cam", tok, "192.0.2.1", "forbidden"},
		{"default: api", defaults, authz.ActionAPI, "", tok, "192.0.2.1", "forbidden"},
		{"default: metrics", defaults, authz.ActionMetrics, "", tok, "192.0.2.1", "forbidden"},
		{"default: pprof", defaults, authz.ActionPprof, "", tok, "192.0.2.1", "forbidden"},
		{"default: gateway", defaults, authz.ActionGateway, "", tok, "192.0.2.1", "forbidden"},
		{"publish listed: publish", publish, authz.ActionPublish, "cam", tok, "192.0.2.1", "granted"},
		{"publish listed: read", publish, authz.ActionRead, "cam", tok, "192.0.2.1", "granted"},
		{"publish listed: api", publish, authz.ActionAPI, "", tok, "192.0.2.1", "forbidden"},
		{"publish listed: gateway", publish, authz.ActionGateway, "", tok, "192.0.2.1", "forbidden"},
		{"enabled: no", off, authz.ActionRead, "cam", tok, "192.0.2.1", "denied"},
		{"excluded network: read without a token", excluded, authz.ActionRead, "cam", "", "10.1.2.3", "granted"},
		{"excluded network: publish without a token", excluded, authz.ActionPublish, "cam", "", "10.1.2.3", "ask"},
		{"excluded network: api without a token", excluded, authz.ActionAPI, "", "", "10.1.2.3", "ask"},
		{"excluded network: api with the token", excluded, authz.ActionAPI, "", tok, "10.1.2.3", "forbidden"},
	}
	pipelines := map[string]*authn.Pipeline{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pipelines[tt.verification]
			if p == nil {
				p = tokenScopePipeline(t, tt.verification)
				pipelines[tt.verification] = p
			}
			req := &authn.Request{Action: tt.action, Path: tt.path, Protocol: authn.ProtocolHTTP,
				IP: netip.MustParseAddr(tt.ip), Credentials: authn.Credentials{Token: tt.token}}
			id, err := p.Authenticate(context.Background(), req)
			if got := kindOf(err); got != tt.want {
				t.Fatalf("%s %q: %s (%v), want %s", tt.action, tt.path, got, err, tt.want)
			}
			if err == nil {
				for _, a := range authz.Actions {
					if id.Permissions.Allows(a, tt.path) && a != authz.ActionRead && a != authz.ActionPlayback && a != authz.ActionPublish {
						t.Errorf("the identity also allows %s: %v", a, id.Permissions)
					}
				}
			}
		})
	}
}

// authTokens.verifications[]: enabled defaults to yes, actions to [read,
// playback]; an unknown action and an empty list are errors.
func TestTokenVerificationConfig(t *testing.T) {
	f := writeSecret(t, t.TempDir(), "s.txt", "k")
	parse := func(v string) (*config.Conf, error) {
		return config.Parse("test.yml", fmt.Appendf(nil, "authMethod: token\nauthTokens:\n  secrets: [{id: s, file: %s}]\n  verifications: [%s]\n", f, v), nil)
	}
	c, err := parse("{name: v, secretIds: [s]}")
	if err != nil {
		t.Fatal(err)
	}
	v := c.AuthTokens.Verifications[0]
	if !v.IsEnabled() || fmt.Sprint(v.Actions) != "[read playback]" {
		t.Errorf("defaults: enabled %v, actions %v; want yes and [read playback]", v.IsEnabled(), v.Actions)
	}
	for _, bad := range []struct{ v, want string }{
		{"{name: v, secretIds: [s], actions: [read, admin]}", "authTokens.verifications[0].actions[1]: unknown action"},
		{"{name: v, secretIds: [s], actions: []}", "authTokens.verifications[0].actions: must list at least one action"},
	} {
		if _, err := parse(bad.v); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: %v, want an error saying %q", bad.v, err, bad.want)
		}
	}
}
