package verdict

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/fulcrum-lb/fulcrum/report"
)

// Thresholds of the reasons' rules (package doc).
const (
	hotUtil      = 0.85 // hot-server: the busiest server's utilisation at least this
	hotGap       = 0.15 // ... this far above the mean of the rest
	hotRefGap    = 0.10 // ... while the recommended's busiest is this far below it
	herdRatio    = 1.5  // stale-load: herding index at least this times the recommended's
	slowRatio    = 2.0  // slow-server: mean latency at least this times the others' median
	slowShare    = 1.5  // ... and at least this times the share the recommended sent it
	imbalanceMin = 1.10 // imbalance: busiest server's share over its even share, at least
	imbalanceGap = 0.05 // ... and this much more than the recommended's
	queueGap     = 0.05 // queueing: this much more of its requests queued
)

// reason is algorithm i's line against the recommended algorithm rec
// (why is rec's own line).
func (j *judge) reason(i, rec int, why string) report.VerdictReason {
	algs := j.s.Algorithms
	a := &algs[i]
	r := report.VerdictReason{Label: a.Label}
	switch {
	case len(algs) == 1:
		r.Rule, r.Text = "only", a.Label+": the only algorithm in the run"
		return r
	case i == rec:
		r.Rule, r.Text = "recommended", a.Label+": "+why
		return r
	case rec < 0 || a.Requests <= 0:
		r.Rule, r.Text = "slower", a.Label+": no measured request"
		return r
	}
	ref := &algs[rec]
	loss := -1
	for _, o := range priority {
		if !j.has(o, rec) {
			continue
		}
		if !j.has(o, i) {
			loss = o // a figure R has and it has not: no completed request
			break
		}
		if ok, _ := j.tied(o, rec, i); !ok && better(o, j.vals[o][rec], j.vals[o][i]) {
			loss = o
			break
		}
	}
	if loss < 0 {
		r.Rule = "tied"
		if t := j.noisy(i, rec, -1); t != "" {
			r.Text = a.Label + ": " + t
			return r
		}
		var with []string
		for _, o := range priority {
			if j.has(o, i) && j.has(o, rec) {
				with = append(with, name(o))
			}
		}
		r.Text = fmt.Sprintf("%s: not told apart from %s in %s; %s comes first by the rule (errors, p99, mean, fairness, then the lower p99)",
			a.Label, ref.Label, strings.Join(with, ", "), ref.Label)
		return r
	}
	head := a.Label + ": " + j.lossText(loss, i, rec)
	rule, text := j.explain(loss, a, ref)
	if rule == "" {
		rule = "slower"
	}
	r.Rule, r.Text = rule, head
	if text != "" {
		r.Text += "; " + text
	}
	if rule == "stale-load" {
		r.Text = head + " " + text // "... with load information 2s old (...)"
	}
	// A larger gap that the test could not tell from noise, on an
	// objective that comes first, is not left for the table to tell.
	if t := j.noisy(i, rec, loss); t != "" {
		r.Text += "; " + t
	}
	return r
}

// noisy explains a tie that hides a large gap: when a test ran and
// algorithm i is at least noisyRatio times worse than rec on a latency
// figure (or worse at all on another), yet not told apart, the samples
// spread too widely for their number. It says how widely, and to run
// more; "" when there is no such figure.
//
// With stop >= 0 it looks only at the objectives before stop in the
// recommendation's order.
func (j *judge) noisy(i, rec, stop int) string {
	if j.mode == noSample {
		return ""
	}
	for _, o := range priority {
		if o == stop {
			break
		}
		if !j.has(o, i) || !j.has(o, rec) || !better(o, j.vals[o][rec], j.vals[o][i]) {
			continue
		}
		key := objectives[o].fig.Key
		if x, y := j.vals[o][i], j.vals[o][rec]; objectives[o].fig.Unit == report.UnitMS && x < noisyRatio*y ||
			report.VerdictValue(key, x) == report.VerdictValue(key, y) {
			continue
		}
		_, p := j.tied(o, rec, i)
		xs := j.samples[o][i]
		lo, hi := slices.Min(xs), slices.Max(xs)
		more := "--seeds"
		if j.mode == unpaired {
			more = "--repeat"
		}
		return fmt.Sprintf("%s, but not told apart (p = %s): its %s ranges from %s to %s over the %d %ss; run more (%s %d)",
			j.lossText(o, i, rec), report.Sig(*p, 2), name(o), report.VerdictValue(key, lo), report.VerdictValue(key, hi),
			len(xs), j.samplesWord(), more, 2*j.n)
	}
	return ""
}

// noisyRatio is how much worse a tied latency must be for noisy to speak.
const noisyRatio = 1.5

// lossText says how much worse algorithm i is than rec on objective o.
func (j *judge) lossText(o, i, rec int) string {
	refLabel := j.s.Algorithms[rec].Label
	key := objectives[o].fig.Key
	if !j.has(o, i) {
		return "no completed request, so no " + name(o)
	}
	x, y := j.vals[o][i], j.vals[o][rec]
	if objectives[o].fig.Unit == report.UnitMS && y > 0 {
		return fmt.Sprintf("%s %sx %s's (%s against %s)", name(o), report.Sig3(x/y), refLabel,
			report.VerdictValue(key, x), report.VerdictValue(key, y))
	}
	return fmt.Sprintf("%s %s against %s's %s", name(o), report.VerdictValue(key, x), refLabel, report.VerdictValue(key, y))
}

// explain finds the first rule that explains a's loss on objective o
// against ref; "" when none fires.
func (j *judge) explain(o int, a, ref *report.Algorithm) (rule, text string) {
	if objectives[o].fig.Key == "error_rate" {
		return "errors", errorsText(a, ref)
	}
	if t := hotServer(a, ref); t != "" {
		return "hot-server", t
	}
	if t := j.staleLoad(a, ref); t != "" {
		return "stale-load", t
	}
	if t := slowServer(a, ref); t != "" {
		return "slow-server", t
	}
	if t := j.imbalance(a, ref, objectives[o].fig.Key == "jain"); t != "" {
		return "imbalance", t
	}
	if a.WaitProbability >= ref.WaitProbability+queueGap {
		return "queueing", fmt.Sprintf("%s of its requests queued against %s's %s",
			report.Percent(a.WaitProbability), ref.Label, report.Percent(ref.WaitProbability))
	}
	return "", ""
}

// errorsText says where a's errors came from: their main cause, and the
// server with the most failed attempts, its fault, and the share of
// requests each algorithm sent it.
func errorsText(a, ref *report.Algorithm) string {
	causes := []struct {
		n    int64
		what string
	}{{a.Errors.Failed, "failed"}, {a.Errors.Timeout, "timed out"}, {a.Errors.Rejected, "rejected"}}
	main := causes[0]
	for _, c := range causes[1:] {
		if c.n > main.n {
			main = c
		}
	}
	var parts []string
	switch tot := a.Errors.Total(); {
	case tot <= 0:
	case main.n == tot:
		parts = append(parts, "all of them "+main.what)
	default:
		parts = append(parts, fmt.Sprintf("%s of them %s", report.Percent(float64(main.n)/float64(tot)), main.what))
	}
	var sum int64
	top := -1
	for k, s := range a.Servers {
		sum += s.Errors
		if s.Errors > 0 && (top < 0 || s.Errors > a.Servers[top].Errors) {
			top = k
		}
	}
	if top >= 0 {
		s := a.Servers[top]
		t := fmt.Sprintf("%s of the errors at servers on %s", report.Percent(float64(s.Errors)/float64(sum)), s.Name)
		if f := faultOn(a.Events, s.Name); f != "" {
			t += " (" + f + ")"
		}
		if refShare, ok := shareOf(ref, s.Name); ok {
			aShare, _ := shareOf(a, s.Name)
			t += fmt.Sprintf(", which it sent %s of requests, %s %s", report.Percent(aShare), ref.Label, report.Percent(refShare))
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, "; ")
}

// faultOn names the first fault of the timeline on server: "crash at
// 10s", "slowdown x4 at 5s".
func faultOn(events []report.Event, server string) string {
	for _, e := range events {
		if e.Server != server || e.End {
			continue
		}
		switch e.Kind {
		case report.EventCrash, report.EventSlowdown, report.EventErrors:
			return e.What + " at " + durationText(e.AtMS)
		}
	}
	return ""
}

func durationText(ms float64) string {
	return time.Duration(math.Round(ms * float64(time.Millisecond))).Round(time.Millisecond).String()
}

// shareOf is the share of a's attempts that went to server.
func shareOf(a *report.Algorithm, server string) (float64, bool) {
	var sum, n int64
	found := false
	for _, s := range a.Servers {
		sum += s.Requests
		if s.Name == server {
			n, found = s.Requests, true
		}
	}
	if !found || sum <= 0 {
		return 0, false
	}
	return float64(n) / float64(sum), true
}

// hotServer: one server near saturation while the rest are not, and
// ref's busiest well below it.
func hotServer(a, ref *report.Algorithm) string {
	// Only servers whose utilisation is known: someone else's servers
	// (servers[].urls) have none, and are neither hot nor the rest.
	top, known := -1, 0
	var sum float64
	for k, s := range a.Servers {
		if !s.UtilizationKnown() {
			continue
		}
		known++
		sum += s.Utilization
		if top < 0 || s.Utilization > a.Servers[top].Utilization {
			top = k
		}
	}
	if known < 2 {
		return ""
	}
	u := a.Servers[top].Utilization
	rest := (sum - u) / float64(known-1)
	refMax := 0.0
	for _, s := range ref.Servers {
		if s.UtilizationKnown() {
			refMax = math.Max(refMax, s.Utilization)
		}
	}
	if !(u >= hotUtil && u-rest >= hotGap && refMax <= u-hotRefGap) {
		return ""
	}
	return fmt.Sprintf("%s at %s utilisation while the rest are at %s (%s's busiest: %s)",
		a.Servers[top].Name, pct0(u), pct0(rest), ref.Label, pct0(refMax))
}

// pct0 writes a utilisation as a whole percentage.
func pct0(u float64) string { return fmt.Sprintf("%.0f%%", 100*u) }

// staleLoad: the scenario's load information is old and a herds more.
func (j *judge) staleLoad(a, ref *report.Algorithm) string {
	if !j.c.LoadInfo || a.Herding == nil || ref.Herding == nil || *a.Herding < herdRatio**ref.Herding {
		return ""
	}
	return fmt.Sprintf("with load information up to %v old: herding index %s against %s's %s",
		j.c.Age, report.Sig3(*a.Herding), ref.Label, report.Sig3(*ref.Herding))
}

// slowServer: a server much slower than the others took a larger share
// of a's requests than of ref's.
func slowServer(a, ref *report.Algorithm) string {
	type srv struct {
		k    int
		mean float64
	}
	var ss []srv
	for k, s := range a.Servers {
		if s.Requests > 0 && s.Latency.Mean > 0 {
			ss = append(ss, srv{k, s.Latency.Mean})
		}
	}
	if len(ss) < 3 {
		return ""
	}
	top := slices.MaxFunc(ss, func(x, y srv) int {
		switch {
		case x.mean > y.mean:
			return 1
		case x.mean < y.mean:
			return -1
		}
		return y.k - x.k // the first of equals
	})
	var others []float64
	for _, s := range ss {
		if s.k != top.k {
			others = append(others, s.mean)
		}
	}
	med := median(others)
	name := a.Servers[top.k].Name
	aShare, _ := shareOf(a, name)
	refShare, ok := shareOf(ref, name)
	if med <= 0 || top.mean < slowRatio*med || !ok || aShare < slowShare*refShare || aShare == 0 {
		return ""
	}
	// Slow by itself, not by what a sent it: as slow under ref, where ref
	// sent it anything.
	if refMean, refMed, ok := serverMean(ref, name); ok && refMean < slowRatio*refMed {
		return ""
	}
	return fmt.Sprintf("%s answers in %s ms (the others' median %s ms) and took %s of its requests, %s of %s's",
		name, report.Sig3(top.mean), report.Sig3(med), report.Percent(aShare), report.Percent(refShare), ref.Label)
}

// busiest is a's server with the most requests over weight, as a share
// of the requests and against its even share (weight over all weights);
// ratio is share / even.
func (j *judge) busiest(a *report.Algorithm) (name string, share, even, ratio float64) {
	var sum int64
	var wsum float64
	for _, s := range a.Servers {
		sum += s.Requests
		wsum += j.weight(s.Name)
	}
	if sum <= 0 || wsum <= 0 {
		return "", 0, 0, 0
	}
	for _, s := range a.Servers {
		sh := float64(s.Requests) / float64(sum)
		ev := j.weight(s.Name) / wsum
		if r := sh / ev; name == "" || r > ratio {
			name, share, even, ratio = s.Name, sh, ev, r
		}
	}
	return name, share, even, ratio
}

func (j *judge) weight(server string) float64 {
	if w, ok := j.c.Weights[server]; ok && w > 0 {
		return w
	}
	return 1
}

// imbalance: a's busiest server took well over its even share.
func (j *judge) imbalance(a, ref *report.Algorithm, jainLoss bool) string {
	name, share, even, ratio := j.busiest(a)
	_, _, _, refRatio := j.busiest(ref)
	if name == "" || ratio < imbalanceMin || ratio-refRatio < imbalanceGap {
		return ""
	}
	t := fmt.Sprintf("its busiest server, %s, took %s of requests against %s even", name, report.Percent(share), report.Percent(even))
	if a.Fairness.Jain < 0.99 && !jainLoss {
		t += fmt.Sprintf(" (Jain's index %.3f, %s's %.3f)", a.Fairness.Jain, ref.Label, ref.Fairness.Jain)
	}
	return t
}

// median of xs (sorted in place); NaN when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	m := xs[len(xs)/2]
	if len(xs)%2 == 0 {
		m = (xs[len(xs)/2-1] + m) / 2
	}
	return m
}

// serverMean is the mean latency of server in a, and the median of the
// others' that answered anything; ok is false when server answered
// nothing in a.
func serverMean(a *report.Algorithm, server string) (mean, others float64, ok bool) {
	var xs []float64
	for _, s := range a.Servers {
		switch {
		case s.Requests <= 0 || s.Latency.Mean <= 0:
		case s.Name == server:
			mean, ok = s.Latency.Mean, true
		default:
			xs = append(xs, s.Latency.Mean)
		}
	}
	if !ok || len(xs) == 0 {
		return 0, 0, false
	}
	return mean, median(xs), true
}
