// Package panics contains a panic in one connection's code: the goroutines
// and callbacks that serve one client (RTSP, RTMP, SRT sessions, HTTP
// requests, fan-out and sink goroutines started for one) defer Recover, so
// that a bug reached by one client ends that client's connection, is logged
// at error with its stack and counted in streamgate_panics_total{component},
// and never takes the process — and every other client — down.
//
// Goroutines owned by libraries (gortsplib's, gosrt's, pion's readers) cannot
// be wrapped from outside; their defence is fuzzing and patched parsers (see
// the README and third_party/).
package panics

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover must be deferred directly (defer panics.Recover(…)) at the top of
// a goroutine or callback that serves one connection. When that code panics,
// Recover stops the panic, logs it at error on logger (which carries the
// component and connection attributes) with the panic value and stack,
// counts it under component, and calls end (when not nil) to end that
// connection — end may also set the callback's named results to an error
// answer. Component is a fixed name (rtsp, srt, hls…), never client data.
func Recover(logger *slog.Logger, component string, end func()) {
	r := recover()
	if r == nil {
		return
	}
	report(logger, component, r)
	if end != nil {
		end()
	}
}

// Handler wraps h so that a panic in it is logged and counted like
// Recover's, after which the request's connection is aborted the way
// net/http aborts on a panic (http.ErrAbortHandler, which net/http does not
// log again). A handler that panics with http.ErrAbortHandler itself meant
// to abort: that is passed on, not counted.
func Handler(logger *slog.Logger, component string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v != http.ErrAbortHandler {
				report(logger.With("method", r.Method), component, v)
			}
			panic(http.ErrAbortHandler)
		}()
		h.ServeHTTP(w, r)
	})
}

func report(logger *slog.Logger, component string, v any) {
	total.WithLabelValues(component).Inc()
	if logger == nil {
		logger = slog.Default().With("component", component)
	}
	logger.Error("panic recovered; connection ended", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
}
