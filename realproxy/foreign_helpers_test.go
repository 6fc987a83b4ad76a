package realproxy

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Someone else's servers for the tests of servers[].urls: real HTTP
// servers that are not Fulcrum's and send none of its headers, each on
// 127.0.0.1, stopped at the test's end.

// needBinary returns the path of an external program a test needs, or
// skips the test when it is missing; under CI (the environment variable
// CI set, where .ci/run installs it) it fails instead.
func needBinary(t testing.TB, name string, paths ...string) string {
	t.Helper()
	for _, p := range append(paths, name) {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := fmt.Sprintf("%s is not installed, so the real engine is not tested against it here (CI installs it: .ci/run)", name)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// freePort is a TCP port on 127.0.0.1 that was free a moment ago, for a
// program that takes its port on its command line.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess starts cmd, stops it (kill, then wait) at the test's end,
// and waits until url answers 200, failing the test if the process exits
// or 20s pass first.
func startProcess(t testing.TB, cmd *exec.Cmd, url string) {
	t.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				client.CloseIdleConnections()
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("%s exited before answering %s: %s", cmd.Path, url, out.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %s within 20s (%v): %s", cmd.Path, url, err, out.String())
		}
	}
}

// webRoot is a directory holding index.html, the file the servers serve.
func webRoot(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<p>hello from someone else's server</p>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startPython starts n of Python's http.server on a directory with a
// file and returns their URLs.
func startPython(t testing.TB, n int) []string {
	t.Helper()
	py := needBinary(t, "python3")
	root := webRoot(t)
	var urls []string
	for range n {
		port := freePort(t)
		u := fmt.Sprintf("http://127.0.0.1:%d", port)
		startProcess(t, exec.Command(py, "-m", "http.server", fmt.Sprint(port), "--bind", "127.0.0.1", "--directory", root), u+"/")
		urls = append(urls, u)
	}
	return urls
}

// nginxConf is a configuration for one nginx serving root on port, every
// file it writes in dir, in the foreground without a master process.
const nginxConf = `daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 512; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen 127.0.0.1:%[2]d;
        root %[3]s;
        location / { }
    }
}
`

// startNginx starts n of Debian's nginx, each serving a file from its
// own configuration in a temporary directory, and returns their URLs.
func startNginx(t testing.TB, n int) []string {
	t.Helper()
	bin := needBinary(t, "nginx", "/usr/sbin/nginx")
	root := webRoot(t)
	var urls []string
	for range n {
		dir, port := t.TempDir(), freePort(t)
		conf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxConf, dir, port, root)), 0o644); err != nil {
			t.Fatal(err)
		}
		u := fmt.Sprintf("http://127.0.0.1:%d", port)
		startProcess(t, exec.Command(bin, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log")), u+"/")
		urls = append(urls, u)
	}
	return urls
}

// startSleepers starts n plain Go HTTP servers that sleep for d and
// answer 200. Each also lies in Fulcrum's response headers, naming the
// last server (and, beside an emulated group, emu-0 half the time) as the
// one that answered and claiming a queue wait, so that a test sees the
// proxy's own accounting win over what someone else's server says.
func startSleepers(t testing.TB, n int, d time.Duration) []string {
	t.Helper()
	var urls []string
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var served atomic.Int64
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			timer := time.NewTimer(d)
			defer timer.Stop()
			select {
			case <-timer.C:
			case <-r.Context().Done():
				return
			}
			name := fmt.Sprintf("web-%d", n-1)
			if served.Add(1)%2 == 0 {
				name = "emu-0"
			}
			w.Header().Set("X-Fulcrum-Backend", name)
			w.Header().Set("X-Fulcrum-Queue", "5000")
			fmt.Fprintf(w, "slept %v on server %d\n", d, i)
		})}
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.Serve(l)
		}()
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(ctx)
			<-done
		})
		urls = append(urls, "http://"+l.Addr().String())
	}
	return urls
}

// startCounters starts n plain Go HTTP servers that answer 200 at once
// and count the requests they get, and returns their URLs and counts.
func startCounters(t testing.TB, n int) ([]string, []*atomic.Int64) {
	t.Helper()
	var urls []string
	var counts []*atomic.Int64
	for range n {
		c := new(atomic.Int64)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.Add(1) }))
		t.Cleanup(srv.Close)
		urls, counts = append(urls, srv.URL), append(counts, c)
	}
	return urls, counts
}
