package webrtc

import (
	"slices"
	"strings"
	"testing"
)

func TestParseICEFragment(t *testing.T) {
	const cand = "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"
	for _, tc := range []struct {
		name, in   string
		ufrag, pwd string
		candidates []string
		wantErr    bool
	}{
		{name: "RFC 8840", in: "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uY\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=" + cand +
			"\r\na=end-of-candidates\r\n", ufrag: "EsAw", pwd: "P2uY", candidates: []string{cand}},
		{name: "LF only", in: "a=ice-ufrag:u\na=" + cand + "\n", ufrag: "u", candidates: []string{cand}},
		{name: "repeated ufrag", in: "a=ice-ufrag:u\r\nm=audio 9 X 0\r\na=ice-ufrag:u\r\n", ufrag: "u"},
		{name: "empty", in: ""},
		{name: "two ufrags", in: "a=ice-ufrag:u\r\na=ice-ufrag:v\r\n", wantErr: true},
		{name: "empty ufrag", in: "a=ice-ufrag:\r\n", wantErr: true},
		{name: "empty candidate", in: "a=candidate:\r\n", wantErr: true},
		{name: "not SDP", in: "hello\r\n", wantErr: true},
		{name: "control character", in: "a=candidate:1 1 udp 1 127.0.0.1 5 typ host\x00\r\n", wantErr: true},
		{name: "too many", in: strings.Repeat("a="+cand+"\r\n", maxFragmentCandidates+1), wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseICEFragment(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error %v", err, tc.wantErr)
			}
			if err == nil && (f.ufrag != tc.ufrag || f.pwd != tc.pwd || !slices.Equal(f.candidates, tc.candidates)) {
				t.Fatalf("got %+v", f)
			}
		})
	}
}

// FuzzICEFragment: parseICEFragment never panics; what it accepts is
// bounded, free of line breaks and control characters, and writing it back
// as a fragment parses to the same. Seeds are in
// testdata/fuzz/FuzzICEFragment.
func FuzzICEFragment(f *testing.F) {
	f.Add("a=ice-ufrag:u\r\na=candidate:1 1 udp 1 127.0.0.1 5 typ host\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		frag, err := parseICEFragment(in)
		if err != nil {
			return
		}
		if len(frag.candidates) > maxFragmentCandidates {
			t.Fatalf("%d candidates", len(frag.candidates))
		}
		var b strings.Builder
		for _, v := range []string{frag.ufrag, frag.pwd} {
			if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("control character in %q", v)
			}
		}
		if frag.ufrag != "" {
			b.WriteString("a=ice-ufrag:" + frag.ufrag + "\r\n")
		}
		if frag.pwd != "" {
			b.WriteString("a=ice-pwd:" + frag.pwd + "\r\n")
		}
		for _, c := range frag.candidates {
			if !strings.HasPrefix(c, "candidate:") || strings.ContainsAny(c, "\r\n\x00") {
				t.Fatalf("candidate %q", c)
			}
			b.WriteString("a=" + c + "\r\n")
		}
		again, err := parseICEFragment(b.String())
		if err != nil || again.ufrag != frag.ufrag || again.pwd != frag.pwd || !slices.Equal(again.candidates, frag.candidates) {
			t.Fatalf("%q → %+v → %q → %+v, %v", in, frag, b.String(), again, err)
		}
	})
}
