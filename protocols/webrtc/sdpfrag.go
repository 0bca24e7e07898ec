package webrtc

import (
	"errors"
	"fmt"
	"strings"
)

// iceFragment is what a trickle ICE PATCH carries
// (application/trickle-ice-sdpfrag, RFC 8840): the ICE credentials of the
// client's ICE session and its new candidates. The m-lines and mids are not
// kept: all media are bundled on one ICE transport.
type iceFragment struct {
	ufrag, pwd string
	// candidates are "candidate:…" attribute values.
	candidates []string
}

// maxFragmentCandidates bounds the candidates of one PATCH.
const maxFragmentCandidates = 64

// parseICEFragment parses an SDP fragment, or the ICE attributes of a whole
// SDP. It refuses text that is not SDP lines and conflicting credentials;
// the candidates themselves are checked when they are added.
func parseICEFragment(text string) (iceFragment, error) {
	var f iceFragment
	for line := range strings.SplitSeq(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			continue
		}
		if len(line) < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z' {
			return iceFragment{}, fmt.Errorf("not an SDP line: %.40q", line)
		}
		if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return iceFragment{}, errors.New("control character in an SDP line")
		}
		if line[0] != 'a' {
			continue
		}
		name, value, _ := strings.Cut(line[2:], ":")
		var err error
		switch name {
		case "ice-ufrag":
			err = setOnce(&f.ufrag, value, name)
		case "ice-pwd":
			err = setOnce(&f.pwd, value, name)
		case "candidate":
			if value == "" {
				return iceFragment{}, errors.New("empty candidate")
			}
			if len(f.candidates) == maxFragmentCandidates {
				return iceFragment{}, fmt.Errorf("more than %d candidates", maxFragmentCandidates)
			}
			f.candidates = append(f.candidates, "candidate:"+value)
		}
		if err != nil {
			return iceFragment{}, err
		}
	}
	return f, nil
}

// setOnce sets *dst to v, refusing an empty value or a second, different one.
func setOnce(dst *string, v, name string) error {
	switch {
	case v == "":
		return fmt.Errorf("empty %s", name)
	case *dst != "" && *dst != v:
		return fmt.Errorf("two different %s", name)
	}
	*dst = v
	return nil
}
