package daemon

import (
	"log/slog"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/netlimit"
)

// fdReserve is the part of the descriptor limit maxConnections leaves to
// everything else: the busy answers in flight (netlimit.MaxBusyAnswers),
// listeners, UDP sockets, the etcd, auth and Savant connections, log and
// config files.
const fdReserve = 128

// raiseFileLimit raises the soft RLIMIT_NOFILE to the hard one, logs both,
// and returns the soft one (0: unknown).
func raiseFileLimit(logger *slog.Logger) uint64 {
	soft, hard, err := netlimit.RaiseFileLimit()
	if err != nil {
		logger.Warn("cannot raise the descriptor limit", "soft", soft, "hard", hard, "error", err)
		return soft
	}
	if soft > 0 {
		logger.Info("descriptor limit", "soft", soft, "hard", hard)
	}
	return soft
}

// ConnectionLimits maps maxConnections and maxConnectionsPerIP onto the
// limits enforced under a descriptor limit of nofile (0: unknown):
// maxConnections is lowered to leave fdReserve descriptors (at least half
// of them) to the rest of the process. lowered says it was.
func ConnectionLimits(c *config.Conf, nofile uint64) (maxConns, perIP int, lowered bool) {
	maxConns, perIP = c.MaxConnections, c.MaxConnectionsPerIP
	if maxConns == 0 || nofile == 0 {
		return maxConns, perIP, false
	}
	fit := int(min(nofile, 1<<31) / 2)
	if nofile > 2*fdReserve {
		fit = int(min(nofile-fdReserve, 1<<31))
	}
	if maxConns > fit {
		return fit, perIP, true
	}
	return maxConns, perIP, false
}

// applyLimits sets the connection limits of c.
func (d *Daemon) applyLimits(c *config.Conf) {
	maxConns, perIP, lowered := ConnectionLimits(c, d.nofile)
	if lowered {
		d.logger.Warn("maxConnections lowered to fit the descriptor limit", "maxConnections", c.MaxConnections,
			"applied", maxConns, "descriptor_limit", d.nofile)
	}
	d.limits.Set(maxConns, perIP)
}
