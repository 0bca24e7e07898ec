package e2e_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/auth"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
)

// rtspAuthMethods [basic, digest]: the 401 offers both challenges with a
// nonce; ffmpeg (which prefers Digest) publishes and reads with plain-
// password users; a wrong password is refused. A Digest answer cannot be
// checked against a hashed password: such a user's Digest login fails (it
// needs Basic), as the README says.
func TestRTSPDigest(t *testing.T) {
	t.Parallel()
	hash := hashArgon2(t, "hashed-secret-9", "--memory", "8192", "--time", "1", "--threads", "1")
	d := startRTSPDaemon(t, rtspSetup{
		top:   "rtspAuthMethods: [basic, digest]\n",
		users: "- {user: hashed, pass: '" + hash + "', permissions: [{action: read}]}\n",
	})
	a := rtspRaw(t, d.Addr("rtsp"), "DESCRIBE", "cam")
	challenges := strings.Join(a.header.Values("Www-Authenticate"), " | ")
	if !strings.HasPrefix(a.status, "RTSP/1.0 401") || !strings.Contains(challenges, "Basic") ||
		!strings.Contains(challenges, "Digest") || strings.Contains(challenges, `nonce=""`) {
		t.Fatalf("DESCRIBE without credentials: %s, challenges %q; want 401 with Basic and Digest (with a nonce)", a.status, challenges)
	}
	// A Digest answer by gortsplib's client-side signer, on one connection.
	for _, c := range []struct {
		pass, want string
	}{{rtspReadPass, "RTSP/1.0 404"}, {"wrong", "RTSP/1.0 401"}} {
		if got := rtspDigestDescribe(t, d.Addr("rtsp"), "/cam", rtspReadUser, c.pass); !strings.HasPrefix(got, c.want) {
			t.Errorf("DESCRIBE with a Digest answer for password %q: %s, want %s (nothing published yet)", c.pass, got, c.want)
		}
	}
	pub := rtspFFmpegPublish(t, rtspURL(d, rtspPubUser, rtspPubPass, "cam"), 30, "tcp")
	defer pub.stop(t)
	rtspWaitPath(t, d, "cam", 15*time.Second, func(p rtspAPIPath) bool { return p.BytesReceived > 0 })
	n, code, out := ffmpegDecode(t, rtspURL(d, rtspReadUser, rtspReadPass, "cam"), 25)
	if code != 0 || n == 0 {
		t.Errorf("ffmpeg reading with Digest: exit %d, %d frames:\n%s", code, n, out)
	}
	if !strings.Contains(d.Logs(), `"user":"viewer","action":"read"`) {
		t.Errorf("no read decision for viewer in the log")
	}
	if _, code, _ := ffmpegDecode(t, rtspURL(d, rtspReadUser, "wrong", "cam"), 5); code == 0 {
		t.Error("ffmpeg reading with a wrong password (Digest) exited 0")
	}
	if _, code, _ := ffmpegDecode(t, rtspURL(d, "hashed", "hashed-secret-9", "cam"), 5); code == 0 {
		t.Error("a hashed-password user logged in with Digest")
	}
	assertNotLogged(t, d, rtspReadPass, rtspPubPass)
}

// rtspDigestDescribe sends DESCRIBE without credentials, answers the 401's
// Digest challenge with user and pass (signed by gortsplib's client-side
// Sender) on the same connection, and returns the second status line.
func rtspDigestDescribe(t *testing.T, addr, path, user, pass string) string {
	t.Helper()
	status, _ := rtspDigestAnswer(t, addr, path, user, pass)
	return status
}

// rtspDigestAnswer is rtspDigestDescribe that also returns the
// Authorization header it sent.
func rtspDigestAnswer(t *testing.T, addr, path, user, pass string) (status, answer string) {
	t.Helper()
	c := mustDialDescriber(t, addr, path)
	defer c.conn.Close()
	_, h := c.mustDescribe(t, "")
	answer = rtspDigestAuthorization(t, c.target, h.Values("Www-Authenticate"), user, pass)
	if !strings.HasPrefix(answer, "Digest ") {
		t.Fatalf("not a Digest answer: %s", answer)
	}
	status, _ = c.mustDescribe(t, answer)
	return status, answer
}

// rtspDigestAuthorization is the Authorization header answering the Digest
// challenges among challenges (WWW-Authenticate values) for a DESCRIBE of
// target as user, signed by gortsplib's client-side Sender.
func rtspDigestAuthorization(t *testing.T, target string, challenges []string, user, pass string) string {
	t.Helper()
	var digest base.HeaderValue
	for _, v := range challenges {
		if strings.HasPrefix(v, "Digest") {
			digest = append(digest, v)
		}
	}
	sender := &auth.Sender{WWWAuth: digest, User: user, Pass: pass}
	if err := sender.Initialize(); err != nil {
		t.Fatalf("Digest challenge %v: %v", digest, err)
	}
	u, err := base.ParseURL(target)
	if err != nil {
		t.Fatal(err)
	}
	req := &base.Request{Method: base.Describe, URL: u, Header: base.Header{}}
	sender.AddAuthorization(req)
	return req.Header["Authorization"][0]
}

// A Digest answer is bound to its connection's nonce (issue 12, defect 8):
// one sniffed from a connection that logged in is replayed from the same
// address on a new connection (another nonce) within the decision cache's
// TTL, and refused with 401 — it is never served from the cache. With
// rtspAuthMethods [digest], Basic credentials are refused with a 401 that
// offers Digest only, on a connection that stays open for the answer.
func TestRTSPDigestReplayAndDigestOnly(t *testing.T) {
	t.Parallel()
	d := startRTSPDaemon(t, rtspSetup{top: "rtspAuthMethods: [digest]\nauthCache: {size: 100, ttl: 5m}\n"})
	addr := d.Addr("rtsp")
	status, sniffed := rtspDigestAnswer(t, addr, "/cam", rtspReadUser, rtspReadPass)
	if !strings.HasPrefix(status, "RTSP/1.0 404") {
		t.Fatalf("DESCRIBE with a Digest answer: %s, want 404 (logged in, nothing published)", status)
	}
	c := mustDialDescriber(t, addr, "/cam")
	defer c.conn.Close()
	if status, _, err := c.describe(sniffed); err != nil || !strings.HasPrefix(status, "RTSP/1.0 401") {
		t.Errorf("the sniffed Digest answer replayed on a new connection: %s (%v), want 401", status, err)
	}

	// Basic on a Digest-only listener: 401 offering Digest, connection open.
	b := mustDialDescriber(t, addr, "/cam")
	defer b.conn.Close()
	status, h, err := b.describe("Basic " + base64.StdEncoding.EncodeToString([]byte(rtspReadUser+":"+rtspReadPass)))
	if err != nil {
		t.Fatal(err)
	}
	challenges := strings.Join(h.Values("Www-Authenticate"), " | ")
	if !strings.HasPrefix(status, "RTSP/1.0 401") || !strings.Contains(challenges, "Digest") || strings.Contains(challenges, "Basic") {
		t.Fatalf("Basic with rtspAuthMethods [digest]: %s, challenges %q; want 401 offering Digest only", status, challenges)
	}
	// Every challenge is Digest (checked above).
	answer := rtspDigestAuthorization(t, b.target, h.Values("Www-Authenticate"), rtspReadUser, rtspReadPass)
	if status, _, err := b.describe(answer); err != nil || !strings.HasPrefix(status, "RTSP/1.0 404") {
		t.Errorf("the Digest answer to that challenge on the same connection: %s (%v), want 404", status, err)
	}
}
