package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/streamgate/streamgate"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/daemon"
)

// configSearch is where streamgate looks for its configuration when no
// CONFIG argument is given, the first that exists winning: its own name,
// then MediaMTX's search list (internal/core/core.go: rtsp-simple-server.yml
// is the name MediaMTX had before; the last three are not searched by
// MediaMTX on Windows, nor here). Nothing found: the embedded default.
var configSearch = []string{
	"streamgate.yml",
	"mediamtx.yml",
	"rtsp-simple-server.yml",
	"/usr/local/etc/mediamtx.yml",
	"/usr/etc/mediamtx.yml",
	"/etc/mediamtx/mediamtx.yml",
}

// loadConfig finds and loads the configuration: the named file, else the
// first of search that exists, else the embedded default.
func loadConfig(args, search []string) (*config.Conf, string, error) {
	if len(args) > 1 {
		return nil, "", errors.New("usage: streamgate [CONFIG]")
	}
	env := os.Environ()
	if len(args) == 1 {
		c, err := config.Load(args[0], env)
		return c, args[0], err
	}
	for _, name := range search {
		if _, err := os.Stat(name); err == nil {
			c, err := config.Load(name, env)
			return c, name, err
		}
	}
	c, err := config.Parse("(embedded mediamtx.yml.example)", streamgate.DefaultConfig, env)
	return c, embeddedSource, err
}

// logConfigSource says which configuration was loaded (as MediaMTX does:
// the absolute path, or the files it looked for), and the load's warnings.
func logConfigSource(logger *slog.Logger, c *config.Conf, source string, search []string) {
	if source == embeddedSource {
		abs := make([]string, len(search))
		for i, name := range search {
			abs[i], _ = filepath.Abs(name)
		}
		logger.Info("no configuration file found: using the embedded default", "searched", abs)
	} else {
		abs, _ := filepath.Abs(source)
		logger.Info("configuration loaded", "file", abs)
	}
	logConfigWarnings(logger, c)
}

// logConfigWarnings logs what a load found wrong without refusing it (an
// MTX_ variable that names no key).
func logConfigWarnings(logger *slog.Logger, c *config.Conf) {
	for _, w := range c.Warnings {
		logger.Warn("configuration warning", "component", "config", "warning", w)
	}
}

// embeddedSource names the embedded default configuration in logs.
const embeddedSource = "(embedded default)"

// reloadDebounce coalesces the file events of one save.
const reloadDebounce = 200 * time.Millisecond

func cmdRun(args []string, stdout, stderr io.Writer) int {
	// Catch SIGTERM/SIGINT from the start: one that arrives while the
	// configuration loads stops the daemon right after it started, with
	// exit code 0, instead of killing the process.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// SIGHUP reloads the configuration file; with the embedded default
	// there is nothing to reload and it is ignored.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	c, source, err := loadConfig(args, configSearch)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	logger, logClose, err := daemon.OpenLogger(c, daemon.LogOutputs{Stdout: stdout})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer logClose.Close()
	logger.Info("streamgate starting", "version", streamgate.Version, "config", source)
	logConfigSource(logger, c, source, configSearch)
	d, err := daemon.New(c, logger)
	if err != nil {
		logger.Error("cannot start", "error", err)
		return 1
	}
	if err := d.Start(); err != nil {
		logger.Error("cannot start", "error", err)
		return 1
	}
	if source != embeddedSource {
		load := func() (*config.Conf, error) {
			c, err := config.Load(source, os.Environ())
			if err == nil {
				logConfigWarnings(logger, c)
			}
			return c, err
		}
		if err := d.WatchConfig(ctx, source, reloadDebounce, hup, load); err != nil {
			logger.Warn("configuration changes will not be applied: cannot watch the file", "error", err)
		}
	}
	<-ctx.Done()
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := d.Shutdown(sctx); err != nil {
		logger.Warn("shutdown did not drain in time", "error", err)
	}
	logger.Info("stopped")
	return 0
}

func cmdCheck(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: streamgate check CONFIG")
		return 2
	}
	c, err := config.Load(args[0], os.Environ())
	if err == nil {
		for _, w := range c.Warnings {
			fmt.Fprintln(stderr, "warning:", w)
		}
		_, err = daemon.BuildPipeline(c, daemon.CheckDeps(), daemon.Resources{})
		if err != nil {
			err = fmt.Errorf("%s: %w", args[0], err)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", args[0])
	return 0
}

func cmdVersion(stdout io.Writer) int {
	fmt.Fprintf(stdout, "streamgate %s\n", streamgate.Version)
	return 0
}
