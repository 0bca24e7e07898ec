package authn_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// The "any" user grants what its entries name, from the addresses they
// name, and nothing more (issue 12, defect 4 audit; no defect found here —
// the table guards it): a named user gets its own permissions plus any's,
// a wrong password falls back to any's, never to the user's.
func TestAnyUserGrantsWhatItNames(t *testing.T) {
	p := pipelineFromYAML(t, `
authInternalUsers:
- user: any
  permissions: [{action: read, path: cam}]
- user: any
  ips: [127.0.0.1]
  permissions: [{action: api}]
- {user: alice, pass: alice-1, permissions: [{action: publish, path: cam}]}
`, authn.QuarantineLimits{Period: time.Minute, MaxTracked: 10})
	const remote, local = "192.0.2.1", "127.0.0.1"
	for _, tt := range []struct {
		name       string
		action     authz.Action
		path       string
		user, pass string
		ip         string
		want       string
	}{
		{"anonymous read of any's path", authz.ActionRead, "cam", "", "", remote, "granted"},
		{"anonymous read of another path", authz.ActionRead, "other", "", "", remote, "ask"},
		{"anonymous publish", authz.ActionPublish, "cam", "", "", remote, "ask"},
		{"anonymous playback", authz.ActionPlayback, "cam", "", "", remote, "ask"},
		{"anonymous api from elsewhere", authz.ActionAPI, "", "", "", remote, "ask"},
		{"anonymous api from the listed address", authz.ActionAPI, "", "", "", local, "granted"},
		{"anonymous metrics from the listed address", authz.ActionMetrics, "", "", "", local, "ask"},
		{"alice publishes her path", authz.ActionPublish, "cam", "alice", "alice-1", remote, "granted"},
		{"alice publishes another path", authz.ActionPublish, "other", "alice", "alice-1", remote, "forbidden"},
		{"alice reads any's path", authz.ActionRead, "cam", "alice", "alice-1", remote, "granted"},
		{"alice api from elsewhere", authz.ActionAPI, "", "alice", "alice-1", remote, "forbidden"},
		{"wrong password, alice's action", authz.ActionPublish, "cam", "alice", "guess", remote, "denied"},
		{"wrong password, any's action", authz.ActionRead, "cam", "alice", "guess", remote, "granted"},
		{"wrong password, api from elsewhere", authz.ActionAPI, "", "alice", "guess", remote, "denied"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := &authn.Request{Action: tt.action, Path: tt.path, Protocol: authn.ProtocolRTSP, IP: netip.MustParseAddr(tt.ip),
				Credentials: authn.Credentials{User: tt.user, Pass: tt.pass}}
			id, err := p.Authenticate(context.Background(), req)
			if got := kindOf(err); got != tt.want {
				t.Fatalf("%s: %v, want %s", got, err, tt.want)
			}
			if err == nil && tt.pass == "guess" && !id.Anonymous() {
				t.Errorf("a wrong password was granted as %q, want anonymous", id.User)
			}
		})
	}
}
