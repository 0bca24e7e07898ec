package webrtc

import (
	"github.com/pion/sdp/v3"
)

// completeAnswer gives every rejected m-section of answer (port 0: a kind
// of the offer the stream has no track for) what RFC 8829 §5.3.1 and RFC
// 8843 §7.3.3 still ask of it — the a=mid of the offer's section at the
// same place, the ICE credentials, a=inactive — which pion leaves out.
// Browsers take the answer either way; aiortc and strict JSEP readers do
// not. An SDP that does not parse is returned as it is.
func completeAnswer(answer, offer string) string {
	var a, o sdp.SessionDescription
	if a.Unmarshal([]byte(answer)) != nil || o.Unmarshal([]byte(offer)) != nil {
		return answer
	}
	ufrag, pwd := sessionICE(&a)
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
		if _, ok := m.Attribute("ice-ufrag"); !ok && ufrag != "" {
			m.WithValueAttribute("ice-ufrag", ufrag)
			m.WithValueAttribute("ice-pwd", pwd)
			changed = true
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

// sessionICE is the answer's ICE credentials: the session's, or the first
// m-section's that has them (pion writes them per section).
func sessionICE(s *sdp.SessionDescription) (ufrag, pwd string) {
	ufrag, _ = s.Attribute("ice-ufrag")
	pwd, _ = s.Attribute("ice-pwd")
	for _, m := range s.MediaDescriptions {
		if ufrag != "" && pwd != "" {
			break
		}
		u, okU := m.Attribute("ice-ufrag")
		p, okP := m.Attribute("ice-pwd")
		if okU && okP {
			ufrag, pwd = u, p
		}
	}
	return ufrag, pwd
}
