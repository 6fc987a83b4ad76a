package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// tinyPNG is a 2x1 image, enough to stand for a chart in a golden page.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.RGBA{0, 0x72, 0xB2, 0xFF})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sampleFigures(t *testing.T) []Figure {
	return []Figure{
		{Name: "cdf", Title: "Latency CDF", PNG: tinyPNG(t), Width: 864, Height: 528},
		{Name: "timeline-p3c__fast", Title: "p3c, fast over time", PNG: tinyPNG(t), Width: 864, Height: 480},
	}
}

func TestHTMLGolden(t *testing.T) {
	s := sample()
	s.ScenarioResolved.(map[string]any)["description"] = "two servers <and> a crash"
	s.CompareSim = sampleComparison()
	page, err := EncodeHTML(s, nil, sampleFigures(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html", page)
	checkSelfContained(t, page, 2)

	// A real summary and a simulated one of the same scenario, no
	// CompareSim: the page sets them side by side.
	real := sample()
	real.Engine = "real"
	real.Algorithms[0].Latency.Mean = 13.3
	page, err = EncodeHTML(real, sample(), sampleFigures(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report-vs-sim.html", page)
	checkSelfContained(t, page, 2)
	if !strings.Contains(string(page), "<td>13.3</td><td>&#43;9.9%</td>") {
		t.Error("the real vs sim table lacks round-robin's mean: sim 12.1, real 13.3, +9.9%")
	}
}

// checkSelfContained checks that page fetches nothing: every src is a data:
// URI, no script, no stylesheet link; and that it has n images.
func checkSelfContained(t *testing.T, page []byte, n int) {
	t.Helper()
	p := string(page)
	if strings.Contains(p, "<script") || strings.Contains(p, "<link") || strings.Contains(p, "@import") {
		t.Error("page has a script, a link or an @import")
	}
	srcs := regexp.MustCompile(`src="([^"]*)"`).FindAllStringSubmatch(p, -1)
	if len(srcs) != n {
		t.Errorf("%d src attributes, want %d", len(srcs), n)
	}
	for _, m := range srcs {
		if !strings.HasPrefix(m[1], "data:image/png;base64,") {
			t.Errorf("src %.40q is not a data: URI", m[1])
		}
	}
	if strings.Contains(p, "<and>") {
		t.Error("the description is not escaped")
	}
}

func TestHTMLEdgeCases(t *testing.T) {
	// Nothing but a name: no figures, no algorithms, no resolved scenario.
	page, err := EncodeHTML(&Summary{Scenario: "empty", Engine: "sim"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "<h1>empty</h1>") || strings.Contains(string(page), `id="charts"`) {
		t.Errorf("unexpected page:\n%s", page)
	}
	if _, err := EncodeHTML(nil, nil, nil); err == nil {
		t.Error("EncodeHTML(nil) succeeded")
	}
	bad := sample()
	bad.ScenarioResolved = map[string]any{"x": func() {}}
	if _, err := EncodeHTML(bad, nil, nil); err == nil {
		t.Error("an unencodable scenario_resolved went unnoticed")
	}
}

func TestWriteHTML(t *testing.T) {
	dir := t.TempDir()
	if err := WriteHTML(dir, sample(), nil, sampleFigures(t)); err != nil {
		t.Fatal(err)
	}
	assertFiles(t, dir, ReportHTML)
	data, err := os.ReadFile(filepath.Join(dir, ReportHTML))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := EncodeHTML(sample(), nil, sampleFigures(t))
	if !bytes.Equal(data, want) {
		t.Error("report.html differs from EncodeHTML's bytes")
	}
	// Into a directory that is not there: an error, nothing written.
	if err := WriteHTML(filepath.Join(dir, "missing"), sample(), nil, nil); err == nil {
		t.Error("WriteHTML into a missing directory succeeded")
	}
}

// TestHTMLRigCorrected: with rig corrections, the compare section has each
// "+ rig" row under its raw one and says how much of each gap the rig
// explains; without them (TestHTMLGolden) the section is as before.
func TestHTMLRigCorrected(t *testing.T) {
	s := sample()
	s.CompareSim = sampleRigComparison()
	page, err := EncodeHTML(s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{
		"<tr><td>round-robin</td><td>15.1</td><td>16.0</td>",
		"</tr>\n<tr><td>&#43; rig</td><td>15.9</td><td>16.0</td><td>&#43;0.9%</td>",
		"plus the rig’s own latency",
		"<li>round-robin: rig explains 84% of the mean gap (real - sim: &#43;0.890 ms raw, &#43;0.140 ms rig-corrected)</li>",
		"<li>p2c: the rig correction widens the mean gap",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if n := strings.Count(html, "<td>&#43; rig</td>"); n != 2 {
		t.Errorf("report.html has %d rig-corrected rows, want 2", n)
	}
}

// TestHTMLVerdict: the verdict sits above the results table; the
// recommended algorithm's own reason is its first line, not a list item,
// so a run of one algorithm gets no empty list.
func TestHTMLVerdict(t *testing.T) {
	tests := []struct {
		name    string
		v       *Verdict
		want    []string
		notWant []string
	}{
		{"two algorithms", sampleVerdict(),
			[]string{"<strong>Run round-robin</strong>", "<li>p3c, fast: error rate 0.25% against round-robin&#39;s 0.495%</li>"},
			[]string{"<li>round-robin: best error rate"}},
		{"one algorithm", &Verdict{Recommend: "solo", Why: "the only one", Test: "not tested: one seed",
			Objectives: []VerdictObjective{{Figure: "p99_ms", Best: "solo", Value: 1}},
			Reasons:    []VerdictReason{{Label: "solo", Rule: "only", Text: "solo: the only algorithm in the run"}}},
			[]string{"<strong>Run solo</strong>: the only one (not tested: one seed).", "<li>p99 latency: solo 1.00 ms</li>"},
			[]string{"<ul>\n</ul>", "the only algorithm in the run"}},
		{"no verdict", nil, nil, []string{`id="verdict"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sample()
			s.Verdict = tt.v
			data, err := EncodeHTML(s, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			page := string(data)
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(page, w) {
					t.Errorf("page has %q", w)
				}
			}
			if v, r := strings.Index(page, `id="verdict"`), strings.Index(page, `id="results"`); tt.v != nil && (v < 0 || v > r) {
				t.Errorf("the verdict (at %d) is not above the results (at %d)", v, r)
			}
		})
	}
}
