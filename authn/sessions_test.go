package authn_test

import (
	"context"
	"errors"
	"sync"
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
	// A cancelled end does not run: checked once a later one has run (a
	// timer fires no earlier than one set before it for sooner).
	at := time.Now().Add(50 * time.Millisecond)
	id2 := &authn.Identity{User: "x", Expires: at}
	ran := make(chan struct{}, 1)
	cancel := id2.OnEnd(func(string) { ran <- struct{}{} })
	cancel()
	later := make(chan string, 1)
	(&authn.Identity{User: "y", Expires: at.Add(200 * time.Millisecond)}).OnEnd(func(r string) { later <- r })
	select {
	case <-later:
	case <-time.After(5 * time.Second):
		t.Fatal("no end at expiry of the later identity")
	}
	select {
	case <-ran:
		t.Error("cancelled end ran")
	default:
	}
}

// openSessions registers n live sessions of user (no pipeline needed: the
// re-check's auth is the test's); ended receives "user: reason".
func openSessions(s *authn.Sessions, n int, user string, ended chan<- string) {
	for range n {
		req := authRequest(authz.ActionRead, "cam", user, "pw")
		id := (&authn.Identity{User: user}).Bind(s, req)
		id.OnEnd(func(reason string) { ended <- user + ": " + reason })
	}
}

// Re-checks run in parallel (issue 12, defect 15): with a verifier that
// answers only once several re-checks wait at the same time, 300 sessions
// are all kept within the budget. One at a time, the first would wait for
// the budget's end and every session would go unanswered.
func TestSessionsRecheckInParallel(t *testing.T) {
	const sessions, together = 300, 4
	s := authn.NewSessions(nil)
	ended := make(chan string, sessions)
	openSessions(s, sessions, "argon", ended)
	var mu sync.Mutex
	waiting, served := 0, 0
	open := make(chan struct{})
	var opened sync.Once
	slow := func(ctx context.Context, _ *authn.Request) (*authn.Identity, error) {
		mu.Lock()
		if waiting++; waiting == together {
			opened.Do(func() { close(open) }) // this many waited at the same time
		}
		mu.Unlock()
		defer func() { mu.Lock(); waiting--; mu.Unlock() }()
		select {
		case <-open:
			mu.Lock()
			served++
			mu.Unlock()
			return &authn.Identity{User: "argon"}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	checked, n := s.Recheck(ctx, slow)
	if checked != sessions || n != 0 || served != sessions {
		t.Fatalf("Recheck: %d checked, %d ended, %d answered; want %d, 0, %d (re-checked one at a time?)",
			checked, n, served, sessions, sessions)
	}
	if s.Pending() != 0 {
		t.Errorf("%d sessions pending after a re-check that answered for all", s.Pending())
	}
}

// A session that could not be re-checked (a backend unavailable, the
// budget over) is kept once and asked again; if that attempt cannot
// answer either, it ends. One that answers on the retry stays, and a
// session that was re-checked is not asked by RecheckPending.
func TestSessionsUncheckedEndAfterOneMoreAttempt(t *testing.T) {
	s := authn.NewSessions(nil)
	ended := make(chan string, 10)
	openSessions(s, 1, "alice", ended)
	openSessions(s, 1, "bob", ended)
	openSessions(s, 1, "carol", ended)
	down := errors.New("etcd unavailable")
	var mu sync.Mutex
	asked := map[string]int{}
	recovered := map[string]bool{}
	auth := func(ctx context.Context, req *authn.Request) (*authn.Identity, error) {
		if err := ctx.Err(); err != nil {
			return nil, err // as the pipeline answers once its budget is over
		}
		mu.Lock()
		defer mu.Unlock()
		u := req.Credentials.User
		asked[u]++
		if u == "alice" || recovered[u] {
			return &authn.Identity{User: u}, nil
		}
		return nil, down
	}
	ctx := context.Background()
	if checked, n := s.Recheck(ctx, auth); checked != 3 || n != 0 || s.Pending() != 2 {
		t.Fatalf("first Recheck: %d checked, %d ended, %d pending; want 3, 0, 2 (bob, carol kept once)", checked, n, s.Pending())
	}
	mu.Lock()
	recovered["carol"] = true
	mu.Unlock()
	if checked, n := s.RecheckPending(ctx, auth); checked != 2 || n != 1 {
		t.Fatalf("RecheckPending: %d checked, %d ended; want 2 and 1 (bob)", checked, n)
	}
	select {
	case got := <-ended:
		if got != "bob: "+authn.ReasonUnchecked {
			t.Errorf("ended %q, want bob: %s", got, authn.ReasonUnchecked)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the session that could not be re-checked twice was not ended")
	}
	if s.Len() != 2 || s.Pending() != 0 || asked["alice"] != 1 {
		t.Errorf("%d live, %d pending, alice asked %d times; want 2, 0, 1", s.Len(), s.Pending(), asked["alice"])
	}
	// The budget running out counts as unavailable: with it over, a first
	// re-check marks both sessions pending, a second ends both.
	expired, cancel := context.WithCancel(ctx)
	cancel()
	s.Recheck(expired, auth)
	if _, n := s.Recheck(expired, auth); n != 2 || s.Len() != 0 {
		t.Errorf("two re-checks out of budget ended %d, %d live; want 2 and 0", n, s.Len())
	}
}
