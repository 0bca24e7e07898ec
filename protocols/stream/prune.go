package stream

// CloseUnconfigured ends the publications whose name no configured path
// matches any more (a path removed by a reload or through the API); their
// readers are told through Done. It returns how many it ended.
func (h *Hub) CloseUnconfigured() int {
	h.mu.Lock()
	live := make([]*Publication, 0, len(h.paths))
	for _, p := range h.paths {
		live = append(live, p)
	}
	h.mu.Unlock()
	var gone int
	for _, p := range live {
		if _, ok := h.find(p.Name); ok {
			continue
		}
		h.logger.Info("path no longer configured: its publication ends", "path", p.Name)
		p.Close()
		gone++
	}
	return gone
}
