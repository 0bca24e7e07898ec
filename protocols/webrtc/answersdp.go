package webrtc

import (
	"slices"
	"strings"

	"github.com/pion/sdp/v3"
)

// completeAnswer gives every rejected m-section of answer (port 0: a kind
// of the offer the stream has no track for) what RFC 8829 §5.3.1 and RFC
// 8843 §7.3.3 still ask of it — the a=mid of the offer's section at the
// same place, the ICE credentials and DTLS parameters of the transport,
// a=inactive — which pion leaves out; and instead of pion's bare payload
// type 0, the offer's first format with its rtpmap (aiortc wants a codec it
// knows in every section, rejected or not).
// Browsers take the answer either way; aiortc and strict JSEP readers do
// not. An SDP that does not parse is returned as it is.
func completeAnswer(answer, offer string) string {
	var a, o sdp.SessionDescription
	if a.Unmarshal([]byte(answer)) != nil || o.Unmarshal([]byte(offer)) != nil {
		return answer
	}
	transport := transportAttributes(&a)
	changed := false
	for i, m := range a.MediaDescriptions {
		if m.MediaName.Port.Value != 0 || i >= len(o.MediaDescriptions) {
			continue
		}
		if _, ok := m.Attribute(sdp.AttrKeyMID); !ok {
			if mid, ok := o.MediaDescriptions[i].Attribute(sdp.AttrKeyMID); ok {
				m.WithValueAttribute(sdp.AttrKeyMID, mid)
				changed = true
			}
		}
		if _, ok := m.Attribute("rtpmap"); !ok {
			changed = copyFirstFormat(m, o.MediaDescriptions[i]) || changed
		}
		for _, attr := range transport {
			if _, ok := m.Attribute(attr.Key); !ok {
				m.Attributes = append(m.Attributes, attr)
				changed = true
			}
		}
		if _, ok := m.Attribute(sdp.AttrKeyInactive); !ok {
			m.WithPropertyAttribute(sdp.AttrKeyInactive)
			changed = true
		}
	}
	if !changed {
		return answer
	}
	out, err := a.Marshal()
	if err != nil {
		return answer
	}
	return string(out)
}

// transportKeys are the attributes of the transport every m-section of a
// BUNDLE shares.
var transportKeys = []string{"ice-ufrag", "ice-pwd", "fingerprint", "setup", "rtcp-mux"}

// transportAttributes are the answer's transport attributes: the first
// accepted m-section's (pion writes them per section), or the session's.
func transportAttributes(s *sdp.SessionDescription) []sdp.Attribute {
	var out []sdp.Attribute
	for _, m := range s.MediaDescriptions {
		if m.MediaName.Port.Value == 0 {
			continue
		}
		for _, a := range m.Attributes {
			if slices.Contains(transportKeys, a.Key) {
				out = append(out, a)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	for _, a := range s.Attributes {
		if slices.Contains(transportKeys, a.Key) {
			out = append(out, a)
		}
	}
	return out
}

// copyFirstFormat puts the first format of the offer's section, with its
// rtpmap and fmtp, in the answer's rejected section; false when the offer
// has none.
func copyFirstFormat(m, offer *sdp.MediaDescription) bool {
	if len(offer.MediaName.Formats) == 0 {
		return false
	}
	pt := offer.MediaName.Formats[0]
	m.MediaName.Formats = []string{pt}
	for _, a := range offer.Attributes {
		if (a.Key == "rtpmap" || a.Key == "fmtp") && strings.HasPrefix(a.Value, pt+" ") {
			m.Attributes = append(m.Attributes, a)
		}
	}
	return true
}
