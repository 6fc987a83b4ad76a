// Command checkreport loads a report.html in headless Chromium over the
// DevTools protocol and checks that it renders: no console message of
// level error, no uncaught exception, no request for anything but the page
// itself and data: URIs (the page must be self-contained), and every <img>
// decoded (naturalWidth > 0), as many as -images says. It saves a
// screenshot of the whole page for a person to look at.
//
//	go run ./scripts/checkreport -chrome chromium -images 11 -screenshot out.png run/report.html
//
// The protocol rather than --dump-dom or log scraping: a page without
// scripts cannot report its own images, and Chromium's log lines are not
// an interface; over the protocol the browser answers for itself.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/net/websocket"
)

func main() {
	chrome := flag.String("chrome", "chromium", "the Chromium binary")
	images := flag.Int("images", -1, "how many <img> the page must have (-1: at least one)")
	shot := flag.String("screenshot", "", "write a full-page PNG screenshot here")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: checkreport [-chrome BIN] [-images N] [-screenshot FILE] REPORT.html")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	problems, err := check(ctx, *chrome, flag.Arg(0), *images, *shot)
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkreport:", err)
		os.Exit(1)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "checkreport:", p)
		}
		os.Exit(1)
	}
}

func check(ctx context.Context, chrome, report string, wantImages int, shot string) ([]string, error) {
	abs, err := filepath.Abs(report)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, err
	}
	pageURL := (&url.URL{Scheme: "file", Path: abs}).String()

	profile, err := os.MkdirTemp("", "checkreport-profile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	const origin = "http://127.0.0.1"
	cmd := exec.CommandContext(ctx, chrome,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile,
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--remote-allow-origins="+origin,
		"--window-size=1200,900",
		"--disable-dev-shm-usage", // containers often have a tiny /dev/shm
		"about:blank")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", chrome, err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()

	// Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID".
	port := make(chan string, 1)
	var logTail []string
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if len(logTail) < 50 {
				logTail = append(logTail, line)
			}
			if _, rest, ok := strings.Cut(line, "DevTools listening on ws://"); ok {
				host, _, _ := strings.Cut(rest, "/")
				port <- host
			}
		}
		close(port)
	}()
	var host string
	select {
	case h, ok := <-port:
		if !ok {
			return nil, fmt.Errorf("%s exited before listening:\n%s", chrome, strings.Join(logTail, "\n"))
		}
		host = h
	case <-ctx.Done():
		return nil, fmt.Errorf("%s did not start: %w", chrome, ctx.Err())
	}

	wsURL, err := pageTarget(ctx, host)
	if err != nil {
		return nil, err
	}
	cfg, err := websocket.NewConfig(wsURL, origin)
	if err != nil {
		return nil, err
	}
	ws, err := cfg.DialContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", wsURL, err)
	}
	defer ws.Close()
	ws.MaxPayloadBytes = 256 << 20 // a full-page screenshot is a few MB
	c := newCDP(ws)
	go func() { <-ctx.Done(); ws.Close() }()

	for _, domain := range []string{"Runtime", "Log", "Network", "Page"} {
		if _, err := c.call(domain+".enable", nil); err != nil {
			return nil, err
		}
	}
	if _, err := c.call("Page.navigate", map[string]any{"url": pageURL}); err != nil {
		return nil, err
	}
	if err := c.waitFor(ctx, "Page.loadEventFired"); err != nil {
		return nil, fmt.Errorf("loading %s: %w", pageURL, err)
	}

	var problems []string
	res, err := c.call("Runtime.evaluate", map[string]any{
		"expression": `JSON.stringify({
			total: document.images.length,
			broken: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 60)),
			title: document.title,
			height: document.documentElement.scrollHeight})`,
		"returnByValue": true,
	})
	if err != nil {
		return nil, err
	}
	var eval struct {
		Result struct {
			Value string `json:"value"`
		} `json:"result"`
	}
	var pg struct {
		Total  int      `json:"total"`
		Broken []string `json:"broken"`
		Title  string   `json:"title"`
		Height float64  `json:"height"`
	}
	if err := json.Unmarshal(res, &eval); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(eval.Result.Value), &pg); err != nil {
		return nil, fmt.Errorf("evaluating the page: %v (%s)", err, res)
	}
	switch {
	case pg.Total == 0:
		problems = append(problems, "the page has no <img>")
	case wantImages >= 0 && pg.Total != wantImages:
		problems = append(problems, fmt.Sprintf("the page has %d <img>, want %d (one per chart)", pg.Total, wantImages))
	}
	for _, b := range pg.Broken {
		problems = append(problems, "image not rendered: "+b)
	}

	if shot != "" {
		data, err := c.call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true})
		if err != nil {
			return nil, err
		}
		var img struct {
			Data string `json:"data"`
		}
		if err := json.Unmarshal(data, &img); err != nil {
			return nil, err
		}
		png, err := base64.StdEncoding.DecodeString(img.Data)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			return nil, err
		}
	}

	// Everything the page said while loading and being looked at.
	for _, ev := range c.events {
		switch ev.Method {
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string `json:"type"`
				Args []struct {
					Value       any    `json:"value"`
					Description string `json:"description"`
				} `json:"args"`
			}
			json.Unmarshal(ev.Params, &p)
			if p.Type == "error" || p.Type == "assert" {
				var words []string
				for _, a := range p.Args {
					if a.Description != "" {
						words = append(words, a.Description)
					} else {
						words = append(words, fmt.Sprint(a.Value))
					}
				}
				problems = append(problems, fmt.Sprintf("console %s: %s", p.Type, strings.Join(words, " ")))
			}
		case "Runtime.exceptionThrown":
			var p struct {
				Details struct {
					Text      string `json:"text"`
					Exception struct {
						Description string `json:"description"`
					} `json:"exception"`
				} `json:"exceptionDetails"`
			}
			json.Unmarshal(ev.Params, &p)
			problems = append(problems, fmt.Sprintf("%s: %s", p.Details.Text, p.Details.Exception.Description))
		case "Log.entryAdded":
			var p struct {
				Entry struct {
					Level, Text, URL string
				} `json:"entry"`
			}
			json.Unmarshal(ev.Params, &p)
			if p.Entry.Level == "error" {
				problems = append(problems, fmt.Sprintf("console error: %s %s", p.Entry.Text, p.Entry.URL))
			}
		case "Network.requestWillBeSent":
			var p struct {
				Request struct {
					URL string `json:"url"`
				} `json:"request"`
			}
			json.Unmarshal(ev.Params, &p)
			u := p.Request.URL
			if u != pageURL && !strings.HasPrefix(u, "data:") && u != "about:blank" {
				problems = append(problems, "the page fetched "+u+": it must be self-contained")
			}
		}
	}
	fmt.Printf("checkreport: %s: %q, %d images rendered, %.0f px tall, %d problems\n",
		report, pg.Title, pg.Total-len(pg.Broken), pg.Height, len(problems))
	return problems, nil
}

// pageTarget returns the DevTools websocket URL of the browser's page.
func pageTarget(ctx context.Context, host string) (string, error) {
	for {
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+host+"/json/list", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			var targets []struct {
				Type, WebSocketDebuggerURL string
			}
			err = json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
			for _, t := range targets {
				if t.Type == "page" && t.WebSocketDebuggerURL != "" {
					return t.WebSocketDebuggerURL, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no page target at %s: %v", host, errors.Join(err, ctx.Err()))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// cdp is a DevTools protocol client: one call at a time, the events that
// arrive meanwhile kept in order.
type cdp struct {
	ws     *websocket.Conn
	next   int
	events []event
}

type event struct {
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

type message struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func newCDP(ws *websocket.Conn) *cdp { return &cdp{ws: ws} }

func (c *cdp) read() (message, error) {
	var raw []byte
	if err := websocket.Message.Receive(c.ws, &raw); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the browser closed the connection")
		}
		return message{}, err
	}
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		return message{}, err
	}
	if m.Method != "" {
		c.events = append(c.events, event{m.Method, m.Params})
	}
	return m, nil
}

// call sends method and returns its result, keeping the events read
// before it.
func (c *cdp) call(method string, params any) (json.RawMessage, error) {
	c.next++
	id := c.next
	if params == nil {
		params = struct{}{}
	}
	if err := websocket.JSON.Send(c.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	for {
		m, err := c.read()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		if m.ID != id {
			continue
		}
		if m.Error != nil {
			return nil, fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		return m.Result, nil
	}
}

// waitFor reads until the event method arrives (or has already).
func (c *cdp) waitFor(ctx context.Context, method string) error {
	for _, e := range c.events {
		if e.Method == method {
			return nil
		}
	}
	for {
		m, err := c.read()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if m.Method == method {
			return nil
		}
	}
}
