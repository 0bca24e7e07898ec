package authn

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamgate/streamgate/authn/hash"
)

// Verifier runs password verifications. argon2 runs are bounded (a
// semaphore, so a login flood cannot exhaust CPU and memory), counted, and
// timed, so that quarantined answers can take as long as a real check.
// One Verifier lives as long as the process; reloads keep it.
type Verifier struct {
	sem     chan struct{}
	metrics *Metrics
	timing  timing // recent argon2 durations, for Delay
	// quarantine, when set, is asked again once a verification has its
	// slot: a request may have waited behind a flood for seconds, and if
	// its name or address was quarantined meanwhile it must not cost a run.
	quarantine atomic.Pointer[Quarantine]
}

// NewVerifier bounds argon2 to concurrency runs at once (0 = GOMAXPROCS).
func NewVerifier(concurrency int, m *Metrics) *Verifier {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	return &Verifier{sem: make(chan struct{}, concurrency), metrics: m}
}

// VerifyPass checks the request's password — or its Digest answer — against
// the configured secret s. A Digest answer can be checked against a plain
// password only: against a hash it fails.
func (v *Verifier) VerifyPass(ctx context.Context, req *Request, s *hash.Secret) (bool, error) {
	if d := req.Credentials.Digest; d != nil {
		return s.Kind == hash.KindPlain && !s.IsZero() && d.Check(s.Plain()), nil
	}
	return v.Verify(ctx, req, s, req.Credentials.Pass)
}

// Verify checks pass against s for req.
func (v *Verifier) Verify(ctx context.Context, req *Request, s *hash.Secret, pass string) (bool, error) {
	if s.Kind != hash.KindArgon2 {
		return s.Verify(pass), nil
	}
	return v.argon2(ctx, req, s.Argon2, pass)
}

func (v *Verifier) argon2(ctx context.Context, req *Request, h *hash.Argon2, pass string) (bool, error) {
	select {
	case v.sem <- struct{}{}:
	case <-ctx.Done():
		return false, fmt.Errorf("authn: waiting to verify: %w", ctx.Err())
	}
	if q := v.quarantine.Load(); q != nil {
		if blocked, scope := q.Blocked(quarantineName(req.Credentials), req.IP); blocked {
			<-v.sem
			v.metrics.quarantined.WithLabelValues(scope).Inc()
			if !req.hashed { // once per request, as long as the pipeline's quarantined answer
				v.Delay(ctx)
			}
			req.hashed = true // no fake run either
			reason := ReasonQuarantined
			if scope == "ip" {
				reason = ReasonIPQuarantined
			}
			return false, denied(reason)
		}
	}
	defer func() { <-v.sem }()
	req.hashed = true
	start := time.Now()
	ok := h.Verify(pass)
	d := time.Since(start)
	v.metrics.argon2Runs.Inc()
	v.metrics.argon2Seconds.Observe(d.Seconds())
	v.timing.add(d)
	return ok, nil
}

// useQuarantine makes verifications re-check q after waiting for a slot.
// Pipelines set it; q is the Deps' quarantine, shared across reloads.
func (v *Verifier) useQuarantine(q *Quarantine) { v.quarantine.Store(q) }

// Fake verifies pass against a fake hash, for an unknown user, so the answer
// takes as long as a wrong password would.
func (v *Verifier) Fake(ctx context.Context, req *Request, h *hash.Argon2, pass string) {
	if h == nil || req.hashed {
		return
	}
	_, _ = v.argon2(ctx, req, h, pass)
}

// Delay waits about as long as an argon2 verification takes, without doing
// one: a quarantined answer costs the attacker time but the server no CPU.
func (v *Verifier) Delay(ctx context.Context) {
	d := v.timing.median()
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// timing keeps the last few argon2 durations. Delay uses their median: a
// moving average is dragged up by the slow first (cold) run and by outliers,
// which made quarantined answers measurably slower than real ones.
type timing struct {
	mu      sync.Mutex
	samples [16]time.Duration
	n       int // samples recorded, capped at len(samples)
	next    int
}

func (t *timing) add(d time.Duration) {
	t.mu.Lock()
	t.samples[t.next] = d
	t.next = (t.next + 1) % len(t.samples)
	t.n = min(t.n+1, len(t.samples))
	t.mu.Unlock()
}

func (t *timing) median() time.Duration {
	t.mu.Lock()
	s := append([]time.Duration(nil), t.samples[:t.n]...)
	t.mu.Unlock()
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	return s[len(s)/2]
}
