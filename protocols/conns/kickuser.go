package conns

// who is every item's identity (Who is embedded in each).
func (w Who) who() Who { return w }

// KickUser ends every kickable entry (RTSP sessions, RTMP and SRT
// connections, WebRTC and HLS sessions) whose identity's user name match
// accepts, and returns how many it ended. Anonymous entries are never
// matched.
func (r *Registry) KickUser(match func(user string) bool) int {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	es := make([]*entry, 0, len(r.byID))
	for _, e := range r.byID {
		if e.kind.Kickable() && e.kick != nil {
			es = append(es, e)
		}
	}
	r.mu.Unlock()
	n := 0
	for _, e := range es {
		item, ok := e.describe().(interface{ who() Who })
		if !ok {
			continue
		}
		if u := item.who().User; u != "" && match(u) {
			e.kick()
			n++
		}
	}
	return n
}
