package authn_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
)

// A Digest answer is checked against plain passwords only: a plain user
// with the right answer is granted, a wrong answer denied, a user with a
// hashed password denied whatever the answer; every answer is checked, none
// comes from the decision cache.
func TestDigestAnswers(t *testing.T) {
	sum := sha256.Sum256([]byte("hashed-pass"))
	p := pipelineFromYAML(t, `
authInternalUsers:
- {user: plainuser, pass: plain-pass, permissions: [{action: read}]}
- {user: hasheduser, pass: 'sha256:`+base64.StdEncoding.EncodeToString(sum[:])+`', permissions: [{action: read}]}
`, authn.QuarantineLimits{Period: time.Minute, MaxTracked: 10})
	digest := func(user, answer string, accepts string) *authn.Request {
		req := authRequest(authz.ActionRead, "cam", "", "")
		req.Credentials = authn.Credentials{User: user, Digest: &authn.DigestProof{Response: answer,
			Check: func(pass string) bool { return pass == accepts }}}
		return req
	}
	ctx := context.Background()
	for _, c := range []struct {
		name string
		req  *authn.Request
		want string
	}{
		{"plain user, right answer", digest("plainuser", "a1", "plain-pass"), "granted"},
		{"plain user, wrong answer", digest("plainuser", "a2", "something-else"), "denied"},
		{"the right answer again (a new response)", digest("plainuser", "a3", "plain-pass"), "granted"},
		{"hashed user", digest("hasheduser", "a4", "hashed-pass"), "denied"},
		{"unknown user", digest("nobody", "a5", "x"), "denied"},
	} {
		if _, err := p.Authenticate(ctx, c.req); kindOf(err) != c.want {
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
	// A Digest answer is never served from the decision cache (issue 12,
	// defect 8): the granted answer a1 replayed where the nonce check fails
	// (another connection) is refused, however recently it was granted.
	if _, err := p.Authenticate(ctx, digest("plainuser", "a1", "not-this-nonce")); kindOf(err) != "denied" {
		t.Errorf("a granted Digest answer replayed on another connection: %v, want denied", err)
	}
}
