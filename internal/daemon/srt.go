package daemon

import (
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/confmap"
	"github.com/streamgate/streamgate/protocols/srt"
)

// startSRT starts the SRT listener.
func (d *Daemon) startSRT(c *config.Conf) error {
	if !c.SRT {
		return nil
	}
	cfg := srt.Config{Name: "srt", Address: c.SRTAddress, ReadTimeout: c.ReadTimeout, Limits: d.limits, Conns: d.conns,
		Passphrases: confmap.SRTPassphrases(d.conf.Load)}
	s, err := srt.Listen(cfg, d, d.hub, d.registry, d.logger.With("component", "srt"))
	if err != nil {
		return err
	}
	d.srt = s
	return nil
}

// closeSRT stops the SRT listener and its connections.
func (d *Daemon) closeSRT() {
	if d.srt != nil {
		d.srt.Close()
		d.srt = nil
	}
}
