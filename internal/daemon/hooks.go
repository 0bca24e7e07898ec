package daemon

import (
	"net"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/hooks"
	"github.com/streamgate/streamgate/protocols/stream"
)

// hookEvents runs the runOn… hooks of the configuration current at each
// event: it is the hub's stream.Events. runOnInit is run per configured
// path (applyInitHooks). Every call comes after authorization.
type hookEvents struct {
	d      *Daemon
	runner *hooks.Runner

	// port is the bound port of the plain RTSP listener (RTSP_PORT), ""
	// before it started: rtspAddress then (it may say :0).
	port atomic.Pointer[string]

	mu    sync.Mutex
	inits map[string]runningInit // by path name
}

// rtspListening records the bound address of the plain RTSP listener.
func (e *hookEvents) rtspListening(addr string) {
	if _, port, err := net.SplitHostPort(addr); err == nil {
		e.port.Store(&port)
	}
}

// runningInit is a started runOnInit and what it was started from.
type runningInit struct {
	hook hooks.Hook
	proc *hooks.Process
}

// newHookEvents makes the runner, its environment being the process's
// without streamgate's secrets (those of c and the configuration overrides).
func (d *Daemon) newHookEvents(c *config.Conf) *hookEvents {
	return &hookEvents{d: d, inits: map[string]runningInit{}, runner: hooks.NewRunner(hooks.Options{
		Logger:     d.logger.With("component", "hook"),
		Environ:    hooks.FilterEnviron(os.Environ(), secretsOf(c)),
		Registerer: d.registry,
	})}
}

// pathEnv is MediaMTX's path environment: MTX_PATH (and the deprecated
// RTSP_PATH), RTSP_PORT and the regular expression groups G1, G2….
func (e *hookEvents) pathEnv(c *config.Conf, name string, np *config.NamedPath) hooks.Env {
	env := hooks.Env{"MTX_PATH": name, "RTSP_PATH": name, "RTSP_PORT": e.rtspPort(c)}
	if np != nil {
		for i, g := range np.Matcher.Groups(name) {
			env["G"+strconv.Itoa(i+1)] = g
		}
	}
	return env
}

func (e *hookEvents) rtspPort(c *config.Conf) string {
	if p := e.port.Load(); p != nil {
		return *p
	}
	_, port, _ := net.SplitHostPort(c.RTSPAddress)
	return port
}

// pathConf is the configuration of a live path now (a reload may have
// changed its hooks); a path no longer configured has no hooks.
func (e *hookEvents) pathConf(p *stream.Publication) (*config.Conf, *config.NamedPath) {
	c := e.d.conf.Load()
	if np, ok := c.Paths.Find(p.Name); ok {
		return c, np
	}
	return c, &config.NamedPath{Name: p.Conf.ConfName} // no longer configured: no hooks
}

// Ready runs runOnReady while p is published and runOnNotReady after.
func (e *hookEvents) Ready(p *stream.Publication) func() {
	c, np := e.pathConf(p)
	h := np.PathHooks
	if h.RunOnReady == "" && h.RunOnNotReady == "" {
		return nil
	}
	env := e.pathEnv(c, p.Name, np)
	env["MTX_QUERY"] = hooks.QueryVar(p.Source.Query)
	env["MTX_SOURCE_TYPE"] = p.Source.Type
	env["MTX_SOURCE_ID"] = p.Source.ID
	return e.runner.Pair(hooks.Hook{Name: "runOnReady", Command: h.RunOnReady, Restart: h.RunOnReadyRestart},
		hooks.Hook{Name: "runOnNotReady", Command: h.RunOnNotReady}, env)
}

// Read runs runOnRead while r reads p and runOnUnread after.
func (e *hookEvents) Read(p *stream.Publication, r stream.ReaderInfo) func() {
	c, np := e.pathConf(p)
	h := np.PathHooks
	if h.RunOnRead == "" && h.RunOnUnread == "" {
		return nil
	}
	env := e.pathEnv(c, p.Name, np)
	env["MTX_QUERY"] = hooks.QueryVar(r.Query)
	env["MTX_READER_TYPE"] = r.Type
	env["MTX_READER_ID"] = r.ID
	return e.runner.Pair(hooks.Hook{Name: "runOnRead", Command: h.RunOnRead, Restart: h.RunOnReadRestart},
		hooks.Hook{Name: "runOnUnread", Command: h.RunOnUnread}, env)
}

// Connect runs runOnConnect while an authenticated connection lasts and
// runOnDisconnect after.
func (e *hookEvents) Connect(conn stream.ConnInfo) func() {
	c := e.d.conf.Load()
	h := c.GlobalHooks
	if h.RunOnConnect == "" && h.RunOnDisconnect == "" {
		return nil
	}
	env := hooks.Env{"RTSP_PORT": e.rtspPort(c), "MTX_CONN_TYPE": conn.Type, "MTX_CONN_ID": conn.ID}
	return e.runner.Pair(hooks.Hook{Name: "runOnConnect", Command: h.RunOnConnect, Restart: h.RunOnConnectRestart},
		hooks.Hook{Name: "runOnDisconnect", Command: h.RunOnDisconnect}, env)
}

// OnDemand is the handle the on-demand mechanism (sourceOnDemand,
// runOnDemand) uses: it starts the path's runOnDemand with MediaMTX's
// environment (MTX_QUERY of the reader that asked) and returns the
// function that stops it and runs runOnUnDemand. It returns nil when the
// path has no runOnDemand nor runOnUnDemand.
func (e *hookEvents) OnDemand(name, query string) (stop func()) {
	c := e.d.conf.Load()
	np, ok := c.Paths.Find(name)
	if !ok || np.RunOnDemand == "" && np.RunOnUnDemand == "" {
		return nil
	}
	env := e.pathEnv(c, name, np)
	env["MTX_QUERY"] = hooks.QueryVar(query)
	return e.runner.Pair(hooks.Hook{Name: "runOnDemand", Command: np.RunOnDemand, Restart: np.RunOnDemandRestart},
		hooks.Hook{Name: "runOnUnDemand", Command: np.RunOnUnDemand}, env)
}

// applyInitHooks runs runOnInit for every named path of c that has one:
// a hook whose path is gone or whose command changed is stopped (its group
// interrupted), a new one started, an unchanged one left running. Paths
// named by a regular expression (and all_others) have no runOnInit: they
// exist only when asked for (MediaMTX refuses the key there).
func (e *hookEvents) applyInitHooks(c *config.Conf) {
	want := map[string]hooks.Hook{}
	for i := range c.Paths.List {
		np := &c.Paths.List[i]
		if np.RunOnInit == "" || np.Matcher.IsRegexp() {
			continue
		}
		want[np.Name] = hooks.Hook{Name: "runOnInit", Command: np.RunOnInit, Restart: np.RunOnInitRestart}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for name, ri := range e.inits {
		if h, ok := want[name]; !ok || h != ri.hook {
			ri.proc.Stop()
			delete(e.inits, name)
		}
	}
	for name, h := range want {
		if _, ok := e.inits[name]; ok {
			continue
		}
		np, _ := c.Paths.Find(name)
		e.inits[name] = runningInit{hook: h, proc: e.runner.Start(h, e.pathEnv(c, name, np))}
	}
}

// reload applies c: the environment without c's secrets, runOnInit.
func (e *hookEvents) reload(c *config.Conf) {
	e.runner.SetEnviron(hooks.FilterEnviron(os.Environ(), secretsOf(c)))
	e.applyInitHooks(c)
}

// close stops every hook process and waits for them.
func (e *hookEvents) close() {
	e.mu.Lock()
	e.inits = map[string]runningInit{}
	e.mu.Unlock()
	e.runner.Close()
}

// secretsOf collects the configuration's passwords, passphrases and
// secrets (plain values as written), so that a variable of the environment
// holding one (put into the file through ${VAR}) is not given to hooks.
func secretsOf(c *config.Conf) []string {
	var out []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch x := v.Interface().(type) {
		case config.Password:
			out = append(out, x.Raw)
			return
		case config.Secret:
			out = append(out, string(x))
			return
		case string:
			if u, err := url.Parse(x); err == nil && u.User != nil {
				if pass, ok := u.User.Password(); ok {
					out = append(out, pass)
				}
			}
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				walk(it.Value())
			}
		}
	}
	walk(reflect.ValueOf(c).Elem())
	return out
}
