// Package hooks runs MediaMTX's runOn… commands: a command line split as
// MediaMTX splits it (no shell: shell-quoting rules, then $VAR expanded in
// each argument from the hook's environment), started in its own process
// group, its output logged line by line, the whole group interrupted
// (SIGINT, then SIGKILL after a grace) when what started it ends, and
// restarted after a pause when asked to. The environment is the daemon's
// own without its secrets (FilterEnviron) plus MediaMTX's variables, with
// the credentials taken out of MTX_QUERY (FilterQuery).
//
// The package knows nothing of the configuration: internal/daemon maps the
// runOn… keys onto Hook values and calls Runner.
package hooks

import (
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options.
const (
	// DefaultMaxProcesses bounds the hook processes running at once; a hook
	// past it is not started (logged, counted in
	// streamgate_hooks_refused_total).
	DefaultMaxProcesses = 256
	// DefaultGrace is how long a process group has between SIGINT and
	// SIGKILL.
	DefaultGrace = 5 * time.Second
	// DefaultRestartPause is the pause before a …Restart hook runs again
	// (MediaMTX: 5 s).
	DefaultRestartPause = 5 * time.Second
	// MaxLineLength bounds one logged line of a hook's output; the rest of a
	// longer line is dropped.
	MaxLineLength = 4096
)

// Options configure a Runner.
type Options struct {
	// Logger receives the hooks' output and life-cycle lines.
	Logger *slog.Logger
	// Environ is the environment every hook starts from, normally
	// FilterEnviron(os.Environ(), secrets).
	Environ []string
	// MaxProcesses bounds the processes running at once (0: DefaultMaxProcesses).
	MaxProcesses int
	// Grace is the time between SIGINT and SIGKILL (0: DefaultGrace).
	Grace time.Duration
	// RestartPause is the pause before a restart (0: DefaultRestartPause).
	RestartPause time.Duration
	// Registerer receives the metrics (nil: not registered).
	Registerer prometheus.Registerer
}

// Hook is one configured command.
type Hook struct {
	// Name is the configuration key (runOnRead…), for logs and metrics.
	Name string
	// Command is the command line; empty: nothing runs.
	Command string
	// Restart runs the command again, after a pause, when it exits.
	Restart bool
}

// Env is the variables a hook gets on top of Options.Environ.
type Env map[string]string

// Runner starts hook processes and stops them.
type Runner struct {
	opts    Options
	logger  *slog.Logger
	metrics *metrics
	slots   chan struct{}

	mu      sync.Mutex
	environ []string
	live    map[*Process]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// NewRunner makes a runner.
func NewRunner(o Options) *Runner {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxProcesses <= 0 {
		o.MaxProcesses = DefaultMaxProcesses
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.RestartPause <= 0 {
		o.RestartPause = DefaultRestartPause
	}
	return &Runner{opts: o, logger: o.Logger, metrics: newMetrics(o.Registerer), environ: o.Environ,
		slots: make(chan struct{}, o.MaxProcesses), live: map[*Process]struct{}{}}
}

// SetEnviron replaces Options.Environ for the processes started from now
// on (a reload changed the secrets to leave out).
func (r *Runner) SetEnviron(environ []string) {
	r.mu.Lock()
	r.environ = environ
	r.mu.Unlock()
}

func (r *Runner) environNow() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.environ
}

// Start runs h with env until Stop (restarting it after each exit when
// h.Restart). It returns nil when h has no command or the runner is
// closed; Stop on nil does nothing.
func (r *Runner) Start(h Hook, env Env) *Process { return r.start(h, env, false) }

// Run runs h once with env (no restart), to its end: a hook that follows
// an event (runOnUnread, runOnNotReady, runOnDisconnect, runOnUnDemand).
// Close interrupts it.
func (r *Runner) Run(h Hook, env Env) {
	h.Restart = false
	r.start(h, env, true)
}

func (r *Runner) start(h Hook, env Env, oneShot bool) *Process {
	if h.Command == "" {
		return nil
	}
	p := &Process{r: r, hook: h, env: env, oneShot: oneShot, stop: make(chan struct{}), done: make(chan struct{})}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.live[p] = struct{}{}
	r.wg.Add(1)
	r.mu.Unlock()
	go p.run()
	return p
}

// Pair starts on now and returns the function that ends it: on is stopped
// (its group interrupted) and off runs once, to its end (the
// runOnRead/runOnUnread, runOnReady/runOnNotReady, runOnConnect/
// runOnDisconnect pattern). The returned function may be called more than
// once; only the first call counts.
func (r *Runner) Pair(on, off Hook, env Env) (end func()) {
	if on.Command == "" && off.Command == "" {
		return func() {}
	}
	p := r.Start(on, env)
	var once sync.Once
	return func() {
		once.Do(func() {
			p.Stop()
			r.Run(off, env)
		})
	}
}

// Close stops every process and waits until each has exited (Grace bounds
// how long each may take). Nothing starts afterwards.
func (r *Runner) Close() {
	r.mu.Lock()
	r.closed = true
	all := make([]*Process, 0, len(r.live))
	for p := range r.live {
		all = append(all, p)
	}
	r.mu.Unlock()
	for _, p := range all {
		p.Stop()
	}
	r.wg.Wait()
}

// Running is the number of hook processes running now.
func (r *Runner) Running() int { return len(r.slots) }

func (r *Runner) forget(p *Process) {
	r.mu.Lock()
	delete(r.live, p)
	r.mu.Unlock()
	r.wg.Done()
}
