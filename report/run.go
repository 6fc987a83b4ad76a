package report

import (
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

// Run is run.json: how, where and when a run was made. Everything that
// depends on the wall clock or the machine goes here, never into Summary, so
// that summary.json stays byte-identical for the same scenario and seed.
type Run struct {
	Start       time.Time `json:"start"` // UTC, RFC 3339
	End         time.Time `json:"end"`   // UTC, RFC 3339
	WallSeconds float64   `json:"wall_seconds"`
	Host        string    `json:"host"`
	GOOS        string    `json:"goos"`
	GOARCH      string    `json:"goarch"`
	NumCPU      int       `json:"num_cpu"`
	GOMAXPROCS  int       `json:"gomaxprocs"`
	GoVersion   string    `json:"go_version"`
	// Version is the fulcrum module's version from the build information:
	// a release tag, a pseudo-version, or "(devel)" for a local build.
	Version string `json:"version"`
	// VCSRevision and VCSModified come from the build information when the
	// binary was built inside a checkout with VCS stamping on.
	VCSRevision  string   `json:"vcs_revision,omitempty"`
	VCSModified  bool     `json:"vcs_modified,omitempty"`
	Command      []string `json:"command"`       // the command line, program name first
	ScenarioFile string   `json:"scenario_file"` // where the scenario was read from
	// Layout, for the real engine, says where the parts of the run lived
	// (backends, proxy, load generator: in-process or not, which addresses,
	// GOMAXPROCS) and how well the load generator kept to the schedule.
	Layout map[string]string `json:"layout,omitempty"`
	// RigLatency, for the real engine, is the rig's own latency (load
	// generator, proxy, loopback hops, backend HTTP handling), measured
	// before the run with zero-service requests at the scenario's rate
	// (DESIGN.md §8). It depends on the machine, hence here and not in
	// summary.json.
	RigLatency *RigLatency `json:"rig_latency_ms,omitempty"`
}

// RigLatency is the rig's latency in ms: the exact mean, and p50 and p99
// from the HDR histogram.
type RigLatency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P99  float64 `json:"p99"`
}

// NewRun describes a run that began at start: the host, platform and build
// it runs on, the command line and the scenario file. Call Finish when it
// ends.
func NewRun(start time.Time, command []string, scenarioFile string) *Run {
	r := &Run{
		Start:        start,
		GOOS:         runtime.GOOS,
		GOARCH:       runtime.GOARCH,
		NumCPU:       runtime.NumCPU(),
		GOMAXPROCS:   runtime.GOMAXPROCS(0),
		GoVersion:    runtime.Version(),
		Command:      append([]string(nil), command...),
		ScenarioFile: scenarioFile,
	}
	r.Host, _ = os.Hostname()
	if bi, ok := debug.ReadBuildInfo(); ok {
		r.Version = bi.Main.Version
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				r.VCSRevision = s.Value
			case "vcs.modified":
				r.VCSModified = s.Value == "true"
			}
		}
	}
	return r
}

// Finish records the end of the run: End, and WallSeconds measured on the
// monotonic clock when Start and end carry it. Both times are then stored in
// UTC to the millisecond.
func (r *Run) Finish(end time.Time) {
	r.WallSeconds = end.Sub(r.Start).Seconds()
	r.Start = r.Start.UTC().Truncate(time.Millisecond)
	r.End = end.UTC().Truncate(time.Millisecond)
}
