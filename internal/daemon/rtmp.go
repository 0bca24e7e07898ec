package daemon

import (
	"fmt"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/rtmp"
)

// startRTMP starts the RTMP listener and, with rtmpEncryption, the RTMPS one.
func (d *Daemon) startRTMP(c *config.Conf) error {
	if !c.RTMP {
		return nil
	}
	base := rtmp.Config{ReadTimeout: c.ReadTimeout, WriteTimeout: c.WriteTimeout, Metrics: rtmp.NewMetrics(d.registry)}
	plainOn, tlsCfg, err := encryption(c.RTMPEncryption, c.RTMPServerCert, c.RTMPServerKey)
	if err != nil {
		return fmt.Errorf("rtmps: %w", err)
	}
	var cfgs []rtmp.Config
	if plainOn {
		plain := base
		plain.Name, plain.Address = "rtmp", c.RTMPAddress
		cfgs = append(cfgs, plain)
	}
	if tlsCfg != nil {
		secure := base
		secure.Name, secure.Address, secure.TLS = "rtmps", c.RTMPSAddress, tlsCfg
		cfgs = append(cfgs, secure)
	}
	for _, cfg := range cfgs {
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
