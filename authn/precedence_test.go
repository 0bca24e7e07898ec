package authn_test

import (
	"context"
	"net/netip"
	"testing"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/daemon"
)

func precedencePipeline(t *testing.T, yaml string) *authn.Pipeline {
	t.Helper()
	c, err := config.Parse("p.yml", []byte(yaml), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := authn.NewMetrics(nil)
	q := authn.NewQuarantine(authn.QuarantineLimits{})
	v := authn.NewVerifier(1, q, m)
	var backends []authn.Backend
	if b, ok := authn.NewPrecedence(daemon.PrecedenceConfig(c), v); ok {
		backends = append(backends, b)
	}
	backends = append(backends, authn.NewInternal(authn.UsersOf(c), v))
	return authn.NewPipeline(authn.PipelineConfig{Backends: backends}, authn.Deps{Verifier: v, Quarantine: q, Metrics: m})
}

// Seed 004's precedence rules, one configuration a case.
func TestPrecedenceRules(t *testing.T) {
	const noUsers = "authInternalUsers: []\n"
	type try struct {
		action     authz.Action
		path       string
		user, pass string
		want       authn.Kind // 0: granted
	}
	tests := []struct {
		name, yaml string
		tries      []try
	}{
		{"global only: every service and path", noUsers + "authUser: g\nauthPass: gp\npaths:\n  cam:\n", []try{
			{authz.ActionAPI, "", "g", "gp", 0},
			{authz.ActionMetrics, "", "g", "gp", 0},
			{authz.ActionPublish, "cam", "g", "gp", 0},
			{authz.ActionAPI, "", "g", "bad", authn.KindDenied},
			{authz.ActionAPI, "", "other", "gp", authn.KindDenied},
			{authz.ActionAPI, "", "", "", authn.KindAskCredentials},
		}},
		{"service overrides the global pair", noUsers + "authUser: g\nauthPass: gp\napiUser: a\napiPass: ap\n", []try{
			{authz.ActionAPI, "", "a", "ap", 0},
			{authz.ActionAPI, "", "g", "gp", authn.KindDenied},
			{authz.ActionMetrics, "", "g", "gp", 0},
		}},
		{"service user only inherits the global password", noUsers + "authUser: g\nauthPass: gp\nmetricsUser: m\n", []try{
			{authz.ActionMetrics, "", "m", "gp", 0},
			{authz.ActionMetrics, "", "g", "gp", authn.KindDenied},
		}},
		{"path user only inherits the global password", noUsers + "authUser: g\nauthPass: gp\npaths:\n  cam: {publishUser: p}\n", []try{
			{authz.ActionPublish, "cam", "p", "gp", 0},
			{authz.ActionPublish, "cam", "g", "gp", authn.KindDenied},
			{authz.ActionRead, "cam", "g", "gp", 0},
		}},
		{"path with both", noUsers + "authUser: g\nauthPass: gp\npaths:\n  cam: {readUser: r, readPass: rp}\n", []try{
			{authz.ActionRead, "cam", "r", "rp", 0},
			{authz.ActionRead, "cam", "r", "gp", authn.KindDenied},
		}},
		{"no password anywhere: open", noUsers + "apiUser: a\n", []try{
			{authz.ActionAPI, "", "", "", 0},
			{authz.ActionAPI, "", "x", "y", 0},
			{authz.ActionMetrics, "", "", "", authn.KindAskCredentials}, // not configured: internal (no users) decides
		}},
		// MediaMTX's deprecated per-path networks (request from 127.0.0.1).
		{"readIPs alone: open to those networks only", noUsers + "paths:\n  cam: {readIPs: [10.0.0.0/8]}\n  lo: {readIPs: [127.0.0.1]}\n", []try{
			{authz.ActionRead, "cam", "", "", authn.KindForbidden},
			{authz.ActionRead, "lo", "", "", 0},
			{authz.ActionPublish, "lo", "", "", authn.KindAskCredentials}, // publishing is not this section's
		}},
		{"publishIPs with a user", noUsers + "paths:\n  cam: {publishUser: p, publishPass: pp, publishIPs: [127.0.0.0/8, '::1']}\n  far: {publishUser: p, publishPass: pp, publishIPs: [192.0.2.0/24]}\n", []try{
			{authz.ActionPublish, "cam", "p", "pp", 0},
			{authz.ActionPublish, "cam", "p", "bad", authn.KindDenied},
			{authz.ActionPublish, "far", "p", "pp", authn.KindForbidden},
		}},
		{"hashed section password", noUsers + "apiUser: a\napiPass: sha256:BdSWkrdV+ZxFBLUQQY7+7uv9RmiSVA8nrPmjGjJtZQQ=\n", []try{
			{authz.ActionAPI, "", "a", "userpass", 0},
			{authz.ActionAPI, "", "a", "nope", authn.KindDenied},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := precedencePipeline(t, tt.yaml)
			for _, tr := range tt.tries {
				req := authn.Request{Action: tr.action, Path: tr.path, Protocol: authn.ProtocolHTTP, IP: netip.MustParseAddr("127.0.0.1"),
					Credentials: authn.Credentials{User: tr.user, Pass: tr.pass}}
				_, err := p.Authenticate(context.Background(), &req)
				got := authn.Kind(0)
				if err != nil {
					got = authn.KindOf(err)
				}
				if got != tr.want {
					t.Errorf("%s %q as %q/%q: got %v, want %v (%v)", tr.action, tr.path, tr.user, tr.pass, got, tr.want, err)
				}
			}
		})
	}
}
