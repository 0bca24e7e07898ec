package authn

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Sessions are the live sessions of every listener — a reader or publisher
// connected over RTSP, RTMP, SRT or WebRTC — with the request each was
// authenticated with, so that after a reload or a change in a user store
// each can be asked again: a session whose identity is no longer allowed
// (user removed, password changed, permission narrowed) ends, every other
// one is untouched. Listeners do not use Sessions directly: they call
// Identity.OnEnd on an identity bound to it (Identity.Bind).
type Sessions struct {
	mu   sync.Mutex
	live map[*liveSession]struct{}

	gauge    prometheus.Gauge
	rechecks *prometheus.CounterVec
}

type liveSession struct {
	req  Request
	end  func(reason string)
	once sync.Once
	// missed: the last re-check could not answer (a backend unavailable,
	// the budget over). One more such answer ends the session.
	missed atomic.Bool
}

// RecheckConcurrency bounds how many live sessions are asked again at once
// after a reload or a user store change. argon2 runs among them are bounded
// further by authArgon2Concurrency (Verifier).
const RecheckConcurrency = 16

// NewSessions makes an empty registry; reg may be nil.
func NewSessions(reg prometheus.Registerer) *Sessions {
	s := &Sessions{live: map[*liveSession]struct{}{}}
	s.gauge, s.rechecks = newSessionMetrics(reg)
	return s
}

func (s *Sessions) add(req Request, end func(string)) func() {
	ls := &liveSession{req: req, end: end}
	ls.req.recheck = true
	s.mu.Lock()
	s.live[ls] = struct{}{}
	s.gauge.Set(float64(len(s.live)))
	s.mu.Unlock()
	return func() { s.remove(ls) }
}

func (s *Sessions) remove(ls *liveSession) {
	s.mu.Lock()
	delete(s.live, ls)
	s.gauge.Set(float64(len(s.live)))
	s.mu.Unlock()
}

// Len is the number of live sessions.
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live)
}

// Recheck authenticates every live session again with auth (the current
// pipeline), RecheckConcurrency at a time, and ends those that are
// refused. A session that cannot be asked — a backend unavailable
// (KindUnavailable), or ctx over before its turn — is kept once and marked
// pending: the next re-check that cannot answer for it either (Recheck or
// RecheckPending) ends it, so a session that could not be re-checked does not
// outlive one more attempt. Re-checks neither count towards nor are stopped
// by the quarantine. It returns how many sessions it checked and ended.
func (s *Sessions) Recheck(ctx context.Context, auth func(context.Context, *Request) (*Identity, error)) (checked, ended int) {
	return s.recheck(ctx, auth, func(*liveSession) bool { return true })
}

// RecheckPending is Recheck for the sessions whose last re-check could not
// answer (Pending): each is kept if allowed, ended if refused or if it
// cannot be asked again.
func (s *Sessions) RecheckPending(ctx context.Context, auth func(context.Context, *Request) (*Identity, error)) (checked, ended int) {
	return s.recheck(ctx, auth, func(ls *liveSession) bool { return ls.missed.Load() })
}

// Pending is the number of live sessions whose last re-check could not
// answer; they are ended if the next one cannot either.
func (s *Sessions) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for ls := range s.live {
		if ls.missed.Load() {
			n++
		}
	}
	return n
}

func (s *Sessions) recheck(ctx context.Context, auth func(context.Context, *Request) (*Identity, error), which func(*liveSession) bool) (checked, ended int) {
	s.mu.Lock()
	all := make([]*liveSession, 0, len(s.live))
	for ls := range s.live {
		if which(ls) {
			all = append(all, ls)
		}
	}
	s.mu.Unlock()
	var nEnded atomic.Int64
	var wg sync.WaitGroup
	slots := make(chan struct{}, RecheckConcurrency)
	for _, ls := range all {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			// The budget is over: this session could not be asked.
			if s.settle(ls, ctx.Err()) {
				nEnded.Add(1)
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			req := ls.req
			_, err := auth(ctx, &req)
			if s.settle(ls, err) {
				nEnded.Add(1)
			}
		}()
	}
	wg.Wait()
	return len(all), int(nEnded.Load())
}

// settle applies one re-check's answer to ls; it reports whether ls ended.
func (s *Sessions) settle(ls *liveSession, err error) bool {
	reason := ReasonRevoked
	switch {
	case err == nil:
		ls.missed.Store(false)
		s.rechecks.WithLabelValues("kept").Inc()
		return false
	case KindOf(err) == KindUnavailable:
		if !ls.missed.Swap(true) {
			s.rechecks.WithLabelValues("unavailable").Inc()
			return false
		}
		reason = ReasonUnchecked
		s.rechecks.WithLabelValues("unchecked").Inc()
	default:
		s.rechecks.WithLabelValues("ended").Inc()
	}
	s.remove(ls)
	ls.once.Do(func() { go ls.end(reason) })
	return true
}

// ReasonRevoked is why a session ends when a re-check refuses it.
const ReasonRevoked = "credentials no longer allowed"

// ReasonUnchecked is why a session ends when two re-checks in a row could
// not answer for it.
const ReasonUnchecked = "credentials could not be re-checked"

// reasonExpired is why a session ends when its identity expires.
const reasonExpired = "credentials expired"

// Bind returns a copy of id tied to the session that req opened: OnEnd on
// it also registers the session with s for re-checks. s nil: no re-checks.
func (id *Identity) Bind(s *Sessions, req *Request) *Identity {
	if id == nil || s == nil {
		return id
	}
	c := *id
	c.sessions, c.req = s, *req
	return &c
}

// OnEnd calls fn once when the identity ends — its expiry (a JWT's exp) or,
// for an identity bound to Sessions, a re-check that refuses it — and
// returns a function that cancels the call. Listeners use it to disconnect a
// live session; fn gets the reason for the log.
func (id *Identity) OnEnd(fn func(reason string)) (cancel func()) {
	if id == nil {
		return func() {}
	}
	var once sync.Once
	end := func(reason string) { once.Do(func() { fn(reason) }) }
	var stops []func()
	if !id.Expires.IsZero() {
		t := time.AfterFunc(time.Until(id.Expires), func() { end(reasonExpired) })
		stops = append(stops, func() { t.Stop() })
	}
	if id.sessions != nil {
		stops = append(stops, id.sessions.add(id.req, end))
	}
	return func() {
		for _, stop := range stops {
			stop()
		}
	}
}
