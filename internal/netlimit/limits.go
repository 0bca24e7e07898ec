// Package netlimit is what every streamgate listener puts between the kernel
// and its protocol: an accept loop that survives descriptor exhaustion (it
// backs off and keeps accepting, as net/http does), the process-wide and
// per-address connection limits, and the "listener down" state /ready
// reports.
package netlimit

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reason says which limit refused a connection (the reason label of
// streamgate_connections_refused_total).
type Reason string

const (
	// ReasonMaxConnections: the process holds maxConnections connections.
	ReasonMaxConnections Reason = "max_connections"
	// ReasonMaxConnectionsPerIP: the client's address holds
	// maxConnectionsPerIP connections.
	ReasonMaxConnectionsPerIP Reason = "max_connections_per_ip"
)

// BusyError is the refusal of a connection over a limit.
type BusyError struct{ Reason Reason }

func (e *BusyError) Error() string {
	return fmt.Sprintf("netlimit: too many connections (%s)", e.Reason)
}

// downFor is how long after its last accept failure a listener counts as
// down when no accept has succeeded since: twice the longest back-off, so
// that a listener still failing never looks up, and one whose failures have
// stopped (no client is waiting) is up again soon.
const downFor = 2 * maxBackoff

// Limits counts the connections of the whole process: every listener of a
// daemon shares one. A nil *Limits counts nothing and refuses nothing.
type Limits struct {
	metrics *metrics
	logger  *slog.Logger
	now     func() time.Time

	mu    sync.Mutex
	max   int // 0: no limit
	perIP int // 0: no limit
	total int
	byIP  map[netip.Addr]int
	// accept holds, per listener, its accept failures.
	accept map[string]*acceptState
}

type acceptState struct {
	lastFail, lastOK time.Time
	lastLog          time.Time
	err              error
}

// New returns the limits of one process, registering its metrics on reg
// (nil: not registered).
func New(reg prometheus.Registerer, logger *slog.Logger) *Limits {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Limits{metrics: newMetrics(reg), logger: logger, now: time.Now,
		byIP: map[netip.Addr]int{}, accept: map[string]*acceptState{}}
}

// Set changes the limits (a reload): max connections in the process and per
// client address, 0 for none. Connections already open stay open.
func (l *Limits) Set(max, perIP int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.max, l.perIP = max, perIP
	l.mu.Unlock()
}

// Acquire counts one more connection of listener from ip, or refuses it
// with a *BusyError (counted in streamgate_connections_refused_total). The
// returned release, safe to call more than once, uncounts it.
func (l *Limits) Acquire(listener string, ip netip.Addr) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	ip = ip.Unmap()
	l.mu.Lock()
	var reason Reason
	switch {
	case l.max > 0 && l.total >= l.max:
		reason = ReasonMaxConnections
	case l.perIP > 0 && l.byIP[ip] >= l.perIP:
		reason = ReasonMaxConnectionsPerIP
	}
	if reason != "" {
		l.mu.Unlock()
		l.metrics.refused.WithLabelValues(listener, string(reason)).Inc()
		return nil, &BusyError{Reason: reason}
	}
	l.total++
	l.byIP[ip]++
	l.mu.Unlock()
	open := l.metrics.open.WithLabelValues(listener)
	open.Inc()
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.total--
			if l.byIP[ip]--; l.byIP[ip] <= 0 {
				delete(l.byIP, ip)
			}
			l.mu.Unlock()
			open.Dec()
		})
	}, nil
}

// Open is the number of connections counted now.
func (l *Limits) Open() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// Down names the listeners whose accept is failing now (out of
// descriptors, …), sorted; empty when every listener accepts.
func (l *Limits) Down() []string {
	if l == nil {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for name, st := range l.accept {
		if st.down(now) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (st *acceptState) down(now time.Time) bool {
	return st.lastFail.After(st.lastOK) && now.Sub(st.lastFail) < downFor
}

// logEvery bounds how often a listener whose accept keeps failing logs it.
const logEvery = 10 * time.Second

// acceptFailed records a failed accept of listener, retried after delay:
// logged at warn when the listener goes down, then at most every logEvery.
func (l *Limits) acceptFailed(listener string, err error, delay time.Duration) {
	if l == nil {
		return
	}
	l.metrics.acceptErrors.WithLabelValues(listener).Inc()
	now := l.now()
	l.mu.Lock()
	st := l.state(listener)
	wasDown := st.down(now)
	st.lastFail, st.err = now, err
	logIt := !wasDown || now.Sub(st.lastLog) >= logEvery
	if logIt {
		st.lastLog = now
	}
	l.mu.Unlock()
	l.metrics.accepting.WithLabelValues(listener).Set(0)
	if logIt {
		l.logger.Warn("listener cannot accept connections; retrying", "listener", listener, "error", err,
			"retry_in", delay.String())
	}
}

// acceptOK records an accepted connection; a listener that was down is
// logged as accepting again.
func (l *Limits) acceptOK(listener string, failed bool) {
	if l == nil {
		return
	}
	now := l.now()
	l.mu.Lock()
	st := l.state(listener)
	st.lastOK = now
	l.mu.Unlock()
	if failed {
		l.metrics.accepting.WithLabelValues(listener).Set(1)
		l.logger.Info("listener accepting connections again", "listener", listener)
	}
}

// started marks listener as accepting.
func (l *Limits) started(listener string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.state(listener).lastOK = l.now()
	l.mu.Unlock()
	l.metrics.listener(listener)
	l.metrics.accepting.WithLabelValues(listener).Set(1)
}

func (l *Limits) state(listener string) *acceptState {
	st := l.accept[listener]
	if st == nil {
		st = &acceptState{}
		l.accept[listener] = st
	}
	return st
}

// MarkDown records that listener stopped for good (its server failed):
// /ready stays 503 until it is started again.
func (l *Limits) MarkDown(listener string, err error) {
	if l == nil {
		return
	}
	l.mu.Lock()
	st := l.state(listener)
	st.lastFail, st.lastOK, st.err = farFuture, time.Time{}, err
	l.mu.Unlock()
	l.metrics.accepting.WithLabelValues(listener).Set(0)
}

// farFuture keeps a listener marked by MarkDown down.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// Forget drops listener's state (it was closed on purpose).
func (l *Limits) Forget(listener string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	delete(l.accept, listener)
	l.mu.Unlock()
	l.metrics.accepting.DeleteLabelValues(listener)
}
