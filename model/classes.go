package model

import (
	"fmt"
	"math"
	"time"

	"github.com/fulcrum-lb/fulcrum/dist"
	"github.com/fulcrum-lb/fulcrum/scenarios"
)

// ClassService is how a request class's service time is drawn (DESIGN.md
// §7): from the class's own distribution on every server, or else as Size
// x the server's own draw, both at the job's quantile u, so that every
// algorithm and both engines see the same job sizes.
type ClassService struct {
	Size float64   // used when Dist is nil
	Dist dist.Dist // the class's own distribution; nil: Size x the server's
}

// Service is the service time of a job of this class with quantile u on a
// server whose distribution is server (before any slowdown).
func (c ClassService) Service(server dist.Dist, u float64) time.Duration {
	if c.Dist != nil {
		return c.Dist.Quantile(u)
	}
	d := server.Quantile(u)
	if c.Size != 1 {
		d = time.Duration(math.Round(float64(d) * c.Size))
	}
	return d
}

// ClassServices are sc's classes' services, in the scenario's order; nil
// when it has no classes.
func ClassServices(sc *scenarios.Scenario) ([]ClassService, error) {
	var out []ClassService
	for _, c := range sc.Classes {
		cs := ClassService{Size: c.Size}
		if c.HasService() {
			d, err := dist.New(c.Service)
			if err != nil {
				return nil, fmt.Errorf("model: class %s: service: %w", c.Name, err)
			}
			cs.Dist = d
		}
		out = append(out, cs)
	}
	return out, nil
}
