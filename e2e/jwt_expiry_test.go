package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// An RTSP reader authenticated by a JWT that expires in 3 s is disconnected
// within 1 s after the expiry; the publisher, whose token lives on, is not.
func TestRTSPReaderKickedWhenJWTExpires(t *testing.T) {
	t.Parallel()
	iss, d := startJWTDaemon(t, "rtsp: yes\nrtspTransports: [tcp]\npaths:\n  all_others:\n")
	base := "rtsp://user:%s@" + d.Addr("rtsp") + "/cam"
	pubTok := iss.Sign(t, permsSpec("publish:cam"))[0]
	rtspGoPublish(t, fmt.Sprintf(base, pubTok))
	// The reader's token expires soon after it connects: ≥ 3 s away when
	// signed, more when the machine was too slow to connect in time.
	var r *rtspGoReader
	var exp time.Time
	for life := 3 * time.Second; r == nil; life *= 2 {
		if life > time.Minute {
			t.Fatal("no reader connected before its token expired, even with a minute of life")
		}
		exp = time.Now().Add(life).Truncate(time.Second).Add(time.Second) // whole seconds
		tok := iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: jwtClaims(map[string]any{"mediamtx_permissions": perms("read:cam"), "exp": exp.Unix()})})[0]
		var err error
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if r, err = rtspGoRead(fmt.Sprintf(base, tok)); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("reader with a short-lived JWT: %v", err)
		}
		if time.Until(exp) < 500*time.Millisecond {
			t.Logf("connected %s before exp: too late to watch, again with a longer life", time.Until(exp))
			r.Close()
			r = nil
		}
	}
	defer r.Close()
	closed := make(chan time.Time, 1)
	go func() { _ = r.c.Wait(); closed <- time.Now() }()
	select {
	case at := <-closed:
		if late := at.Sub(exp); late < -200*time.Millisecond || late > time.Second {
			t.Fatalf("reader disconnected %s after the token's exp, want within 1 s", late)
		}
		t.Logf("reader disconnected %s after exp", at.Sub(exp).Round(time.Millisecond))
	case <-time.After(time.Until(exp) + 3*time.Second):
		t.Fatal("the reader was not disconnected after its token expired")
	}
	// The publisher's session is untouched: the path is still published.
	a := get(t, d.URL("api", "/v3/paths/list"), basicAuth("admin", "admin-secret-0"))
	if a.status != 200 || !strings.Contains(a.body, `"name": "cam"`) {
		t.Fatalf("the publisher was disconnected too: %d %s", a.status, a.body)
	}
}

// The same over SRT and RTMP: ffmpeg readers whose JWT expires are
// disconnected within 1 s of exp (ffmpeg then exits).
func TestSRTAndRTMPReadersKickedWhenJWTExpires(t *testing.T) {
	t.Parallel()
	ffmpeg := testharness.RequirePeer(t, "ffmpeg", "ffmpeg")
	iss, d := startJWTDaemon(t, "rtsp: yes\nrtspTransports: [tcp]\nsrt: yes\nrtmp: yes\npaths:\n  all_others:\n")
	pubTok := iss.Sign(t, permsSpec("publish:cam"))[0]
	rtspGoPublish(t, fmt.Sprintf("rtsp://user:%s@%s/cam", pubTok, d.Addr("rtsp")))
	readerCount := func() int {
		for _, p := range apiItems[rtspAPIPath](t, d, "/v3/paths/list", "admin", "admin-secret-0") {
			if p.Name == "cam" {
				return p.Readers
			}
		}
		return 0
	}
	type ended struct {
		name string
		at   time.Time
	}
	// Both readers must be reading before exp: when the machine was too
	// slow for that, they start again with a token that lives longer.
	var exp time.Time
	var done chan ended
	for life := 5 * time.Second; ; life *= 2 {
		if life > time.Minute {
			t.Fatal("the readers did not connect before their token expired, even with a minute of life")
		}
		exp = time.Now().Add(life).Truncate(time.Second).Add(time.Second)
		tok := iss.Sign(t, testharness.TokenSpec{Key: "ec1", Claims: map[string]any{"iss": jwtIssuer, "aud": jwtAudience, "sub": "r1",
			"exp": exp.Unix(), "iat": time.Now().Unix(), "mediamtx_permissions": perms("read:cam")}})[0]
		readers := map[string][]string{
			"srt":  {"-i", fmt.Sprintf("srt://%s?streamid=read:cam:user:%s", d.Addr("srt"), tok)},
			"rtmp": {"-i", fmt.Sprintf("rtmp://%s/cam?token=%s", d.Addr("rtmp"), tok)},
		}
		done = make(chan ended, len(readers))
		var procs []*peerProc
		for name, in := range readers {
			p := startFFmpeg(t, ffmpeg, append(in, "-t", "60", "-f", "null", "-")...)
			procs = append(procs, p)
			go func() { <-p.done; done <- ended{name, time.Now()} }()
		}
		for readerCount() < 2 && time.Until(exp) > 500*time.Millisecond {
			time.Sleep(50 * time.Millisecond)
		}
		if time.Until(exp) > 500*time.Millisecond {
			break
		}
		t.Logf("the readers were not both reading 0.5 s before exp: again with a longer life")
		for _, p := range procs {
			p.kill()
		}
		for range procs {
			<-done
		}
	}
	for range 2 {
		select {
		case e := <-done:
			if e.at.Before(exp.Add(-200 * time.Millisecond)) {
				t.Errorf("%s reader ended %s before its token expired (it should have been reading)", e.name, exp.Sub(e.at))
				continue
			}
			if late := e.at.Sub(exp); late > time.Second {
				t.Errorf("%s reader ended %s after exp", e.name, late)
			}
			t.Logf("%s reader ended %s after exp", e.name, e.at.Sub(exp).Round(time.Millisecond))
		case <-time.After(time.Until(exp) + 10*time.Second):
			t.Fatal("a reader was not disconnected after its token expired")
		}
	}
}
