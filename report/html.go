package report

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/fulcrum-lb/fulcrum/internal/atomicfile"
)

// ReportHTML is the name of the page WriteHTML writes into a run directory.
const ReportHTML = "report.html"

// Figure is a chart as report.html shows it: a PNG embedded in the page,
// shown at Width x Height CSS pixels, above its title and links to the
// chart's own files (Name.svg, Name.png) beside the page.
type Figure struct {
	Name   string
	Title  string
	PNG    []byte
	Width  int
	Height int
}

// WriteHTML writes report.html into dir, which must exist, atomically (a
// temporary file renamed into place). See EncodeHTML.
func WriteHTML(dir string, s, other *Summary, figs []Figure) error {
	page, err := EncodeHTML(s, other, figs)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteAll(dir, []atomicfile.File{{Name: ReportHTML, Data: page}}); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// EncodeHTML returns report.html: one self-contained page (inline CSS, the
// figures as data: URIs, no script, nothing fetched) with the scenario's
// description, its traffic when that is not plain (TrafficShape), and its
// resolved configuration, the verdict (Summary.Verdict) when there is one,
// the comparison table (the terminal table's
// columns), the per-class table when there are classes, s.CompareSim when
// present, and every figure in order. other, if not nil, is the same scenario on the other engine: the
// page then also sets each algorithm's latencies beside the other's (the
// figures should include their overlay). The same input gives the same
// bytes.
func EncodeHTML(s, other *Summary, figs []Figure) ([]byte, error) {
	if s == nil {
		return nil, errors.New("report: nil summary")
	}
	d := htmlData{S: s, Figures: make([]htmlFigure, len(figs))}
	// As summary.json has it, '<' and '&' unescaped: the template escapes
	// them for HTML.
	resolved, err := marshalIndent(s.ScenarioResolved)
	if err != nil {
		return nil, fmt.Errorf("report: scenario_resolved: %w", err)
	}
	d.Resolved = strings.TrimSuffix(string(resolved), "\n")
	var desc struct {
		Description string `json:"description"`
	}
	json.Unmarshal(resolved, &desc) // an unexpected shape just leaves it empty
	d.Description = desc.Description
	d.Traffic = shapedTraffic(s.ScenarioResolved)

	d.Header = tableHeader()
	for i := range s.Algorithms {
		d.Rows = append(d.Rows, tableRow(&s.Algorithms[i], false))
	}
	if rows := classRows(s); len(rows) > 0 {
		d.ClassHeader, d.ClassRows = classHeader(), rows
	}
	switch {
	case len(s.CompareSim) > 0:
		d.Compare = compareTable("sim", "real", s.CompareSim, true)
	case other != nil:
		d.Compare = compareTable(engineLabel(other, s), engineLabel(s, other), pairUp(other, s), false)
	}
	if v := s.Verdict; v != nil {
		for _, r := range v.Reasons {
			if r.Rule != "recommended" && r.Rule != "only" {
				d.VerdictReasons = append(d.VerdictReasons, r.Text)
			}
		}
	}
	for i, f := range figs {
		d.Figures[i] = htmlFigure{
			Figure: f,
			Src:    template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(f.PNG)),
		}
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("report: %s: %w", ReportHTML, err)
	}
	return buf.Bytes(), nil
}

type htmlData struct {
	S           *Summary
	Description string
	Traffic     string // TrafficShape's line, for traffic that is not plain
	Resolved    string
	Header      []string // the results table's, as the terminal table's
	Rows        [][]string
	ClassHeader []string // the per-class table's, when there are classes
	ClassRows   [][]string
	Compare     *htmlCompare
	Figures     []htmlFigure
	// VerdictReasons are the verdict's lines for the algorithms it does
	// not recommend (its first line speaks for the one it does).
	VerdictReasons []string
}

type htmlFigure struct {
	Figure
	Src template.URL
}

// htmlCompare is the table of two engines' latencies side by side.
type htmlCompare struct {
	A, B   string // column names: the reference first ("sim"), then "real"
	Header []string
	Rows   [][]string
	// Rig is set when some rows are rig-corrected ("+ rig" rows under the
	// raw ones); Notes then say how much of each mean gap the rig explains.
	Rig   bool
	Notes []string
}

// compareTable lays out cs as WriteComparison does; KS and W1 only if
// dist (they need both quantile grids, which only CompareSim has).
func compareTable(a, b string, cs []Comparison, dist bool) *htmlCompare {
	t := &htmlCompare{A: a, B: b, Header: []string{"label"}}
	for _, f := range []string{"mean", "p50", "p90", "p99"} {
		t.Header = append(t.Header, a+" "+f, b+" "+f, "diff")
	}
	if dist {
		t.Header = append(t.Header, "ks", "w1 ms")
	}
	for _, c := range cs {
		row := []string{c.Label,
			Sig3(c.Sim.Mean), Sig3(c.Real.Mean), pct(c.Rel.Mean),
			Sig3(c.Sim.P50), Sig3(c.Real.P50), pct(c.Rel.P50),
			Sig3(c.Sim.P90), Sig3(c.Real.P90), pct(c.Rel.P90),
			Sig3(c.Sim.P99), Sig3(c.Real.P99), pct(c.Rel.P99)}
		if dist {
			row = append(row, strconv.FormatFloat(c.KS, 'f', 3, 64), Sig3(c.W1))
		}
		t.Rows = append(t.Rows, row)
		if rc := c.RigCorrected; rc != nil && dist {
			// As WriteComparison: the corrected row right under the raw one.
			t.Rig = true
			t.Rows = append(t.Rows, []string{"+ rig",
				Sig3(rc.Sim.Mean), Sig3(rc.Real.Mean), pct(rc.Rel.Mean),
				Sig3(rc.Sim.P50), Sig3(rc.Real.P50), pct(rc.Rel.P50),
				Sig3(rc.Sim.P90), Sig3(rc.Real.P90), pct(rc.Rel.P90),
				Sig3(rc.Sim.P99), Sig3(rc.Real.P99), pct(rc.Rel.P99),
				strconv.FormatFloat(rc.KS, 'f', 3, 64), Sig3(rc.W1)})
			t.Notes = append(t.Notes, RigNote(c))
		}
	}
	return t
}

// pairUp compares the algorithms a and b have in common, in b's order:
// a's figures as Sim, b's as Real, Rel = (b - a)/a.
func pairUp(a, b *Summary) []Comparison {
	byLabel := map[string]*Algorithm{}
	for i := range a.Algorithms {
		byLabel[a.Algorithms[i].Label] = &a.Algorithms[i]
	}
	rel := func(x, ref float64) float64 {
		if ref == 0 {
			return 0
		}
		return (x - ref) / ref
	}
	var out []Comparison
	for _, y := range b.Algorithms {
		x, ok := byLabel[y.Label]
		if !ok {
			continue
		}
		c := Comparison{Label: y.Label,
			Sim:  ComparedLatency{x.Latency.Mean, x.Latency.P50, x.Latency.P90, x.Latency.P99},
			Real: ComparedLatency{y.Latency.Mean, y.Latency.P50, y.Latency.P90, y.Latency.P99},
		}
		c.Rel = ComparedLatency{rel(c.Real.Mean, c.Sim.Mean), rel(c.Real.P50, c.Sim.P50),
			rel(c.Real.P90, c.Sim.P90), rel(c.Real.P99, c.Sim.P99)}
		out = append(out, c)
	}
	return out
}

// engineLabel names s's engine in a table comparing it with o: "sim", or
// "sim seed 2" if both come from the same engine.
func engineLabel(s, o *Summary) string {
	if s.Engine == o.Engine {
		return s.Engine + " seed " + strconv.FormatUint(s.Seed, 10)
	}
	return s.Engine
}

var pageTemplate = template.Must(template.New(ReportHTML).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.S.Scenario}}: engine {{.S.Engine}}, seed {{.S.Seed}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Liberation Sans", Arial, sans-serif; color: #1a1a1a; margin: 2em auto; max-width: 1100px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.meta { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 0.5em 0; font-size: 14px; }
th, td { padding: 0.25em 0.5em; border-bottom: 1px solid #e4e4e4; text-align: right; white-space: nowrap; }
th { background: #f4f4f4; font-weight: 600; }
th:first-child, td:first-child { text-align: left; }
.scroll { overflow-x: auto; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 13px; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>{{.S.Scenario}}</h1>
<p class="meta">engine {{.S.Engine}} · seed {{.S.Seed}} · {{len .S.Algorithms}} algorithms</p>
{{- if .Description}}
<p>{{.Description}}</p>
{{- end}}
{{- if .Traffic}}
<p class="meta">{{.Traffic}}</p>
{{- end}}
<details>
<summary>Scenario, every default filled in</summary>
<pre>{{.Resolved}}</pre>
</details>
{{- with .S.Verdict}}

<h2 id="verdict">Verdict</h2>
<p><strong>{{if .Recommend}}Run {{.Recommend}}{{else}}No recommendation{{end}}</strong>: {{.Why}} ({{.Test}}).</p>
<ul>
{{- range .Objectives}}
<li>{{.Line}}</li>
{{- end}}
</ul>
{{- with $.VerdictReasons}}
<ul>
{{- range .}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Note}}
<p class="meta">{{.Note}}</p>
{{- end}}
{{- end}}

<h2 id="results">Results</h2>
<p>Latency in ms over completed requests after warm-up; errors of all causes; Jain's fairness index over servers.</p>
<div class="scroll"><table>
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{- range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</table></div>
{{- if .ClassRows}}

<h2 id="classes">Per class</h2>
<p>Each request class's figures: latency in ms over its completed requests after warm-up; errors of all causes.</p>
<div class="scroll"><table>
<tr>{{range $i, $c := .ClassHeader}}{{if eq $i 1}}<th style="text-align: left">{{$c}}</th>{{else}}<th>{{$c}}</th>{{end}}{{end}}</tr>
{{- range .ClassRows}}
<tr>{{range $i, $c := .}}{{if eq $i 1}}<td style="text-align: left">{{$c}}</td>{{else}}<td>{{$c}}</td>{{end}}{{end}}</tr>
{{- end}}
</table></div>
{{- end}}
{{- with .Compare}}

<h2 id="compare">{{.B}} vs {{.A}}</h2>
<p>Latency in ms; diff = ({{.B}} − {{.A}}) / {{.A}}.
{{- if .Rig}} Each “+ rig” row compares {{.B}} with {{.A}} plus the rig’s own latency (load generator, proxy, loopback hops), measured before the run with zero-service requests at the scenario’s rate (see run.json, rig_latency_ms).{{end}}</p>
<div class="scroll"><table>
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{- range .Rows}}
<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{- end}}
</table></div>
{{- with .Notes}}
<ul>
{{- range .}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- end}}
{{- if .Figures}}

<h2 id="charts">Charts</h2>
{{- range .Figures}}
<figure id="{{.Name}}">
<img src="{{.Src}}" width="{{.Width}}" height="{{.Height}}" alt="{{.Title}}">
<figcaption>{{.Title}} · <a href="{{.Name}}.svg">SVG</a> · <a href="{{.Name}}.png">PNG</a></figcaption>
</figure>
{{- end}}
{{- end}}
</body>
</html>
`))
