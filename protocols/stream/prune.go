package stream

// CloseUnconfigured ends the publications whose name no configured path
// matches any more (a path removed by a reload or through the API); their
// readers are told through Done. It returns how many it ended.
func (h *Hub) CloseUnconfigured() int {
	paths := h.conf().Paths
	h.mu.Lock()
	var gone []*Publication
	for name, p := range h.paths {
		if _, ok := paths.Find(name); !ok {
			gone = append(gone, p)
		}
	}
	h.mu.Unlock()
	for _, p := range gone {
		h.logger.Info("path no longer configured: its publication ends", "path", p.Name)
		p.Close()
	}
	return len(gone)
}
