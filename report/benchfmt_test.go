package report

import (
	"bufio"
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// benchResult is one result line of the Go benchmark format.
type benchResult struct {
	name   string // after "Benchmark"
	iters  int
	values map[string]float64 // by unit
	config map[string]string  // the configuration in force
}

// parseBenchfmt reads the Go benchmark format as its specification
// (golang.org/design/14313-benchmark-format) and benchfmt's reader define
// it, failing t on any line a reader would reject:
//
//   - a configuration line is "key: value": key begins with a lower-case
//     letter and has neither spaces nor upper-case letters; one or more
//     spaces or tabs follow the colon;
//   - a unit metadata line is "Unit UNIT key=value ...";
//   - a result line is "Benchmark" NAME ITERATIONS (VALUE UNIT)+, fields
//     separated by white space, ITERATIONS an integer, VALUE a float;
//   - any other line is ignored by readers, so must not appear here.
func parseBenchfmt(t *testing.T, data []byte) (results []benchResult, units map[string]map[string]string) {
	t.Helper()
	config := map[string]string{}
	units = map[string]map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "Benchmark"):
			name := strings.TrimPrefix(f[0], "Benchmark")
			if name == "" || !unicode.IsUpper(rune(name[0])) {
				t.Errorf("line %d: %q: Benchmark must be followed by an upper-case letter", n, line)
			}
			if len(f) < 4 || len(f)%2 != 0 {
				t.Fatalf("line %d: %q: want NAME ITERATIONS and VALUE UNIT pairs", n, line)
			}
			iters, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("line %d: iterations %q: %v", n, f[1], err)
			}
			r := benchResult{name: name, iters: iters, values: map[string]float64{}, config: maps.Clone(config)}
			for i := 2; i < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					t.Fatalf("line %d: value %q: %v", n, f[i], err)
				}
				if _, dup := r.values[f[i+1]]; dup {
					t.Errorf("line %d: unit %s twice", n, f[i+1])
				}
				r.values[f[i+1]] = v
			}
			results = append(results, r)
		case len(f) > 0 && f[0] == "Unit":
			if len(f) < 3 {
				t.Fatalf("line %d: %q: want Unit UNIT key=value...", n, line)
			}
			for _, kv := range f[2:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					t.Fatalf("line %d: %q: want key=value", n, kv)
				}
				if units[f[1]] == nil {
					units[f[1]] = map[string]string{}
				}
				units[f[1]][k] = v
			}
		default:
			key, val, ok := strings.Cut(line, ":")
			if !ok || key == "" || !unicode.IsLower(rune(key[0])) || strings.ContainsFunc(key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsUpper(r) }) ||
				(val != "" && val[0] != ' ' && val[0] != '\t') {
				t.Fatalf("line %d: %q is neither a result, a unit nor a configuration line", n, line)
			}
			config[key] = strings.TrimLeft(val, " \t")
		}
	}
	return results, units
}

func TestWriteBenchfmtSim(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteBenchfmt(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	results, units := parseBenchfmt(t, buf.Bytes())
	if len(results) != 2 {
		t.Fatalf("%d results, want 2:\n%s", len(results), buf.Bytes())
	}
	r := results[0]
	want := map[string]float64{"mean-ms": 12.1, "p50-ms": 9.8, "p90-ms": 24, "p99-ms": 61.2, "p999-ms": 90.3,
		"req/s": 1990.1, "error-rate": 990.0 / 200000, "jain": 0.998}
	if r.name != "Sim/failover/round-robin" || r.iters != 1 || !reflect.DeepEqual(r.values, want) {
		t.Errorf("first result %+v, want Sim/failover/round-robin 1 %v", r, want)
	}
	for k, v := range map[string]string{"scenario": "failover", "engine": "sim", "seed": "42", "pkg": "github.com/fulcrum-lb/fulcrum/sim"} {
		if r.config[k] != v {
			t.Errorf("config %s = %q, want %q", k, r.config[k], v)
		}
	}
	// The label "p3c, fast" has a space, which would end the name.
	if results[1].name != "Sim/failover/p3c,_fast" {
		t.Errorf("second name %q", results[1].name)
	}
	if units["req/s"]["better"] != "higher" || units["jain"]["better"] != "higher" || units["p99-ms"]["assume"] != "exact" {
		t.Errorf("unit metadata %v", units)
	}
}

func TestWriteBenchfmtRepetitions(t *testing.T) {
	s := sample()
	s.Engine = "real"
	s.Algorithms[0].Repetitions = []RepetitionFigures{
		{MeanMS: 12, P50MS: 9.7, P90MS: 23, P99MS: 60, P999MS: 88, ThroughputRPS: 1990, ErrorRate: 0.005, Jain: 0.99},
		{MeanMS: 12.2, P50MS: 9.9, P90MS: 25, P99MS: 62.4, P999MS: 92.6, ThroughputRPS: 1990.2, ErrorRate: 0.0049, Jain: 0.98},
	}
	s.Algorithms[1].Label = "p2c-2"
	var buf bytes.Buffer
	if err := WriteBenchfmt(&buf, s); err != nil {
		t.Fatal(err)
	}
	results, units := parseBenchfmt(t, buf.Bytes())
	var names []string
	for _, r := range results {
		names = append(names, r.name)
	}
	// One line per repetition, then the algorithm without repetitions,
	// whose -2 must not read as GOMAXPROCS.
	if want := []string{"Real/failover/round-robin", "Real/failover/round-robin", "Real/failover/p2c_2"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if got := results[1].values; got["p99-ms"] != 62.4 || got["error-rate"] != 0.0049 || got["jain"] != 0.98 || len(got) != 8 {
		t.Errorf("second repetition %v", got)
	}
	if _, ok := units["p99-ms"]; ok {
		t.Errorf("a real run's figures are marked exact: %v", units)
	}
	if results[0].config["pkg"] != "github.com/fulcrum-lb/fulcrum/realproxy" {
		t.Errorf("pkg %q", results[0].config["pkg"])
	}
}

func TestLabelPart(t *testing.T) {
	for in, want := range map[string]string{
		"p2c": "p2c", "p2c-3": "p2c_3", "web-12": "web_12", "a-b": "a-b", "-3": "_3", "3": "3",
		"x=y": "x_y", "a/b": "a_b", "w rr": "w_rr",
	} {
		if got := labelPart(in); got != want {
			t.Errorf("labelPart(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteBenchfmtFile(t *testing.T) {
	dir := t.TempDir()
	if err := WriteBenchfmtFile(dir); err != nil { // no summary.json: nothing to do
		t.Fatal(err)
	}
	if err := WriteDir(dir, sample(), nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteBenchfmtFile(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, SummaryBench))
	if err != nil {
		t.Fatal(err)
	}
	if results, _ := parseBenchfmt(t, data); len(results) != 2 {
		t.Errorf("%d results in %s", len(results), SummaryBench)
	}
	assertFiles(t, dir, SummaryBench, SummaryCSV, SummaryJSON)
}

// TestWriteBenchfmtSeeds: a simulator run of several seeds writes one
// line per seed and algorithm, in seed order, with that seed's figures,
// and does not mark its figures exact (they are samples over seeds).
func TestWriteBenchfmtSeeds(t *testing.T) {
	s := sample()
	s.Seed, s.Seeds = 7, []uint64{7, 8, 9}
	for i := range s.Algorithms {
		a := &s.Algorithms[i]
		for k := range 3 {
			f := FiguresOf(a)
			f.MeanMS += float64(k) // each seed its own figures
			f.ThroughputRPS -= float64(10 * k)
			a.PerSeed = append(a.PerSeed, f)
		}
	}
	var buf bytes.Buffer
	if err := WriteBenchfmt(&buf, s); err != nil {
		t.Fatal(err)
	}
	results, units := parseBenchfmt(t, buf.Bytes())
	if len(results) != 6 {
		t.Fatalf("%d results, want 3 seeds x 2 algorithms:\n%s", len(results), buf.Bytes())
	}
	for i, r := range results {
		a := &s.Algorithms[i/3]
		want := a.PerSeed[i%3]
		if r.name != "Sim/failover/"+labelPart(a.Label) || r.iters != 1 || len(r.values) != len(benchFigures) {
			t.Errorf("result %d: %+v", i, r)
		}
		if r.values["mean-ms"] != want.MeanMS || r.values["req/s"] != want.ThroughputRPS || r.values["p99-ms"] != want.P99MS ||
			r.values["error-rate"] != want.ErrorRate || r.values["jain"] != want.Jain {
			t.Errorf("result %d: %v, want seed %d's %+v", i, r.values, s.Seeds[i%3], want)
		}
		if r.config["seed"] != "7" {
			t.Errorf("result %d: seed %q, want the first seed", i, r.config["seed"])
		}
	}
	for unit, meta := range units {
		if _, ok := meta["assume"]; ok {
			t.Errorf("unit %s is marked %v: several seeds' figures are samples, not exact", unit, meta)
		}
	}
	if units["req/s"]["better"] != "higher" || units["jain"]["better"] != "higher" {
		t.Errorf("unit metadata %v", units)
	}
}

func TestFiguresOf(t *testing.T) {
	a := sample().Algorithms[0]
	f := FiguresOf(&a)
	want := RepetitionFigures{MeanMS: a.Latency.Mean, P50MS: a.Latency.P50, P90MS: a.Latency.P90, P99MS: a.Latency.P99,
		P999MS: a.Latency.P999, ThroughputRPS: a.ThroughputRPS, ErrorRate: ErrorRate(&a), Jain: a.Fairness.Jain}
	if f != want || f.ErrorRate == 0 {
		t.Errorf("FiguresOf = %+v, want %+v", f, want)
	}
	// Every figure summary.bench.txt writes reads the same from a run and
	// from its figures.
	for i := range benchFigures {
		d := &benchFigures[i]
		if d.Value(&a) != d.Repetition(&f) {
			t.Errorf("%s: %v from the run, %v from its figures", d.Name, d.Value(&a), d.Repetition(&f))
		}
	}
}
