package hls

import (
	"strings"
	"testing"

	"github.com/bluenviron/gohlslib/v2"
)

func TestAmendPlaylists(t *testing.T) {
	ll := "#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-TARGETDURATION:1\n" +
		"#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.50000,CAN-SKIP-UNTIL=6.00000\n" +
		"#EXT-X-PART-INF:PART-TARGET=0.20000\n#EXT-X-MEDIA-SEQUENCE:2\n"
	got := string(amend([]byte(ll), gohlslib.MuxerVariantLowLatency, 0))
	if !strings.Contains(got, "PART-HOLD-BACK=0.60000,") || !strings.Contains(got, "#EXT-X-VERSION:10\n") {
		t.Errorf("Low-Latency media playlist:\n%s", got)
	}
	mv := "#EXTM3U\n#EXT-X-VERSION:10\n#EXT-X-INDEPENDENT-SEGMENTS\n\n" +
		`#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio2",AUTOSELECT=YES,DEFAULT=YES,URI="audio2_stream.m3u8"` + "\n"
	got = string(amend([]byte(mv), gohlslib.MuxerVariantFMP4, 2))
	if !strings.Contains(got, `URI="audio2_stream.m3u8",CHANNELS="2"`+"\n") || !strings.Contains(got, "#EXT-X-VERSION:7\n") {
		t.Errorf("fMP4 multivariant playlist:\n%s", got)
	}
	got = string(amend([]byte(mv), gohlslib.MuxerVariantLowLatency, 0))
	if strings.Contains(got, "CHANNELS") || !strings.Contains(got, "#EXT-X-VERSION:10\n") {
		t.Errorf("channels unknown, Low-Latency:\n%s", got)
	}
}
