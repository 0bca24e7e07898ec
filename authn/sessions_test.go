package authn_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// A reload swaps the pipeline; live sessions are asked again through the
// new one: the session whose password changed ends, the others stay. Three
// sessions refused at once do not quarantine their user name (re-checks are
// no login attempts), and a quarantined name does not end a session.
func TestSessionsRecheck(t *testing.T) {
	limits := authn.QuarantineLimits{PairLimit: 2, Period: time.Minute, MaxTracked: 50}
	before := pipelineFromYAML(t, `
authInternalUsers:
- {user: alice, pass: alice-1, permissions: [{action: read}]}
- {user: bob, pass: bob-1, permissions: [{action: read}]}
`, limits)
	sessions := authn.NewSessions(nil)
	ctx := context.Background()
	ended := make(chan string, 10)
	open := func(user, pass string) func() {
		req := authRequest(authz.ActionRead, "cam", user, pass)
		id, err := before.Authenticate(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		return id.Bind(sessions, req).OnEnd(func(reason string) { ended <- user + ": " + reason })
	}
	for range 3 {
		open("alice", "alice-1")
	}
	open("bob", "bob-1")
	cancelled := open("bob", "bob-1")
	cancelled()
	if n := sessions.Len(); n != 4 {
		t.Fatalf("%d live sessions, want 4 (one was cancelled)", n)
	}

	after := pipelineFromYAML(t, `
authInternalUsers:
- {user: alice, pass: alice-2, permissions: [{action: read}]}
- {user: bob, pass: bob-1, permissions: [{action: read}]}
`, limits)
	checked, n := sessions.Recheck(ctx, after.Authenticate)
	if checked != 4 || n != 3 {
		t.Fatalf("Recheck: %d checked, %d ended; want 4 and 3", checked, n)
	}
	for range 3 {
		select {
		case got := <-ended:
			if got != "alice: "+authn.ReasonRevoked {
				t.Errorf("ended %q, want alice's sessions", got)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("a refused session was not ended")
		}
	}
	if sessions.Len() != 1 {
		t.Errorf("%d live sessions after the re-check, want bob's 1", sessions.Len())
	}
	// Three refusals of alice were re-checks: her new password logs in.
	if _, err := after.Authenticate(ctx, authRequest(authz.ActionRead, "cam", "alice", "alice-2")); err != nil {
		t.Errorf("alice with her new password after the re-check: %v (quarantined by re-checks?)", err)
	}
	// Quarantine bob's name by guessing; his live session survives a re-check.
	for range 2 {
		_, _ = after.Authenticate(ctx, authRequest(authz.ActionRead, "cam", "bob", "guess"))
	}
	if _, n := sessions.Recheck(ctx, after.Authenticate); n != 0 {
		t.Errorf("a quarantined name ended %d live sessions", n)
	}
	select {
	case got := <-ended:
		t.Errorf("unexpected end: %s", got)
	default:
	}
}

// An identity that expires ends with the expiry reason; cancel stops it.
func TestIdentityOnEndExpiry(t *testing.T) {
	id := &authn.Identity{User: "x", Expires: time.Now().Add(50 * time.Millisecond)}
	got := make(chan string, 1)
	id.OnEnd(func(reason string) { got <- reason })
	select {
	case r := <-got:
		if r != "credentials expired" {
			t.Errorf("reason %q", r)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("no end at expiry")
	}
	id2 := &authn.Identity{User: "x", Expires: time.Now().Add(50 * time.Millisecond)}
	cancel := id2.OnEnd(func(string) { t.Error("cancelled end ran") })
	cancel()
	time.Sleep(100 * time.Millisecond)
}
