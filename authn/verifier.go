package authn

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamgate/streamgate/authn/hash"
)

// MinRefusalTime is the least time a refused login attempt takes (README
// "Limits"): with no argon2 users it is the target every refusal is padded
// to, so that an unknown name and a wrong plain password look alike.
const MinRefusalTime = 10 * time.Millisecond

// Verifier runs password verifications. argon2 runs are bounded (a fair
// queue per client address, so a login flood can exhaust neither CPU and
// memory nor other clients' turns), counted, and timed, so that every
// refused login can take as long as a real check. One Verifier lives as
// long as the process; reloads keep it.
type Verifier struct {
	queue   *fairQueue
	metrics *Metrics
	// timing holds recent argon2 durations: the refusal target.
	timing     timing
	calibrated atomic.Bool
	// quarantine, when not nil, is asked again once a verification has
	// its slot: a request may have waited behind a flood for seconds, and
	// if its name or address was quarantined meanwhile it must not cost a
	// run. Set once, by NewVerifier.
	quarantine *Quarantine
	noPadding  bool // tests that refuse thousands of logins
}

// NewVerifier bounds argon2 to concurrency runs at once (0 = GOMAXPROCS).
// q is the quarantine of the Deps the Verifier goes into (nil: none is
// asked again after the wait for a slot).
func NewVerifier(concurrency int, q *Quarantine, m *Metrics) *Verifier {
	if concurrency <= 0 {
		concurrency = runtime.GOMAXPROCS(0)
	}
	return &Verifier{queue: newFairQueue(concurrency, argon2QueuePerAddress, argon2QueueTotal), quarantine: q, metrics: m}
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
	if err := v.queue.acquire(ctx, clientKey(req.IP)); err != nil {
		if errors.Is(err, errQueueFull) {
			v.metrics.argon2QueueFull.Inc()
			return false, &Error{Kind: KindDenied, Reason: ReasonArgon2Busy, transient: true}
		}
		return false, fmt.Errorf("authn: waiting to verify: %w", err)
	}
	defer v.queue.release()
	if q := v.quarantine; q != nil {
		if blocked, scope := q.Blocked(quarantineName(req.Credentials), req.IP); blocked {
			v.metrics.quarantined.WithLabelValues(string(scope)).Inc()
			return false, &Error{Kind: KindDenied, Reason: scope.reason(), transient: true}
		}
	}
	v.metrics.argon2Running.Inc()
	start := time.Now()
	ok := h.Verify(pass)
	d := time.Since(start)
	v.metrics.argon2Running.Dec()
	v.timing.add(d, time.Now())
	v.metrics.argon2Runs.Inc()
	v.metrics.argon2Seconds.Observe(d.Seconds())
	return ok, nil
}

// calibrate times one verification against h (a fake hash with the
// parameters of the configured users), once per process and only while no
// login has been timed, so that refusals are padded to an argon2 check's
// duration before the first real one. It is not a client's verification:
// streamgate_auth_argon2_verifications_total does not count it.
func (v *Verifier) calibrate(h *hash.Argon2) {
	if h == nil || v.calibrated.Load() || v.timing.len() > 0 || !v.calibrated.CompareAndSwap(false, true) {
		return
	}
	go func() {
		start := time.Now()
		h.Verify("calibration")
		v.timing.add(time.Since(start), time.Now())
	}()
}

// refusalTime is how long a refused login must take: the upper decile of
// recent argon2 verifications (whatever refused it — wrong password,
// unknown name, quarantine — takes as long as a check), at least
// MinRefusalTime. The time a check waited for its slot is not part of it:
// under a flood that saturates argon2, a refused check that waited takes
// longer than the target (README "Quarantine and timing").
func (v *Verifier) refusalTime() time.Duration {
	return max(v.timing.upper(time.Now()), MinRefusalTime)
}

// padRefusal waits, without computing anything, until the refusal target
// has passed since start (or ctx ends).
func (v *Verifier) padRefusal(ctx context.Context, start time.Time) {
	d := v.refusalTime() - time.Since(start)
	if d <= 0 || v.noPadding {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// timing keeps the last argon2 durations. The target is
// their upper decile, over the samples of the last timingFresh (the median
// of all of them when none is that recent): a refusal then takes as long as
// nine in ten real checks, and a slow spell stops counting once it is over.
type timing struct {
	mu      sync.Mutex
	samples [32]timingSample
	n       int // samples recorded, capped at len(samples)
	next    int
}

type timingSample struct {
	d  time.Duration
	at time.Time
}

const timingFresh = 5 * time.Minute

func (t *timing) add(d time.Duration, now time.Time) {
	t.mu.Lock()
	t.samples[t.next] = timingSample{d, now}
	t.next = (t.next + 1) % len(t.samples)
	t.n = min(t.n+1, len(t.samples))
	t.mu.Unlock()
}

func (t *timing) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

func (t *timing) upper(now time.Time) time.Duration {
	t.mu.Lock()
	var fresh, all []time.Duration
	for _, s := range t.samples[:t.n] {
		all = append(all, s.d)
		if now.Sub(s.at) < timingFresh {
			fresh = append(fresh, s.d)
		}
	}
	t.mu.Unlock()
	s, tenths := fresh, 9
	if len(s) == 0 {
		s, tenths = all, 5 // stale: their median, not a flood's tail
	}
	if len(s) == 0 {
		return 0
	}
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*tenths/10)]
}
