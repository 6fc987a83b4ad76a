package plots

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/fulcrum-lb/fulcrum/report"
)

var update = flag.Bool("update", false, "rewrite testdata/*.svg from the current output")

// serversSummary is a hand-built summary of algs algorithms over n
// servers whose shares and utilisations differ from server to server
// (a fixed pattern, no randomness): server k of algorithm i gets
// 1000+((k*7919+i*104729)%613) requests and a utilisation between 0.5
// and 0.95.
func serversSummary(algs, n int) *report.Summary {
	s := &report.Summary{Scenario: "servers", Engine: "sim", Seed: 3}
	for i := range algs {
		a := report.Algorithm{
			Label: fmt.Sprintf("alg-%d", i), Algorithm: "random",
			Fairness: report.Fairness{Jain: 0.99 - 0.01*float64(i)},
		}
		for k := range n {
			h := (k*7919 + i*104729) % 613
			a.Servers = append(a.Servers, report.Server{
				Name:        fmt.Sprintf("s-%d", k),
				Requests:    int64(1000 + h),
				Utilization: 0.5 + 0.45*float64(h)/612,
			})
			a.Requests += int64(1000 + h)
		}
		a.Completed = a.Requests
		s.Algorithms = append(s.Algorithms, a)
	}
	return s
}

// Up to the threshold the servers chart is today's, to the byte: golden
// SVGs of the bar and the line forms (go test ./plots -run
// TestServersGolden -update rewrites them after a change made on purpose).
func TestServersGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		s    *report.Summary
	}{
		{"bars-2x4", serversSummary(2, 4)},
		{"lines-3x100", serversSummary(3, 100)},
		{"unknown-utilisation", func() *report.Summary {
			s := serversSummary(2, 3)
			s.Algorithms[1].Servers[1].Utilization = math.NaN()
			return s
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := render(serversChart(c.s), false)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join("testdata", "servers-"+c.name+".svg")
			if *update {
				if err := os.WriteFile(file, got.SVG, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test ./plots -run TestServersGolden -update writes it)", err)
			}
			if !bytes.Equal(got.SVG, want) {
				t.Errorf("servers chart differs from %s (%d bytes, want %d)", file, len(got.SVG), len(want))
			}
		})
	}
}
