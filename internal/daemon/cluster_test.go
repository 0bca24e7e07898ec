package daemon

import (
	"testing"
	"time"

	"github.com/streamgate/streamgate/config"
	"github.com/streamgate/streamgate/internal/cluster"
)

// A relay from a peer takes its timings from the path's
// sourceOnDemandStartTimeout and sourceOnDemandCloseAfter: the path's own,
// else pathDefaults'.
func TestRelayTimings(t *testing.T) {
	c := sourcesYAML(t, "  own:\n    sourceOnDemandStartTimeout: 4s\n    sourceOnDemandCloseAfter: 30s\n  all_others: {}\n")
	c2 := sourcesYAML(t, "  all_others: {}\npathDefaults:\n  sourceOnDemandStartTimeout: 2s\n  sourceOnDemandCloseAfter: 1m\n")
	for _, tc := range []struct {
		what string
		find func(string) (*cluster.RelayTimings, bool)
		path string
		want cluster.RelayTimings
	}{
		{"the path's own", findTimings(c), "own", cluster.RelayTimings{StartTimeout: 4 * time.Second, CloseAfter: 30 * time.Second}},
		{"the defaults' defaults", findTimings(c), "other", cluster.RelayTimings{StartTimeout: 10 * time.Second, CloseAfter: 10 * time.Second}},
		{"pathDefaults'", findTimings(c2), "other", cluster.RelayTimings{StartTimeout: 2 * time.Second, CloseAfter: time.Minute}},
	} {
		got, ok := tc.find(tc.path)
		if !ok || *got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.what, got, tc.want)
		}
	}
}

// findTimings maps the configured path of a name onto its relay timings.
func findTimings(c *config.Conf) func(string) (*cluster.RelayTimings, bool) {
	return func(name string) (*cluster.RelayTimings, bool) {
		np, ok := c.Paths.Find(name)
		if !ok {
			return nil, false
		}
		rt := relayTimings(np)
		return &rt, true
	}
}
