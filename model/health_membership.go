package model

// Rejoin gives server i the state of a server at the start: healthy, no
// counts, no ejection. A server that joins the pool, or comes back to it
// after a restart, is a new member to its balancers (the proxies that
// learn of it from service discovery start it afresh as well); what it
// did before it left says nothing of the new process. It reports whether
// Healthy(i) changed.
func (h *Health) Rejoin(i int) (changed bool) {
	was := h.Healthy(i)
	h.up[i], h.rise[i], h.fall[i], h.consec[i], h.ejected[i], h.until[i] = true, 0, 0, 0, false, 0
	return was != h.Healthy(i)
}

// Grow makes room for servers up to n (service discovery found new ones),
// each starting healthy.
func (h *Health) Grow(n int) {
	for len(h.up) < n {
		h.up = append(h.up, true)
		h.rise = append(h.rise, 0)
		h.fall = append(h.fall, 0)
		h.consec = append(h.consec, 0)
		h.ejected = append(h.ejected, false)
		h.until = append(h.until, 0)
	}
}
