package stream

import (
	"sync"
	"time"
)

// KeyframeRequestGap is the least time between two keyframe requests to a
// publisher (a WHIP publisher's RTCP PLI): requests closer together are
// merged into one sent at the end of the gap.
const KeyframeRequestGap = 500 * time.Millisecond

// keyframeRequests sends a publication's keyframe requests, at most one a
// KeyframeRequestGap.
type keyframeRequests struct {
	mu      sync.Mutex
	send    func() // nil: the publisher cannot be asked
	last    time.Time
	pending bool // a request waits for the end of the gap
}

// SetKeyframeRequester sets how the publisher is asked for a keyframe
// (a WHIP publisher sends an RTCP PLI). Readers ask when they join
// (AddReader) and after losing units; the requests are rate-limited.
func (p *Publication) SetKeyframeRequester(send func()) {
	k := &p.keyframes
	k.mu.Lock()
	k.send = send
	k.mu.Unlock()
}

// RequestKeyframe asks the publisher for a keyframe, when it can be asked:
// at once, or at the end of KeyframeRequestGap after the previous request.
func (p *Publication) RequestKeyframe() {
	k := &p.keyframes
	k.mu.Lock()
	if k.send == nil || k.pending {
		k.mu.Unlock()
		return
	}
	if wait := time.Until(k.last.Add(KeyframeRequestGap)); wait > 0 {
		k.pending = true
		k.mu.Unlock()
		time.AfterFunc(wait, func() {
			k.mu.Lock()
			k.pending = false
			k.mu.Unlock()
			p.RequestKeyframe()
		})
		return
	}
	k.last = time.Now()
	send := k.send
	k.mu.Unlock()
	send()
}
