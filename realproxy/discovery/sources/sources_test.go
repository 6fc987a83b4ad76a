package sources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fulcrum-lb/fulcrum/internal/etcdtest"
	"github.com/fulcrum-lb/fulcrum/internal/leakcheck"
	"github.com/fulcrum-lb/fulcrum/realproxy/discovery"
)

// TestOpen: each scheme opens its source (a file relative to Base, a real
// etcd), which delivers its set; only the file reloads on demand; a bad URL
// is refused before anything is opened.
func TestOpen(t *testing.T) {
	leakcheck.Check(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "servers.json"), []byte(`["http://127.0.0.1:5001"]`), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := etcdtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	quiet := func(string, ...any) {}
	for _, tc := range []struct {
		url      string
		want     int // backends
		reloader bool
	}{
		{"file:servers.json", 1, true},
		{"file://" + filepath.Join(dir, "servers.json"), 1, true},
		{"etcd://" + srv.HostPort() + "/empty/", 0, false},
	} {
		src, err := Open(ctx, tc.url, Options{Base: dir, Logf: quiet})
		if err != nil {
			t.Errorf("Open(%s): %v", tc.url, err)
			continue
		}
		var got []discovery.Backend
		src.Subscribe(func(s []discovery.Backend) { got = s })()
		if _, ok := src.(Reloader); len(got) != tc.want || ok != tc.reloader {
			t.Errorf("Open(%s): set %v, reloader %v; want %d backends, reloader %v", tc.url, got, ok, tc.want, tc.reloader)
		}
		if err := src.Close(); err != nil {
			t.Errorf("Close(%s): %v", tc.url, err)
		}
	}
	if _, err := Open(ctx, "zk://127.0.0.1:2181/web", Options{}); err == nil || !strings.Contains(err.Error(), `unknown scheme "zk"`) {
		t.Errorf("Open(zk://...): %v", err)
	}
}
