package daemon

import (
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/rtmp"
)

// startRTMP starts the RTMP listener and, with rtmpEncryption, the RTMPS one.
func (d *Daemon) startRTMP(c *config.Conf) error {
	if !c.RTMP {
		return nil
	}
	base := rtmp.Config{ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout, Metrics: rtmp.NewMetrics(d.registry),
		Limits: d.limits, Conns: d.conns}
	eps, err := endpoints("rtmp", c.RTMPEncryption, c.RTMPAddress, c.RTMPSAddress, c.RTMPServerCert, c.RTMPServerKey)
	if err != nil {
		return err
	}
	for _, e := range eps {
		cfg := base
		cfg.Name, cfg.Address, cfg.TLS = e.name, e.addr, e.tls
		s, err := rtmp.Listen(cfg, d, d.hub, d.logger.With("component", cfg.Name))
		if err != nil {
			return err
		}
		d.rtmp = append(d.rtmp, s)
	}
	return nil
}

// closeRTMP stops the RTMP listeners: publications over RTMP end, readers
// are dropped.
func (d *Daemon) closeRTMP() {
	for _, s := range d.rtmp {
		s.Close()
	}
	d.rtmp = nil
}
