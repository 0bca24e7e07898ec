package authn_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/config"
)

// TestCacheUsageWarning: with authCache.usage (the Media Gateway's cache
// usage tracker), a cache that evicts evictedThreshold decisions within
// period is reported once, in the log.
func TestCacheUsageWarning(t *testing.T) {
	c, err := config.Parse("test.yml", []byte("authCache: {size: 1, ttl: 1m, usage: {period: 1h, evictedThreshold: 3}}\nauthInternalUsers:\n- {user: any, permissions: [{action: read}]}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	m := authn.NewMetrics(nil)
	q := authn.NewQuarantine(authn.QuarantineLimits{})
	v := authn.NewVerifier(1, q, m)
	p := authn.NewPipeline(authn.PipelineConfig{
		Backends:  []authn.Backend{authn.NewInternal(authn.UsersOf(c), v)},
		CacheSize: c.AuthCache.Size, CacheTTL: c.AuthCache.TTL,
		CacheUsagePeriod: c.AuthCache.Usage.Period, CacheEvictedThreshold: c.AuthCache.Usage.EvictedThreshold,
	}, authn.Deps{Verifier: v, Quarantine: q, Metrics: m,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	warnings := func() int { return strings.Count(logs.String(), "decision cache evicts") }
	for i := range 6 {
		if _, err := p.Authenticate(context.Background(), authRequest(authz.ActionRead, fmt.Sprintf("cam%d", i), "", "")); err != nil {
			t.Fatal(err)
		}
		if i == 2 && warnings() != 0 {
			t.Fatalf("warned after %d evictions, threshold 3:\n%s", i, logs.String())
		}
	}
	if warnings() != 1 {
		t.Fatalf("%d warnings after 5 evictions within the period, want 1:\n%s", warnings(), logs.String())
	}
}
