package backend

import "context"

// Stop stops listening, as a process taken out of a pool does once it is
// drained: it refuses new connections from now on, lets the requests it
// holds finish while ctx allows (then drops the rest, as Crash does, and
// returns ctx's error), and keeps its address and figures, so that
// Recover brings it back. A stopped, crashed or closed server is left as
// it is.
func (s *Server) Stop(ctx context.Context) error {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	s.mu.Lock()
	lf := s.life
	if lf == nil || s.closed {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	err := lf.srv.Shutdown(ctx)
	if err != nil {
		_ = lf.srv.Close()
	}
	s.mu.Lock()
	s.end()
	s.mu.Unlock()
	close(lf.drop)
	return err
}
