package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/streamgate/streamgate"
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/daemon"
)

// loadConfig finds and loads the configuration: the named file, else
// ./streamgate.yml, else ./mediamtx.yml, else the embedded default.
func loadConfig(args []string) (*config.Conf, string, error) {
	if len(args) > 1 {
		return nil, "", errors.New("usage: streamgate [CONFIG]")
	}
	env := os.Environ()
	if len(args) == 1 {
		c, err := config.Load(args[0], env)
		return c, args[0], err
	}
	for _, name := range []string{"streamgate.yml", "mediamtx.yml"} {
		if _, err := os.Stat(name); err == nil {
			c, err := config.Load(name, env)
			return c, name, err
		}
	}
	c, err := config.Parse("(embedded mediamtx.yml.example)", streamgate.DefaultConfig, env)
	return c, embeddedSource, err
}

// embeddedSource names the embedded default configuration in logs.
const embeddedSource = "(embedded default)"

// reloadDebounce coalesces the file events of one save.
const reloadDebounce = 200 * time.Millisecond

func cmdRun(args []string, stderr io.Writer) int {
	// Catch SIGTERM/SIGINT from the start: one that arrives while the
	// configuration loads stops the daemon right after it started, with
	// exit code 0, instead of killing the process.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// SIGHUP reloads the configuration file; with the embedded default
	// there is nothing to reload and it is ignored.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	c, source, err := loadConfig(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	logger := daemon.NewLogger(c, stderr)
	logger.Info("streamgate starting", "version", streamgate.Version, "config", source)
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
		load := func() (*config.Conf, error) { return config.Load(source, os.Environ()) }
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
