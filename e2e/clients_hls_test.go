package e2e_test

// Every HLS playlist variant parsed strictly by an independent parser (npm
// hls-parser), the Low-Latency details of issue 14, and the blocking-reload
// cases.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamgate/streamgate/internal/testharness"
)

// hlsParseScript parses the playlist on stdin with hls-parser in strict
// mode and prints what the tests check as JSON.
const hlsParseScript = `
import { createRequire } from 'module';
const require = createRequire(process.env.MODULES + '/');
const HLS = require('hls-parser');
let data = '';
process.stdin.on('data', c => data += c);
process.stdin.on('end', () => {
  HLS.setOptions({strictMode: true});
  try {
    const pl = HLS.parse(data);
    const out = {master: pl.isMasterPlaylist, version: pl.version ?? 0, uris: [], channels: []};
    if (pl.isMasterPlaylist) {
      for (const v of pl.variants) {
        out.uris.push(v.uri);
        for (const r of v.audio) { if (r.uri) out.uris.push(r.uri); out.channels.push(r.channels ?? ''); }
      }
    } else {
      out.partTarget = pl.partTargetDuration ?? 0;
      const ll = pl.lowLatencyCompatibility || {};
      out.partHoldBack = ll.partHoldBack ?? 0;
      out.segments = pl.segments.length;
    }
    console.log(JSON.stringify(out));
  } catch (e) {
    console.log(JSON.stringify({error: String(e && e.message || e)}));
  }
});
`

// hlsParsed is what hlsParseScript prints.
type hlsParsed struct {
	Error        string   `json:"error"`
	Master       bool     `json:"master"`
	Version      int      `json:"version"`
	URIs         []string `json:"uris"`
	Channels     []string `json:"channels"`
	PartTarget   float64  `json:"partTarget"`
	PartHoldBack float64  `json:"partHoldBack"`
	Segments     int      `json:"segments"`
}

// hlsParse parses playlist with hls-parser (strict).
func hlsParse(t *testing.T, playlist string) hlsParsed {
	t.Helper()
	modules := testharness.HLSParserModule(t)
	script := testharness.TempFile(t, "parse.mjs", hlsParseScript)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "MODULES="+modules)
	cmd.Stdin = strings.NewReader(playlist)
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node hls-parser: %v: %s", err, b)
	}
	var p hlsParsed
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("hls-parser output %q: %v", b, err)
	}
	if p.Error != "" {
		t.Fatalf("hls-parser (strict) refuses the playlist: %s\n%s", p.Error, playlist)
	}
	return p
}

// hlsGet fetches file of cam as the RTSP tests' reader.
func hlsGet(t *testing.T, d *testharness.Daemon, file string) answer {
	t.Helper()
	return get(t, hlsURL(d, "cam/"+file), basicAuth(rtspReadUser, rtspReadPass))
}

func TestClientsHLSPlaylistsParse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		variant string
		version int // of every playlist
	}{
		{"lowLatency", 10}, // EXT-X-SKIP delta updates need 10 (gohlslib)
		{"fmp4", 7},
		{"mpegts", 3},
	} {
		t.Run(c.variant, func(t *testing.T) {
			d := startHLSDaemon(t, "hlsVariant: "+c.variant+"\n")
			pub := hlsPublish(t, d, 30)
			defer pub.stop(t)
			a := hlsGet(t, d, "index.m3u8")
			wantStatus(t, "index.m3u8", a, http.StatusOK)
			mv := hlsParse(t, a.body)
			if !mv.Master || mv.Version != c.version {
				t.Errorf("multivariant playlist: master %v, version %d, want true, %d:\n%s", mv.Master, mv.Version, c.version, a.body)
			}
			if c.variant != "mpegts" && (len(mv.Channels) == 0 || mv.Channels[0] != "1") {
				t.Errorf("audio renditions' CHANNELS %q, want \"1\" (the publisher's mono AAC):\n%s", mv.Channels, a.body)
			}
			if len(mv.URIs) == 0 {
				t.Fatalf("no media playlist:\n%s", a.body)
			}
			for _, uri := range mv.URIs {
				m := hlsGet(t, d, uri)
				wantStatus(t, uri, m, http.StatusOK)
				pl := hlsParse(t, m.body)
				if pl.Master || pl.Version != c.version || pl.Segments == 0 {
					t.Errorf("%s: master %v, version %d, %d segments, want a media playlist, version %d:\n%s",
						uri, pl.Master, pl.Version, pl.Segments, c.version, m.body)
				}
				if c.variant == "lowLatency" && (pl.PartTarget <= 0 || pl.PartHoldBack < 3*pl.PartTarget-1e-6) {
					t.Errorf("%s: PART-HOLD-BACK %v with PART-TARGET %v, want at least 3×:\n%s", uri, pl.PartHoldBack, pl.PartTarget, m.body)
				}
			}
		})
	}
}

var (
	hlsMediaSeqRE = regexp.MustCompile(`(?m)^#EXT-X-MEDIA-SEQUENCE:(\d+)`)
	hlsPartRE     = regexp.MustCompile(`(?m)^#EXT-X-PART:`)
)

// hlsPosition is the last complete segment's media sequence number of a
// Low-Latency media playlist and how many parts of the next one it lists.
func hlsPosition(t *testing.T, pl string) (last, parts int) {
	t.Helper()
	m := hlsMediaSeqRE.FindStringSubmatch(pl)
	if m == nil {
		t.Fatalf("no EXT-X-MEDIA-SEQUENCE:\n%s", pl)
	}
	first, _ := strconv.Atoi(m[1])
	segs := strings.Count(pl, "#EXTINF:")
	tail := pl[strings.LastIndex(pl, "#EXTINF:"):]
	return first + segs - 1, len(hlsPartRE.FindAllString(tail, -1))
}

// Blocking playlist reloads: the next part and the next segment are waited
// for; an _HLS_msn five ahead is refused with 400; a request still waiting
// when the publisher leaves gets 404 (gohlslib answers 500).
func TestClientsHLSBlockingReload(t *testing.T) {
	t.Parallel()
	d := startHLSDaemon(t, "hlsVariant: lowLatency\n")
	pub := hlsPublish(t, d, 60)
	defer pub.stop(t)
	mv := hlsGet(t, d, "index.m3u8")
	wantStatus(t, "index.m3u8", mv, http.StatusOK)
	uri := hlsParse(t, mv.body).URIs[0]
	pl := hlsGet(t, d, uri)
	wantStatus(t, uri, pl, http.StatusOK)
	last, parts := hlsPosition(t, pl.body)

	t.Run("next part", func(t *testing.T) {
		a := hlsGet(t, d, uri+"?_HLS_msn="+strconv.Itoa(last+1)+"&_HLS_part="+strconv.Itoa(parts))
		wantStatus(t, "next part", a, http.StatusOK)
		if l, p := hlsPosition(t, a.body); l == last && p <= parts {
			t.Errorf("the answer lacks part %d of segment %d:\n%s", parts, last+1, a.body)
		}
	})
	t.Run("next segment", func(t *testing.T) {
		a := hlsGet(t, d, uri+"?_HLS_msn="+strconv.Itoa(last+2))
		wantStatus(t, "next segment", a, http.StatusOK)
		if l, _ := hlsPosition(t, a.body); l < last+1 {
			t.Errorf("the answer ends at segment %d, want %d complete:\n%s", l, last+1, a.body)
		}
	})
	t.Run("msn+5", func(t *testing.T) {
		cur, _ := hlsPosition(t, hlsGet(t, d, uri).body)
		a := hlsGet(t, d, uri+"?_HLS_msn="+strconv.Itoa(cur+5))
		wantStatus(t, "_HLS_msn five ahead", a, http.StatusBadRequest)
	})
	t.Run("publisher leaves", func(t *testing.T) {
		cur, _ := hlsPosition(t, hlsGet(t, d, uri).body)
		// Two segments ahead (the most gohlslib waits for) is still being
		// waited for when the publisher stops.
		served := map[string]string{"outcome": "served"}
		before := d.Metric(t, "streamgate_hls_requests_total", served)
		got := make(chan int, 1)
		sent := make(chan struct{})
		go func() {
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				WroteRequest: func(httptrace.WroteRequestInfo) { close(sent) }})
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hlsURL(d, "cam/"+uri+"?_HLS_msn="+strconv.Itoa(cur+2)), nil)
			req.SetBasicAuth(rtspReadUser, rtspReadPass)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				got <- -1
				return
			}
			res.Body.Close()
			got <- res.StatusCode
		}()
		<-sent
		// Counted served, the request is handed to the muxer, where it waits.
		testharness.WaitFor(t, "the blocking request served", 10*time.Second, func() bool {
			return d.Metric(t, "streamgate_hls_requests_total", served) > before
		})
		pub.kill()
		select {
		case code := <-got:
			if code != http.StatusNotFound {
				t.Errorf("a blocked request when the publisher left: %d, want 404", code)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the blocked request did not end within 30 s of the publisher leaving")
		}
	})
}
