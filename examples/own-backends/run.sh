#!/usr/bin/env bash
# Starts three HTTP servers on 127.0.0.1:5001..5003 serving a small file
# (Python's http.server, or nginx with BACKEND=nginx), runs bench run on
# them through four algorithms (own-backends.yaml), and stops them, also
# on error or Ctrl-C.
#
#   bash examples/own-backends/run.sh [bench run flags, e.g. --requests 500 --out DIR]
#   BACKEND=nginx bash examples/own-backends/run.sh
#
# BENCH is the bench command (default: go run ./cmd/bench, from the
# repository's root).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
bench=${BENCH:-go run ./cmd/bench}

root=$(mktemp -d)
pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$root"
}
trap stop EXIT
trap 'exit 130' INT TERM

echo '<p>hello from your own backend</p>' > "$root/index.html"
for port in 5001 5002 5003; do
  case ${BACKEND:-python} in
  python)
    python3 -m http.server "$port" --bind 127.0.0.1 --directory "$root" >"$root/$port.log" 2>&1 &
    ;;
  nginx)
    # One nginx per port, in the foreground, everything it writes in $root.
    mkdir -p "$root/$port"
    cat >"$root/$port/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $root/$port/nginx.pid;
error_log $root/$port/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $root/$port/body;
    proxy_temp_path $root/$port/proxy;
    fastcgi_temp_path $root/$port/fastcgi;
    uwsgi_temp_path $root/$port/uwsgi;
    scgi_temp_path $root/$port/scgi;
    server { listen 127.0.0.1:$port; root $root; location / { } }
}
CONF
    "$(command -v nginx || echo /usr/sbin/nginx)" -p "$root/$port" -c "$root/$port/nginx.conf" -e "$root/$port/error.log" >"$root/$port.log" 2>&1 &
    ;;
  *) echo "run.sh: BACKEND=$BACKEND: want python or nginx" >&2; exit 2 ;;
  esac
  pids+=("$!")
done
# Wait until each answers (a port already taken makes python exit: say so).
for port in 5001 5002 5003; do
  for _ in $(seq 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/', timeout=1)" 2>/dev/null; then
      continue 2
    fi
    sleep 0.1
  done
  echo "run.sh: ${BACKEND:-python} on 127.0.0.1:$port did not answer:" >&2
  cat "$root/$port.log" >&2
  exit 1
done

$bench run "$here/own-backends.yaml" "$@"
