// Package confmap maps the configuration onto the options of the packages
// that must not see it (the stream hub, the SRT listener), for
// internal/daemon and for those packages' tests.
package confmap

import (
	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/protocols/stream"
)

// PathOptions maps one path configuration onto the hub's options.
func PathOptions(np *config.NamedPath) *stream.PathOptions {
	o := &stream.PathOptions{
		ConfName:          np.Name,
		Publisher:         np.Source == "" || np.Source == "publisher",
		MaxReaders:        np.MaxReaders,
		OverridePublisher: np.OverridePublisher,
		Savant:            np.Savant == nil || *np.Savant,
		SavantSourceID:    np.SavantSourceID,
		SavantLabels:      np.SavantLabels,
	}
	if np.Source == "redirect" {
		o.Redirect = np.SourceRedirect
	}
	return o
}

// Paths is the hub's PathFinder over the configuration conf returns now.
func Paths(conf func() *config.Conf) stream.PathFinder {
	return func(name string) (*stream.PathOptions, bool) {
		np, ok := conf().Paths.Find(name)
		if !ok {
			return nil, false
		}
		return PathOptions(np), true
	}
}

// SRTPassphrases gives the SRT listener a path's passphrases as configured now.
func SRTPassphrases(conf func() *config.Conf) func(path string) (publish, read string) {
	return func(path string) (string, string) {
		np, ok := conf().Paths.Find(path)
		if !ok {
			return "", ""
		}
		return string(np.SRTPublishPassphrase), string(np.SRTReadPassphrase)
	}
}
