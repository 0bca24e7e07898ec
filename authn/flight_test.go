package authn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/streamgate/streamgate/authn/hash"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/testharness"
)

// gateBackend grants every name read on every path, once release is
// closed; it signals entered as each decision reaches it and gives up
// when its context ends (as the http backend does).
type gateBackend struct {
	entered chan struct{}
	release chan struct{}
	calls   atomic.Int32
	gaveUp  atomic.Int32
}

func (b *gateBackend) Name() string { return "gate" }

func (b *gateBackend) Authenticate(ctx context.Context, req *Request) (*Identity, error) {
	b.calls.Add(1)
	b.entered <- struct{}{}
	select {
	case <-b.release:
		perm, err := authz.CompilePermission("read", "")
		if err != nil {
			return nil, err
		}
		return &Identity{User: req.Credentials.User, Backend: "gate", Permissions: authz.Permissions{perm}}, nil
	case <-ctx.Done():
		b.gaveUp.Add(1)
		return nil, ctx.Err()
	}
}

// newGatePipeline is a pipeline (decision cache, no quarantine limits)
// whose only backend is a gateBackend, and its metrics.
func newGatePipeline() (*Pipeline, *gateBackend, *Metrics) {
	m := NewMetrics(nil)
	q := NewQuarantine(QuarantineLimits{})
	b := &gateBackend{entered: make(chan struct{}, 2), release: make(chan struct{})}
	p := NewPipeline(PipelineConfig{Backends: []Backend{b}, CacheSize: 16, CacheTTL: time.Minute},
		Deps{Verifier: NewVerifier(1, q, m), Quarantine: q, Metrics: m})
	return p, b, m
}

// Two identical logins share one decision; the first caller's client
// leaving while the decision is under way must not take the second
// caller's answer with it.
func TestSharedDecisionOutlivesLeader(t *testing.T) {
	p, b, m := newGatePipeline()
	req := func() *Request {
		return &Request{Action: authz.ActionRead, Path: "cam", Protocol: ProtocolRTSP,
			IP: netip.MustParseAddr("192.0.2.1"), Credentials: Credentials{User: "alice", Pass: "secret"}}
	}

	leaderCtx, leave := context.WithCancel(context.Background())
	defer leave()
	leader := make(chan error, 1)
	go func() {
		_, err := p.Authenticate(leaderCtx, req())
		leader <- err
	}()
	select {
	case <-b.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the leader's decision never reached the backend")
	}
	type answer struct {
		id  *Identity
		err error
	}
	waiter := make(chan answer, 1)
	go func() {
		id, err := p.Authenticate(context.Background(), req())
		waiter <- answer{id, err}
	}()
	// Both asked the cache and missed: the waiter is joining the flight.
	testharness.WaitFor(t, "the second login to miss the cache", 10*time.Second, func() bool {
		return testutil.ToFloat64(m.cache.WithLabelValues("miss")) == 2
	})

	leave() // the leader's client disconnects mid-decision
	select {
	case err := <-leader:
		if err == nil {
			t.Fatal("the leader whose client left was granted")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the leader did not return once its context ended")
	}
	close(b.release)
	select {
	case a := <-waiter:
		if a.err != nil {
			t.Fatalf("the waiter got the leader's cancellation: %v", a.err)
		}
		if a.id.User != "alice" {
			t.Fatalf("the waiter got identity %q", a.id.User)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter never got an answer")
	}
	if n := b.calls.Load(); n != 1 {
		t.Fatalf("the backend decided %d times, want once for both logins", n)
	}
	if got := testutil.ToFloat64(m.decisions.WithLabelValues("gate", "read", "rtsp", "granted")); got != 1 {
		t.Fatalf("granted decisions recorded: %v, want 1 (the waiter's)", got)
	}
}

// Every caller that shares a decision leaving ends the decision: a flood
// of clients that hang up does not leave work behind them.
func TestSharedDecisionEndsWithItsLastCaller(t *testing.T) {
	p, b, _ := newGatePipeline()
	ctx, leave := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.Authenticate(ctx, &Request{Action: authz.ActionRead, Path: "cam", Protocol: ProtocolRTSP,
			IP: netip.MustParseAddr("192.0.2.1"), Credentials: Credentials{User: "alice", Pass: "secret"}})
		done <- err
	}()
	<-b.entered
	leave()
	if err := <-done; KindOf(err) != KindUnavailable {
		t.Fatalf("caller that left: %v, want unavailable", err)
	}
	// release never closes: only the decision's context ending frees it.
	testharness.WaitFor(t, "the backend to see the decision's context end", 10*time.Second, func() bool { return b.gaveUp.Load() == 1 })
}

// NewPipeline must not change the Verifier it is given: the Verifier
// re-checks the quarantine it was built with, whatever pipelines are built
// with it afterwards (a configuration checked with throw-away deps, a
// test's second pipeline).
func TestNewPipelineLeavesVerifierAlone(t *testing.T) {
	h, err := hash.New("alice-pass", hash.Params{Variant: hash.Argon2id, Time: 1, Memory: 1024, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse("v.yml", []byte(fmt.Sprintf(`
authInternalUsers:
- user: alice
  pass: "argon2:%s"
  permissions:
  - action: read
`, h.String())), nil)
	if err != nil {
		t.Fatal(err)
	}
	limits := QuarantineLimits{IPLimit: 1, Period: time.Minute, MaxTracked: 16}
	m := NewMetrics(nil)
	q := NewQuarantine(limits)
	v := NewVerifier(1, q, m)
	v.noPadding = true
	live := NewPipeline(PipelineConfig{Backends: []Backend{NewInternal(UsersOf(c), v)}},
		Deps{Verifier: v, Quarantine: q, Metrics: m})
	// Another pipeline with the same Verifier and its own quarantine.
	NewPipeline(PipelineConfig{Backends: []Backend{NewInternal(UsersOf(c), v)}},
		Deps{Verifier: v, Quarantine: NewQuarantine(limits), Metrics: m})

	ip := netip.MustParseAddr("192.0.2.7")
	if err := v.queue.acquire(context.Background(), clientKey(netip.MustParseAddr("192.0.2.99"))); err != nil {
		t.Fatal(err) // hold the only argon2 slot
	}
	done := make(chan error, 1)
	go func() {
		_, err := live.Authenticate(context.Background(), &Request{Action: authz.ActionRead, Path: "cam",
			Protocol: ProtocolRTSP, IP: ip, Credentials: Credentials{User: "alice", Pass: "alice-pass"}})
		done <- err
	}()
	testharness.WaitFor(t, "the login to wait for an argon2 slot", 10*time.Second, func() bool { return v.queue.waiters() == 1 })
	q.Fail("", false, ip, 1) // the address is quarantined while the login waits
	v.queue.release()
	err = <-done
	var ae *Error
	if !errors.As(err, &ae) || ae.Reason != ReasonIPQuarantined {
		t.Fatalf("login waiting while its address was quarantined: %v, want refused (%s)", err, ReasonIPQuarantined)
	}
	if n := testutil.ToFloat64(m.argon2Runs); n != 0 {
		t.Fatalf("argon2 ran %v times for a quarantined address", n)
	}
}
