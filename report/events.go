package report

import (
	"strconv"
	"strings"
)

// Typed returns e with Kind, End and Detail read from What when Kind is
// empty, as FaultEvent and HealthEvent would have set them: the events of
// a summary.json written before events were typed, or of an engine that
// still sets What alone. It is the one place that reads an event's words;
// everything else reads its fields. A typed event comes back as it is,
// and so does one whose words are none of FaultEvent's or HealthEvent's
// (realproxy's "recover failed: ..."): its Kind stays empty, an event of
// no known kind.
func (e Event) Typed() Event {
	if e.Kind != "" {
		return e
	}
	w := e.What
	switch {
	case w == "crash":
		e.Kind = EventCrash
	case w == "recover":
		e.Kind, e.End = EventCrash, true
	case w == "unhealthy":
		e.Kind = EventHealth
	case w == "healthy":
		e.Kind, e.End = EventHealth, true
	case w == "end slowdown":
		e.Kind, e.End = EventSlowdown, true
	case w == "end errors":
		e.Kind, e.End = EventErrors, true
	case strings.HasPrefix(w, "slowdown"): // "slowdown x4"
		e.Kind, e.Detail = EventSlowdown, detail(strings.TrimPrefix(strings.TrimPrefix(w, "slowdown"), " x"))
	case strings.HasPrefix(w, "errors"): // "errors 0.5"
		e.Kind, e.Detail = EventErrors, detail(strings.TrimPrefix(w, "errors"))
	}
	return e
}

// detail reads a fault's parameter from an event's words, 0 if there is
// none (Detail's zero).
func detail(s string) float64 {
	x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0
	}
	return x
}

// TypeEvents makes every event of s Typed, in place. ReadSummary calls it,
// so that readers of an older summary.json see typed events.
func TypeEvents(s *Summary) {
	for i := range s.Algorithms {
		for j, e := range s.Algorithms[i].Events {
			s.Algorithms[i].Events[j] = e.Typed()
		}
	}
}
