package hooks

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/kballard/go-shellquote"
)

// Process is a started hook: one command, run again after each exit when
// its hook restarts.
type Process struct {
	r    *Runner
	hook Hook
	env  Env

	// oneShot: runOnUnread and the like, not stopped by a trigger.
	oneShot bool
	// lastGroup is the process group of the last run that exited by
	// itself; what is left of it is ended at Stop.
	lastGroup int

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// Stop interrupts the process group (SIGINT, SIGKILL after the grace) and
// stops restarts. It does not wait: Done is closed once the group leader
// has exited.
func (p *Process) Stop() {
	if p == nil {
		return
	}
	p.stopOnce.Do(func() { close(p.stop) })
}

// Done is closed when the process has exited for good.
func (p *Process) Done() <-chan struct{} { return p.done }

// errStopped: the run ended because Stop was called.
var errStopped = errors.New("hooks: stopped")

func (p *Process) run() {
	defer p.r.forget(p)
	defer close(p.done)
	log := p.r.logger.With("hook", p.hook.Name)
	for {
		err := p.once(log)
		if errors.Is(err, errStopped) {
			return
		}
		if err != nil {
			log.Info("hook exited", "error", err)
		} else {
			log.Info("hook exited", "code", 0)
		}
		if !p.hook.Restart {
			if !p.oneShot && p.lastGroup != 0 && syscall.Kill(-p.lastGroup, 0) == nil {
				// Children of the command outlive it: they go when
				// the trigger ends.
				<-p.stop
				p.interrupt(p.lastGroup, nil)
			}
			return
		}
		p.r.metrics.restarts.WithLabelValues(p.hook.Name).Inc()
		t := time.NewTimer(p.r.opts.RestartPause)
		select {
		case <-t.C:
		case <-p.stop:
			t.Stop()
			return
		}
	}
}

// once runs the command one time, to its exit or to Stop.
func (p *Process) once(log interface {
	Info(string, ...any)
	Warn(string, ...any)
}) error {
	select {
	case p.r.slots <- struct{}{}:
	default:
		p.r.metrics.refused.WithLabelValues(p.hook.Name).Inc()
		log.Warn("hook not started: too many hook processes", "max", cap(p.r.slots))
		return fmt.Errorf("hooks: %d processes running already", cap(p.r.slots))
	}
	defer func() { <-p.r.slots }()
	environ := p.r.environNow()
	argv, err := Args(p.hook.Command, p.env, environ)
	if err != nil {
		return err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = Environ(environ, p.env)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	// Our copies of the write ends: the readers see EOF once every process
	// of the group holding them has exited.
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return err
	}
	p.r.metrics.started.WithLabelValues(p.hook.Name).Inc()
	p.r.metrics.running.Inc()
	defer p.r.metrics.running.Dec()
	log.Info("hook started", "pid", cmd.Process.Pid)
	go logLines(p.r.logger, p.hook.Name, "stdout", outR)
	go logLines(p.r.logger, p.hook.Name, "stderr", errR)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		p.lastGroup = cmd.Process.Pid
		return err
	case <-p.stop:
	}
	p.interrupt(cmd.Process.Pid, exited)
	log.Info("hook stopped")
	return errStopped
}

// interrupt ends the group pgid: SIGINT to every process in it, SIGKILL
// to what is left after the grace. exited, when not nil, reports the
// leader's exit; it is waited for.
func (p *Process) interrupt(pgid int, exited <-chan error) {
	if syscall.Kill(-pgid, syscall.SIGINT) != nil {
		return // the group is gone
	}
	deadline := time.Now().Add(p.r.opts.Grace)
	if exited != nil {
		grace := time.NewTimer(p.r.opts.Grace)
		select {
		case <-exited:
			grace.Stop()
		case <-grace.C:
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-exited
			return
		}
	}
	// The leader is gone; what remains of its group (a child that ignores
	// SIGINT, as a background job of sh does) is killed at the deadline.
	for time.Now().Before(deadline) {
		if syscall.Kill(-pgid, 0) != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// Args splits a command line as MediaMTX does: shell-quoting rules (no
// shell runs: no pipes, redirections or ;), then $VAR and ${VAR} expanded in
// each argument from env, else from environ (the filtered environment — a
// secret left out of it cannot be expanded into a command line either).
func Args(command string, env Env, environ []string) ([]string, error) {
	parts, err := shellquote.Split(command)
	if err != nil {
		return nil, fmt.Errorf("hooks: command line: %w", err)
	}
	if len(parts) == 0 {
		return nil, errors.New("hooks: empty command line")
	}
	for i, part := range parts {
		parts[i] = os.Expand(part, func(name string) string {
			if v, ok := env[name]; ok {
				return v
			}
			return lookup(environ, name)
		})
	}
	return parts, nil
}

func lookup(environ []string, name string) string {
	for i := len(environ) - 1; i >= 0; i-- {
		if k, v, ok := cut(environ[i]); ok && k == name {
			return v
		}
	}
	return ""
}
