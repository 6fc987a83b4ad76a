package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromium returns Debian's Chromium, skipping the test where it is missing
// unless CI is set (CI installs it: .ci/run, scripts/check-report.sh).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; CI must install it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); skipping the browser checks")
	return ""
}

// pngURI is a data: URI of a small PNG.
func pngURI(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

// TestCheck loads small pages in Chromium: a self-contained one with two
// images passes; each fault a report could have is reported, and only it.
func TestCheck(t *testing.T) {
	chrome := chromium(t)
	img := `<img alt="chart" src="` + pngURI(t) + `">`
	for _, tc := range []struct {
		name   string
		body   string
		images int      // -images
		want   []string // problems, by prefix, in order
	}{
		{"good", img + img, 2, nil},
		{"any count", img + img, -1, nil},
		{"broken image", img + `<img alt="cdf" src="data:image/png;base64,AAAA">`, 2, []string{"image not rendered: cdf"}},
		{"image missing", img, 2, []string{"the page has 1 <img>, want 2 (one per chart)"}},
		{"no image", `<p>nothing</p>`, -1, []string{"the page has no <img>"}},
		{"console error", img + `<script>console.error("no data for", 3, "servers")</script>`, 1, []string{"console error: no data for 3 servers"}},
		{"console assert", img + `<script>console.assert(1 === 2, "sums differ")</script>`, 1, []string{"console assert: sums differ"}},
		{"uncaught exception", img + `<script>throw new Error("boom")</script>`, 1, []string{"Uncaught: Error: boom"}},
		// Chromium also logs the failed load: a second problem.
		{"outside request", img + `<img alt="far" src="http://127.0.0.1:9/chart.png">`, 2, []string{
			"the page fetched http://127.0.0.1:9/chart.png: it must be self-contained", "console error: Failed to load resource", "image not rendered: far"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			report := filepath.Join(dir, "report.html")
			html := "<!doctype html><html><head><title>t</title></head><body>" + tc.body + "</body></html>"
			if err := os.WriteFile(report, []byte(html), 0o644); err != nil {
				t.Fatal(err)
			}
			shot := filepath.Join(dir, "shot.png")
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			pg, problems, err := check(ctx, chrome, report, tc.images, shot)
			if err != nil {
				t.Fatal(err)
			}
			if pg.Title != "t" {
				t.Errorf("title %q; want t", pg.Title)
			}
			if len(problems) != len(tc.want) {
				t.Fatalf("problems %q; want %d: %q", problems, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(problems[i], w) {
					t.Errorf("problem %d: %q; want it to start %q", i, problems[i], w)
				}
			}
			// The screenshot is a PNG of the page.
			f, err := os.Open(shot)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if cfg, err := png.DecodeConfig(f); err != nil || cfg.Width == 0 {
				t.Errorf("screenshot: %+v, %v", cfg, err)
			}
		})
	}
}

// TestCheckErrors: a missing report or browser is an error, not a pass.
func TestCheckErrors(t *testing.T) {
	ctx := context.Background()
	if _, _, err := check(ctx, "chromium", filepath.Join(t.TempDir(), "none.html"), -1, ""); err == nil {
		t.Error("a missing report: no error")
	}
	report := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(report, []byte("<img>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := check(ctx, filepath.Join(t.TempDir(), "no-such-chromium"), report, -1, ""); err == nil {
		t.Error("a missing browser: no error")
	}
}
