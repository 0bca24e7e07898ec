package authn_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
)

// pipelineFromYAML builds a pipeline with the internal backend the way the
// daemon does, from a YAML snippet.
func pipelineFromYAML(t *testing.T, yaml string, limits authn.QuarantineLimits, logger ...*slog.Logger) *authn.Pipeline {
	t.Helper()
	c, err := config.Parse("test.yml", []byte(yaml), nil)
	if err != nil {
		t.Fatalf("config.Parse: %v", err)
	}
	m := authn.NewMetrics(nil)
	q := authn.NewQuarantine(limits)
	v := authn.WithoutRefusalPadding(authn.NewVerifier(1, q, m))
	deps := authn.Deps{Verifier: v, Quarantine: q, Metrics: m}
	if len(logger) > 0 {
		deps.Logger = logger[0]
	}
	return authn.NewPipeline(authn.PipelineConfig{
		Backends:  []authn.Backend{authn.NewInternal(authn.UsersOf(c), v)},
		CacheSize: c.AuthCache.Size, CacheTTL: c.AuthCache.TTL,
	}, deps)
}

var localhost = netip.MustParseAddr("127.0.0.1")

func authRequest(action authz.Action, path, user, pass string) *authn.Request {
	return &authn.Request{Action: action, Path: path, Protocol: authn.ProtocolRTSP, IP: localhost,
		Credentials: authn.Credentials{User: user, Pass: pass}}
}

// kindOf is "granted" for a nil error, else the error's kind.
func kindOf(err error) string {
	if err == nil {
		return "granted"
	}
	return authn.KindOf(err).String()
}

const regexUsers = `
authInternalUsers:
- user: cammer
  pass: cam-pass
  permissions:
  - {action: publish, path: '~cam'}
  - {action: read, path: '~cam[0-9]+'}
  - {action: read, path: lobby}
- user: any
  permissions:
  - {action: read, path: '~public/.*'}
`

// ~regex paths match the WHOLE path (the MediaMTX pitfall: ~cam matched
// notacamera), per action.
func TestPipelinePathRegexPermissions(t *testing.T) {
	for _, cache := range []string{"cache on", "cache off"} {
		t.Run(cache, func(t *testing.T) {
			yaml := regexUsers
			if cache == "cache off" {
				yaml += "authCache: {size: 0}\n"
			}
			p := pipelineFromYAML(t, yaml, authn.QuarantineLimits{})
			tests := []struct {
				action     authz.Action
				path, user string
				pass       string
				want       string
			}{
				{authz.ActionPublish, "cam", "cammer", "cam-pass", "granted"},
				{authz.ActionPublish, "notacamera", "cammer", "cam-pass", "forbidden"},
				{authz.ActionPublish, "camera", "cammer", "cam-pass", "forbidden"},
				{authz.ActionPublish, "mycam", "cammer", "cam-pass", "forbidden"},
				{authz.ActionPublish, "cam/sub", "cammer", "cam-pass", "forbidden"},
				{authz.ActionPublish, "cam1", "cammer", "cam-pass", "forbidden"},
				{authz.ActionRead, "cam1", "cammer", "cam-pass", "granted"},
				{authz.ActionRead, "cam42", "cammer", "cam-pass", "granted"},
				{authz.ActionRead, "cam", "cammer", "cam-pass", "forbidden"},
				{authz.ActionRead, "xcam1", "cammer", "cam-pass", "forbidden"},
				{authz.ActionRead, "cam1x", "cammer", "cam-pass", "forbidden"},
				{authz.ActionRead, "lobby", "cammer", "cam-pass", "granted"},
				{authz.ActionRead, "lobby2", "cammer", "cam-pass", "forbidden"},
				{authz.ActionPlayback, "cam1", "cammer", "cam-pass", "forbidden"},
				{authz.ActionPublish, "cam", "cammer", "wrong", "denied"},
				{authz.ActionPublish, "cam", "nobody", "cam-pass", "denied"},
				{authz.ActionRead, "public/x", "", "", "granted"},
				{authz.ActionRead, "public/x", "cammer", "wrong", "granted"}, // "any" takes every name and password
				{authz.ActionRead, "notpublic/x", "", "", "ask"},
				{authz.ActionRead, "public", "", "", "ask"},
				{authz.ActionPublish, "public/x", "", "", "ask"},
				// cammer's own permissions plus those of "any".
				{authz.ActionRead, "public/x", "cammer", "cam-pass", "granted"},
			}
			for _, tt := range tests {
				name := fmt.Sprintf("%s %s as %q/%q", tt.action, tt.path, tt.user, tt.pass)
				for range 2 { // the second answer may come from the cache
					_, err := p.Authenticate(context.Background(), authRequest(tt.action, tt.path, tt.user, tt.pass))
					if got := kindOf(err); got != tt.want {
						t.Errorf("%s: %s (%v), want %s", name, got, err, tt.want)
					}
				}
			}
		})
	}
}

func TestPipelineIdentity(t *testing.T) {
	p := pipelineFromYAML(t, regexUsers, authn.QuarantineLimits{})
	id, err := p.Authenticate(context.Background(), authRequest(authz.ActionPublish, "cam", "cammer", "cam-pass"))
	if err != nil {
		t.Fatal(err)
	}
	if id.User != "cammer" || id.Backend != "internal" || id.Anonymous() {
		t.Errorf("identity %+v", id)
	}
	id, err = p.Authenticate(context.Background(), authRequest(authz.ActionRead, "public/a", "", ""))
	if err != nil || !id.Anonymous() {
		t.Errorf("anonymous read: %+v, %v", id, err)
	}
}

func TestPipelineIPRestriction(t *testing.T) {
	p := pipelineFromYAML(t, `
authInternalUsers:
- {user: ten, pass: ten-pass, ips: [10.0.0.0/8], permissions: [{action: read}]}
`, authn.QuarantineLimits{})
	for _, tt := range []struct {
		ip   string
		want string
	}{{"10.1.2.3", "granted"}, {"127.0.0.1", "denied"}, {"::ffff:10.1.2.3", "granted"}, {"2001:db8::1", "denied"}} {
		req := authRequest(authz.ActionRead, "x", "ten", "ten-pass")
		req.IP = netip.MustParseAddr(tt.ip)
		if _, err := p.Authenticate(context.Background(), req); kindOf(err) != tt.want {
			t.Errorf("from %s: %s (%v), want %s", tt.ip, kindOf(err), err, tt.want)
		}
	}
}

// A quarantined user stays quarantined however many other names fail,
// even when they overflow the table many times.
func TestPipelineQuarantineSurvivesFlood(t *testing.T) {
	p := pipelineFromYAML(t, `
authInternalUsers:
- {user: victim, pass: victim-pass, permissions: [{action: read}]}
`, authn.QuarantineLimits{PairLimit: 3, Period: time.Minute, MaxTracked: 50})
	ctx := context.Background()
	for i := range 3 {
		_, err := p.Authenticate(ctx, authRequest(authz.ActionRead, "x", "victim", fmt.Sprintf("guess-%d", i)))
		if kindOf(err) != "denied" {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	_, err := p.Authenticate(ctx, authRequest(authz.ActionRead, "x", "victim", "victim-pass"))
	var ae *authn.Error
	if kindOf(err) != "denied" || !asError(err, &ae) || ae.Reason != authn.ReasonQuarantined {
		t.Fatalf("right password after 3 failures: %v, want denied (quarantined)", err)
	}
	for i := range 2000 {
		_, _ = p.Authenticate(ctx, authRequest(authz.ActionRead, "x", fmt.Sprintf("flood-%d", i), "x"))
	}
	if _, err := p.Authenticate(ctx, authRequest(authz.ActionRead, "x", "victim", "victim-pass")); kindOf(err) != "denied" {
		t.Fatalf("right password after the flood: %v, want still quarantined", err)
	}
}

func TestPipelineQuarantinePerAddress(t *testing.T) {
	p := pipelineFromYAML(t, `
authInternalUsers:
- {user: valid, pass: valid-pass, permissions: [{action: read}]}
`, authn.QuarantineLimits{PairLimit: 3, IPLimit: 5, Period: time.Minute, MaxTracked: 100})
	ctx := context.Background()
	for i := range 5 {
		_, _ = p.Authenticate(ctx, authRequest(authz.ActionRead, "x", fmt.Sprintf("guesser-%d", i), "x"))
	}
	_, err := p.Authenticate(ctx, authRequest(authz.ActionRead, "x", "valid", "valid-pass"))
	var ae *authn.Error
	if !asError(err, &ae) || ae.Kind != authn.KindDenied || ae.Reason != authn.ReasonIPQuarantined {
		t.Fatalf("valid user from a quarantined address: %v", err)
	}
	other := authRequest(authz.ActionRead, "x", "valid", "valid-pass")
	other.IP = netip.MustParseAddr("192.0.2.1")
	if _, err := p.Authenticate(ctx, other); err != nil {
		t.Errorf("valid user from another address: %v", err)
	}
}

func asError(err error, target **authn.Error) bool { return errors.As(err, target) }

// A routing-label refusal is one decision: one log line, result forbidden,
// reason "label rule" — not a "granted" line followed by a "forbidden" one.
func TestPipelineLabelRuleIsOneDecision(t *testing.T) {
	var buf bytes.Buffer
	p := pipelineFromYAML(t, `
authInternalUsers:
- {user: labeled, pass: label-pass, permissions: [{action: gateway}], labels: {set: cam}}
`, authn.QuarantineLimits{}, slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for _, tt := range []struct {
		labels []string
		want   string
	}{{[]string{"cam", "x"}, "granted"}, {[]string{"other"}, "forbidden"}, {[]string{"other"}, "forbidden"}, {nil, "granted"}} {
		buf.Reset()
		req := authRequest(authz.ActionGateway, "", "labeled", "label-pass")
		req.Labels = tt.labels
		_, err := p.Authenticate(context.Background(), req)
		if got := kindOf(err); got != tt.want {
			t.Errorf("labels %v: %s (%v), want %s", tt.labels, got, err, tt.want)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 1 {
			t.Errorf("labels %v: %d decision lines, want 1:\n%s", tt.labels, len(lines), buf.String())
			continue
		}
		var e map[string]any
		if err := json.Unmarshal([]byte(lines[0]), &e); err != nil {
			t.Fatal(err)
		}
		wantReason := ""
		if tt.want == "forbidden" {
			wantReason = authn.ReasonLabelRule
		}
		if e["result"] != tt.want || e["reason"] != wantReason || e["user"] != "labeled" {
			t.Errorf("labels %v: logged %v, want result %s reason %q", tt.labels, e, tt.want, wantReason)
		}
	}
}
