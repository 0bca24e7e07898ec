package hls

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bluenviron/gohlslib/v2"
)

// A thin layer over gohlslib's handler (v2.4.2, muxer.go and
// muxer_stream.go), which hard-codes some playlist details and statuses:
//
//   - PART-HOLD-BACK is 2.5 × PART-TARGET; RFC 8216bis §4.4.3.8 requires at
//     least 2× and recommends at least 3×: amended to 3×.
//   - The audio EXT-X-MEDIA of a multivariant playlist has no CHANNELS
//     (§4.4.6.1 SHOULD for audio renditions): the audio track's count is
//     added.
//   - EXT-X-VERSION is 10 for every fMP4 playlist, which the delta updates
//     (EXT-X-SKIP) of Low-Latency playlists need; plain fMP4 playlists use
//     nothing past version 7 (EXT-X-MAP): declared 7.
//   - A request still waiting (blocking playlist reload, or a part not yet
//     written) when the muxer closes — the publisher left — gets 500; it
//     gets 404, the answer for a stream that is not published.
//
// An _HLS_msn more than one past the segment being written is refused with
// 400 by gohlslib itself (muxer_stream.go, handleMediaPlaylist).

// amendWriter collects a playlist answer so that amend can rewrite it, and
// turns gohlslib's 500 after the muxer closed into 404.
type amendWriter struct {
	http.ResponseWriter
	m        *muxer
	playlist bool // buffered and amended
	code     int
	body     bytes.Buffer
}

// WriteHeader records the status of a playlist, maps a closed muxer's 500
// to 404 and passes other answers on.
func (a *amendWriter) WriteHeader(code int) {
	if code == http.StatusInternalServerError && a.m.isClosed() {
		code = http.StatusNotFound
	}
	if a.playlist {
		a.code = code
		return
	}
	a.ResponseWriter.WriteHeader(code)
}

// Write buffers a playlist and passes other bodies on.
func (a *amendWriter) Write(b []byte) (int, error) {
	if a.playlist {
		if a.code == 0 {
			a.code = http.StatusOK
		}
		return a.body.Write(b)
	}
	return a.ResponseWriter.Write(b)
}

// flush sends the buffered playlist, amended.
func (a *amendWriter) flush(v gohlslib.MuxerVariant, channels int) {
	if a.code == 0 {
		a.code = http.StatusOK
	}
	body := a.body.Bytes()
	if a.code == http.StatusOK {
		body = amend(body, v, channels)
	}
	a.ResponseWriter.WriteHeader(a.code)
	_, _ = a.ResponseWriter.Write(body)
}

// amend rewrites one playlist of variant v; channels is the audio track's
// channel count (0: none or unknown).
func amend(pl []byte, v gohlslib.MuxerVariant, channels int) []byte {
	lines := strings.Split(string(pl), "\n")
	var partTarget time.Duration
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "#EXT-X-PART-INF:"); ok {
			if s, ok := attr(rest, "PART-TARGET"); ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					partTarget = time.Duration(f * float64(time.Second))
				}
			}
		}
	}
	for i, l := range lines {
		switch {
		case v == gohlslib.MuxerVariantFMP4 && l == "#EXT-X-VERSION:10":
			lines[i] = "#EXT-X-VERSION:7"
		case strings.HasPrefix(l, "#EXT-X-SERVER-CONTROL:") && partTarget > 0:
			lines[i] = setAttr(l, "PART-HOLD-BACK", strconv.FormatFloat((3*partTarget).Seconds(), 'f', 5, 64))
		case strings.HasPrefix(l, "#EXT-X-MEDIA:") && strings.Contains(l, "TYPE=AUDIO") && channels > 0 &&
			!strings.Contains(l, "CHANNELS="):
			lines[i] = l + `,CHANNELS="` + strconv.Itoa(channels) + `"`
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

// attr is the value of an attribute in an attribute list without quoted
// commas (those of gohlslib's EXT-X-PART-INF and EXT-X-SERVER-CONTROL).
func attr(list, name string) (string, bool) {
	for kv := range strings.SplitSeq(list, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// setAttr replaces the value of name in the tag line l, if present.
func setAttr(l, name, value string) string {
	tag, list, ok := strings.Cut(l, ":")
	if !ok {
		return l
	}
	kvs := strings.Split(list, ",")
	for i, kv := range kvs {
		if k, _, ok := strings.Cut(kv, "="); ok && k == name {
			kvs[i] = name + "=" + value
		}
	}
	return tag + ":" + strings.Join(kvs, ",")
}
