package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"sync"

	"github.com/streamgate/streamgate/config"
)

// LogOutputs are the writers behind the log destinations; the zero value
// is the process's own (standard output, the local syslog daemon).
type LogOutputs struct {
	// Stdout is the stdout destination (nil: os.Stdout).
	Stdout io.Writer
	// SyslogNetwork and SyslogAddr reach the syslog daemon ("", "": the
	// local one, /dev/log), for log/syslog.Dial.
	SyslogNetwork, SyslogAddr string
}

// OpenLogger builds the process logger from logLevel, logFormat (or
// logStructured) and logDestinations: one record goes to every
// destination. Close releases the file and the syslog connection.
func OpenLogger(c *config.Conf, o LogOutputs) (*slog.Logger, io.Closer, error) {
	var handlers []slog.Handler
	var closers multiCloser
	for _, dest := range c.LogDestinations {
		switch dest {
		case config.LogToStdout:
			w := o.Stdout
			if w == nil {
				w = os.Stdout
			}
			handlers = append(handlers, logHandler(c, w, false))
		case config.LogToFile:
			f, err := os.OpenFile(c.LogFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				closers.Close()
				return nil, nil, fmt.Errorf("logFile: %w", err)
			}
			closers = append(closers, f)
			handlers = append(handlers, logHandler(c, f, false))
		case config.LogToSyslog:
			w, err := syslog.Dial(o.SyslogNetwork, o.SyslogAddr, syslog.LOG_DAEMON|syslog.LOG_INFO, c.SysLogPrefix)
			if err != nil {
				closers.Close()
				return nil, nil, fmt.Errorf("logDestinations: syslog: %w", err)
			}
			closers = append(closers, w)
			sw := &syslogWriter{w: w}
			handlers = append(handlers, &syslogHandler{Handler: logHandler(c, sw, true), w: sw})
		}
	}
	return slog.New(slog.NewMultiHandler(handlers...)), closers, nil
}

// logHandler formats records for one writer: JSON lines or logfmt-style
// text, at logLevel, URLs masked. noTime leaves the time out (syslog
// stamps its own).
func logHandler(c *config.Conf, w io.Writer, noTime bool) slog.Handler {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	replace := maskURLs
	if noTime {
		replace = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return maskURLs(groups, a)
		}
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: replace}
	if c.Structured() {
		return slog.NewJSONHandler(w, opts)
	}
	return slog.NewTextHandler(w, opts)
}

// syslogHandler sends each record at its level: the formatted line goes
// through syslogWriter, which the handler tells the record's level first.
type syslogHandler struct {
	slog.Handler
	w *syslogWriter
}

func (h *syslogHandler) Handle(ctx context.Context, r slog.Record) error {
	h.w.mu.Lock()
	defer h.w.mu.Unlock()
	h.w.level = r.Level
	return h.Handler.Handle(ctx, r)
}

func (h *syslogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &syslogHandler{Handler: h.Handler.WithAttrs(as), w: h.w}
}

func (h *syslogHandler) WithGroup(name string) slog.Handler {
	return &syslogHandler{Handler: h.Handler.WithGroup(name), w: h.w}
}

// syslogWriter writes one formatted record at the level set by
// syslogHandler (which holds mu meanwhile).
type syslogWriter struct {
	mu    sync.Mutex
	w     *syslog.Writer
	level slog.Level
}

func (s *syslogWriter) Write(p []byte) (int, error) {
	msg := string(bytes.TrimRight(p, "\n"))
	var err error
	switch {
	case s.level >= slog.LevelError:
		err = s.w.Err(msg)
	case s.level >= slog.LevelWarn:
		err = s.w.Warning(msg)
	case s.level >= slog.LevelInfo:
		err = s.w.Info(msg)
	default:
		err = s.w.Debug(msg)
	}
	return len(p), err
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var errs []error
	for _, c := range m {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
