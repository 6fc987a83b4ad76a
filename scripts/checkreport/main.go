// Command checkreport loads a report.html in headless Chromium over the
// DevTools protocol, through chromedp, and checks that it renders: no
// console message of level error, no uncaught exception, no request for
// anything but the page itself and data: URIs (the page must be
// self-contained), and every <img> decoded (naturalWidth > 0), as many as
// -images says. It saves a screenshot of the whole page for a person to
// look at.
//
//	go run . -chrome chromium -images 11 -screenshot out.png run/report.html
//
// It is a module of its own (scripts/checkreport/go.mod), so that chromedp
// and its protocol bindings stay out of Fulcrum's module; scripts/
// check-report.sh builds it. The protocol rather than --dump-dom or log
// scraping: a page without scripts cannot report its own images, and
// Chromium's log lines are not an interface; over the protocol the browser
// answers for itself.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
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
	pg, problems, err := check(ctx, *chrome, flag.Arg(0), *images, *shot)
	if err != nil {
		fmt.Fprintln(os.Stderr, "checkreport:", err)
		os.Exit(1)
	}
	fmt.Printf("checkreport: %s: %q, %d images rendered, %.0f px tall, %d problems\n",
		flag.Arg(0), pg.Title, pg.Total-len(pg.Broken), pg.Height, len(problems))
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "checkreport:", p)
		}
		os.Exit(1)
	}
}

// page is what the page says of itself once loaded.
type page struct {
	Total  int      `json:"total"`  // <img> elements
	Broken []string `json:"broken"` // those not decoded: alt text or the start of src
	Title  string   `json:"title"`
	Height float64  `json:"height"` // px
}

const pageExpr = `({
	total: document.images.length,
	broken: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 60)),
	title: document.title,
	height: document.documentElement.scrollHeight})`

// flags are Chromium's command line: headless in a container as root
// (no sandbox, no GPU, a tiny /dev/shm) on a machine with no network
// (nothing fetched in the background), with a fresh profile added by check.
// chromedp adds the DevTools pipe and about:blank.
var flags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("headless", true),
	chromedp.Flag("no-sandbox", true),
	chromedp.Flag("disable-gpu", true),
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("no-first-run", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-dev-shm-usage", true),
	chromedp.WindowSize(1200, 900),
}

// check loads report in chrome and returns what the page says of itself
// and the problems seen; an error is a failure to check at all.
func check(ctx context.Context, chrome, report string, wantImages int, shot string) (page, []string, error) {
	var pg page
	abs, err := filepath.Abs(report)
	if err != nil {
		return pg, nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return pg, nil, err
	}
	pageURL := (&url.URL{Scheme: "file", Path: abs}).String()

	profile, err := os.MkdirTemp("", "checkreport-profile-")
	if err != nil {
		return pg, nil, err
	}
	defer removeProfile(profile)
	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(chrome), chromedp.UserDataDir(profile)}, flags...)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()

	// Listen sees each event before the reply to any command that follows
	// it, so once the last command has returned every event the page
	// caused while loading and being looked at is in problems.
	var mu sync.Mutex
	var problems []string
	add := func(p string) {
		mu.Lock()
		problems = append(problems, p)
		mu.Unlock()
	}
	if err := chromedp.Listen(bctx, func(ev any) { observe(ev, pageURL, add) }); err != nil {
		return pg, nil, fmt.Errorf("starting %s: %w", chrome, err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		return pg, nil, fmt.Errorf("loading %s: %w", pageURL, err)
	}
	if pg, err = chromedp.Run(bctx, chromedp.Evaluate[page](pageExpr)); err != nil {
		return pg, nil, fmt.Errorf("evaluating the page: %w", err)
	}
	if shot != "" {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			return pg, nil, fmt.Errorf("screenshot: %w", err)
		}
		if err := os.WriteFile(shot, png, 0o644); err != nil {
			return pg, nil, err
		}
	}
	// Close the browser, so that no event comes in while problems is read.
	if err := chromedp.Cancel(bctx); err != nil && ctx.Err() == nil {
		return pg, nil, fmt.Errorf("closing %s: %w", chrome, err)
	}

	mu.Lock()
	defer mu.Unlock()
	switch {
	case pg.Total == 0:
		problems = append(problems, "the page has no <img>")
	case wantImages >= 0 && pg.Total != wantImages:
		problems = append(problems, fmt.Sprintf("the page has %d <img>, want %d (one per chart)", pg.Total, wantImages))
	}
	for _, b := range pg.Broken {
		problems = append(problems, "image not rendered: "+b)
	}
	return pg, problems, nil
}

// observe turns one protocol event into a problem, if it is one: a console
// error or assertion, an uncaught exception, a browser log entry of level
// error, or a request for anything but the page and data: URIs. It runs on
// chromedp's reader goroutine, so it only formats and appends.
func observe(ev any, pageURL string, add func(string)) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError && ev.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var words []string
		for _, a := range ev.Args {
			if a.Description != "" {
				words = append(words, a.Description)
			} else {
				words = append(words, strings.Trim(string(a.Value), `"`))
			}
		}
		add(fmt.Sprintf("console %s: %s", ev.Type, strings.Join(words, " ")))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		if d == nil {
			add("an uncaught exception")
			return
		}
		desc := ""
		if d.Exception != nil {
			desc = d.Exception.Description
		}
		add(fmt.Sprintf("%s: %s", d.Text, desc))
	case *log.EventEntryAdded:
		if ev.Entry != nil && ev.Entry.Level == log.EntryLevelError {
			add(fmt.Sprintf("console error: %s %s", ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		if ev.Request == nil {
			return
		}
		u := ev.Request.URL
		if u != pageURL && !strings.HasPrefix(u, "data:") && u != "about:blank" {
			add("the page fetched " + u + ": it must be self-contained")
		}
	}
}

// removeProfile removes Chromium's profile; its child processes can still
// write there for a moment after the browser has stopped.
func removeProfile(dir string) {
	for range 50 {
		if err := os.RemoveAll(dir); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
