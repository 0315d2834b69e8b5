#!/usr/bin/env bash
# GET of one pod from fakeapi against nginx serving the same bytes as a
# static file, both with wrk on loopback in one run (issue 3 target:
# fakeapi at least half of nginx's requests/s).
# Usage: bench/wrk_vs_nginx.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
set -euo pipefail
build=${1:-build}
secs=${2:-5}
conns=${3:-32}
for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
        { echo "missing $tool (ci/install-deps.sh --bench installs it)"; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cat >"$work/pod.json" <<'JSON'
{"metadata":{"name":"web-0","namespace":"default","labels":{"app":"web","micro.mu/type":"service"}},"spec":{"containers":[{"name":"app","image":"registry.example.com/team/app:1.2.3","ports":[{"containerPort":8080,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}],"nodeName":"node-1"},"status":{"phase":"Running","podIP":"10.0.0.7","qosClass":"Burstable"}}
JSON
"$build/bin/fakeapi" --seed "$work/pod.json" >"$work/fakeapi.out" &
pids+=($!)
for _ in $(seq 1 100); do
    grep -q listening "$work/fakeapi.out" 2>/dev/null && break
    sleep 0.05
done
url=$(sed -n 's/^fakeapi listening on //p' "$work/fakeapi.out")
mkdir -p "$work/root"
curl -s "$url/api/v1/namespaces/default/pods/web-0" >"$work/root/pod"
size=$(wc -c <"$work/root/pod")

port=$((20000 + RANDOM % 20000))
cat >"$work/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/json;
    server {
        listen 127.0.0.1:$port;
        root $work/root;
    }
}
CONF
"$nginx_bin" -c "$work/nginx.conf" -p "$work" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/pod" >/dev/null 2>&1 && break
    sleep 0.05
done

run() {
    wrk -t2 -c"$conns" -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'
}
f=$(run "$url/api/v1/namespaces/default/pods/web-0")
n=$(run "http://127.0.0.1:$port/pod")
echo "body: $size bytes; wrk -t2 -c$conns -d${secs}s on 127.0.0.1"
echo "fakeapi GET pod: $f requests/s"
echo "nginx static file: $n requests/s"
awk -v f="$f" -v n="$n" 'BEGIN { printf "ratio fakeapi/nginx: %.2f\n", f / n }'
