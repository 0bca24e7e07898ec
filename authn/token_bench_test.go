package authn_test

import (
	"context"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// One signed URL token verification by the token backend (parse, pick the
// verification by path, HMAC-SHA256 with each of two secrets at worst,
// constant-time compare, time/ip/acl checks), and the same token through
// the pipeline, where a repeat is a decision-cache hit.
func BenchmarkTokenVerify(b *testing.B) {
	dir := b.TempDir()
	fa := writeSecret(b, dir, "a.txt", string(keyA))
	fb := writeSecret(b, dir, "b.txt", string(keyB))
	env := newTokenBackend(b, authn.TokenConfig{
		Secrets:       []authn.TokenSecretConfig{{ID: "sec-a", File: fa}, {ID: "sec-b", File: fb}},
		Verifications: []authn.TokenVerificationConfig{{Name: "live", Enabled: true, SecretIDs: []string{"sec-a", "sec-b"}}},
	})
	now := time.Now().Unix()
	for _, c := range []struct {
		name string
		key  []byte
	}{{"first-secret", keyA}, {"second-secret", keyB}} {
		tok := authn.SignEdgeAuth(c.key, authn.EdgeAuthToken{End: now + 3600, ACL: []string{"/live/*"}, ID: "s1"})
		req := tokenReq("live/cam1", tok, "192.0.2.1")
		b.Run("backend/"+c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := env.b.Authenticate(context.Background(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	tok := authn.SignEdgeAuth(keyA, authn.EdgeAuthToken{End: now + 3600, ACL: []string{"/live/*"}, ID: "s1"})
	m := authn.NewMetrics(nil)
	p := authn.NewPipeline(authn.PipelineConfig{Backends: []authn.Backend{env.b}, CacheSize: 1000, CacheTTL: time.Hour},
		authn.NewTestDeps(m))
	req := tokenReq("live/cam1", tok, "192.0.2.1")
	req.Action = authz.ActionRead
	b.Run("pipeline-cache-hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := p.Authenticate(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
