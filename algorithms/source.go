package algorithms

import (
	"math/rand/v2"
	"sync"
)

// LockedSource returns a rand.Source that serialises calls to src with a
// mutex, for balancers used from many goroutines (the proxy). The simulator,
// which calls from one goroutine, passes its PCG stream directly.
func LockedSource(src rand.Source) rand.Source {
	return &lockedSource{src: src}
}

type lockedSource struct {
	mu  sync.Mutex
	src rand.Source
}

func (s *lockedSource) Uint64() uint64 {
	s.mu.Lock()
	v := s.src.Uint64()
	s.mu.Unlock()
	return v
}
