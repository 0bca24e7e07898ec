package main

import (
	"context"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/authn"
	"github.com/streamgate/streamgate/authz"
	"github.com/streamgate/streamgate/internal/testharness"
)

func TestTokenSignVerifies(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.hex")
	if err := os.WriteFile(key, []byte("0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, "", "token", "sign", "--key-file", key, "--encoding", "hex",
		"--acl", "/live/*!/vod/*", "--ttl", "2m", "--ip", "192.0.2.1", "--id", "sess", "--data", "d")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	tok := strings.TrimSpace(out)
	b, err := authn.NewToken(authn.TokenConfig{
		Secrets:       []authn.TokenSecretConfig{{ID: "k", File: key, Encoding: "hex"}},
		Verifications: []authn.TokenVerificationConfig{{Name: "all", Enabled: true, SecretIDs: []string{"k"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	id, err := b.Authenticate(context.Background(), &authn.Request{Action: authz.ActionRead, Path: "vod/a",
		IP: netip.MustParseAddr("192.0.2.1"), Credentials: authn.Credentials{Token: tok}})
	if err != nil || id.User != "token:sess" {
		t.Fatalf("token %s: %+v, %v", tok, id, err)
	}
	if d := time.Until(id.Expires); d < time.Minute || d > 2*time.Minute {
		t.Errorf("expires in %v, want ~2m", d)
	}
	verifyWithAkamaiEdgeAuth(t, tok, "0123456789abcdef")
}

func TestTokenSignUsage(t *testing.T) {
	for _, args := range [][]string{{"token"}, {"token", "sign"}, {"token", "sign", "--key-file", "x", "--ttl", "-1s"},
		{"token", "sign", "--key-file", "x", "--ip", "nope"}} {
		if code, _, _ := runCmd(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := runCmd(t, "", "token", "sign", "--key-file", filepath.Join(t.TempDir(), "missing")); code != 1 {
		t.Errorf("missing key file: exit %d, want 1", code)
	}
}

// verifyWithAkamaiEdgeAuth regenerates tok with the npm package
// akamai-edgeauth (an independent implementation) from tok's own fields and
// the hex key: the package's output must be tok, HMAC included.
func verifyWithAkamaiEdgeAuth(t *testing.T, tok, hexKey string) {
	t.Helper()
	mod := testharness.EdgeAuthModule(t)
	p, err := authn.ParseEdgeAuthToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hex.DecodeString(hexKey); err != nil {
		t.Fatal(err)
	}
	script := `const EdgeAuth = require(process.argv[1]);
const [key, ip, st, exp, acl, id, data] = process.argv.slice(2);
const o = {key: key, endTime: Number(exp)};
if (ip) o.ip = ip;
if (st !== "0") o.startTime = Number(st);
if (id) o.sessionId = id;
if (data) o.payload = data;
process.stdout.write(new EdgeAuth(o).generateACLToken(acl));`
	out, err := exec.Command("node", "-e", script, mod, hexKey, p.IP, itoa(p.Start), itoa(p.End),
		strings.Join(p.ACL, "!"), p.ID, p.Data).Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	if string(out) != tok {
		t.Fatalf("akamai-edgeauth made\n%s\nstreamgate token sign made\n%s", out, tok)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
