#!/usr/bin/env bash
# A real Kubernetes control plane on loopback, built from Kubernetes' own
# Go modules at the versions pinned in ci/realapi/go.mod and go.sum.
#
#   ci/realapi.sh build        build (or reuse) etcd, kube-apiserver,
#                              kube-controller-manager and kubectl; print
#                              the folder that holds them
#   ci/realapi.sh up DIR       start etcd, kube-apiserver and
#                              kube-controller-manager with their state in
#                              DIR (which must not exist), wait until they
#                              are ready and write DIR/kubeconfig
#   ci/realapi.sh down DIR     stop every process `up` started; remove DIR
#
# DIR/kubeconfig has two contexts: `admin` (the current one, group
# system:masters) and `restricted` (user kreg-reader, whom RBAC allows only
# to get pods: list, watch and every write answer 403). No scheduler and no
# kubelet run: pods stay Pending until a client sets their phase through
# /status, and an unscheduled pod is deleted at once.
#
# Environment:
#   KREG_REALAPI_CACHE  where built binaries are kept, one folder per
#                       go.mod+go.sum digest (~/.cache/kreg-realapi)
#   KREG_REALAPI_BIN    use the binaries in this folder instead of building
#   KREG_REALAPI_PORTS  "ETCD_CLIENT ETCD_PEER APISERVER KCM" instead of
#                       free ports picked at random
#   KREG_REALAPI_READY_S  seconds each component may take to be ready (120)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mod=$here/realapi
ready_s=${KREG_REALAPI_READY_S:-120}

die() {
    echo "realapi: $*" >&2
    exit 1
}

# ---- build ----------------------------------------------------------------

# The binaries' folder for the pinned module versions, built if needed.
build() {
    local digest cache out ver time ldflags x tmp
    # shellcheck source=ci/go-env.sh
    source "$here/go-env.sh"
    [ -n "$KREG_GO" ] || die "cannot build the control plane: $KREG_GO_WHY"
    digest=$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-16)
    cache=${KREG_REALAPI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kreg-realapi}
    out=$cache/$digest
    if [ -x "$out/kubectl" ] && [ -x "$out/etcd" ] &&
        [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ]; then
        echo "$out"
        return 0
    fi
    # The version the binaries report (/version, kubectl version), as the
    # Kubernetes release build stamps it (hack/lib/version.sh).
    read -r ver time < <(cd "$mod" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
        "$KREG_GO" list -m -f '{{.Version}} {{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' \
        k8s.io/kubernetes)
    ldflags="-s -w"
    for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags="$ldflags -X $x.gitVersion=$ver -X $x.gitTreeState=clean"
        ldflags="$ldflags -X $x.buildDate=$time"
        ldflags="$ldflags -X $x.gitMajor=$(echo "$ver" | sed 's/^v\([0-9]*\)\..*/\1/')"
        ldflags="$ldflags -X $x.gitMinor=$(echo "$ver" | sed 's/^v[0-9]*\.\([0-9]*\)\..*/\1/')"
    done
    echo "realapi: building the control plane $ver with $("$KREG_GO" version)" >&2
    tmp=$(mktemp -d "${cache%/}.tmp.XXXXXX" 2>/dev/null) || {
        mkdir -p "$cache"
        tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
    }
    if ! (cd "$mod" && GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" \
        "$KREG_GO" build -trimpath -ldflags "$ldflags" -o "$tmp/" tool) >&2; then
        rm -rf "$tmp"
        die "building the control plane failed (see above)"
    fi
    # go names a module-root main package after its path less /v3
    mv "$tmp/server" "$tmp/etcd"
    mkdir -p "$cache"
    rm -rf "$out"
    mv "$tmp" "$out"
    echo "$out"
}

# ---- up -------------------------------------------------------------------

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

port_taken() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Stop the processes listed in DIR/pids, newest first, and wait for them.
stop_all() {
    local dir=$1 pid name i
    [ -f "$dir/pids" ] || return 0
    tac "$dir/pids" | while read -r pid name; do
        kill -TERM "$pid" 2>/dev/null || continue
        for i in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        # kube-apiserver may wait out its in-flight watches: nothing
        # it holds is kept, so it need not
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        : "$i"
    done
    rm -f "$dir/pids"
}

# start NAME BINARY ARGS...: run it in its own session, logging to
# DIR/logs/NAME.log, and note its pid.
start() {
    local name=$1 bin=$2
    shift 2
    [ -x "$bin" ] || fail_up "$name: binary $bin is missing"
    setsid "$bin" "$@" >"$dir/logs/$name.log" 2>&1 </dev/null &
    echo "$! $name" >>"$dir/pids"
}

fail_up() {
    echo "realapi: up failed: $*" >&2
    exit 1
}

# Show the last lines of NAME's log.
log_tail() {
    echo "---- last lines of $dir/logs/$1.log" >&2
    tail -n 25 "$dir/logs/$1.log" >&2 || true
    echo "----" >&2
}

# wait_ready NAME PORT CMD...: until CMD succeeds, at most $ready_s s;
# fails naming NAME, PORT and its log when NAME exits or time runs out.
wait_ready() {
    local name=$1 port=$2 pid deadline
    shift 2
    pid=$(awk -v n="$name" '$2 == n {print $1}' "$dir/pids")
    deadline=$((SECONDS + ready_s))
    until "$@" >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log_tail "$name"
            fail_up "$name (port $port) exited before it was ready"
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            log_tail "$name"
            fail_up "$name (port $port) not ready within ${ready_s} s"
        fi
        sleep 0.2
    done
}

make_certs() {
    local c=$dir/certs
    mkdir -p "$c"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=kreg-realapi-ca" \
        -keyout "$c/ca.key" -out "$c/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
        -keyout "$c/apiserver.key" -out "$c/apiserver.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n' >"$c/ext"
    openssl x509 -req -in "$c/apiserver.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" \
        -CAcreateserial -days 2 -extfile "$c/ext" -out "$c/apiserver.crt" 2>/dev/null
    openssl genrsa -out "$c/sa.key" 2048 2>/dev/null
    openssl rsa -in "$c/sa.key" -pubout -out "$c/sa.pub" 2>/dev/null
}

new_token() {
    od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

# kubeconfig FILE TOKEN USER [CONTEXT2 TOKEN2 USER2]
write_kubeconfig() {
    local file=$1 ca
    ca=$(base64 -w0 "$dir/certs/ca.crt")
    {
        echo "apiVersion: v1"
        echo "kind: Config"
        echo "clusters:"
        echo "- name: realapi"
        echo "  cluster:"
        echo "    server: https://127.0.0.1:$api_port"
        echo "    certificate-authority-data: $ca"
        echo "users:"
        echo "- name: $3"
        echo "  user: {token: $2}"
        if [ $# -gt 3 ]; then
            echo "- name: $6"
            echo "  user: {token: $5}"
        fi
        echo "contexts:"
        echo "- name: admin"
        echo "  context: {cluster: realapi, user: $3, namespace: default}"
        if [ $# -gt 3 ]; then
            echo "- name: $4"
            echo "  context: {cluster: realapi, user: $6, namespace: default}"
        fi
        echo "current-context: admin"
    } >"$file"
}

up() {
    dir=$1
    local bin admin_tok reader_tok kcm_tok p kc etcd_port peer_port kcm_port
    [ -e "$dir" ] && die "up: $dir exists (down it first, or name a new folder)"
    bin=${KREG_REALAPI_BIN:-$(build)}
    mkdir -p "$dir/logs" "$dir/etcd"
    dir=$(cd "$dir" && pwd)
    # a failed or interrupted up leaves nothing behind
    trap 'stop_all "$dir"; rm -rf "$dir"' EXIT
    trap 'exit 130' INT TERM

    if [ -n "${KREG_REALAPI_PORTS:-}" ]; then
        read -r etcd_port peer_port api_port kcm_port <<<"$KREG_REALAPI_PORTS"
        for p in "$etcd_port" "$peer_port" "$api_port" "$kcm_port"; do
            port_taken "$p" && fail_up "port $p on 127.0.0.1 is taken"
        done
    else
        etcd_port=$(free_port)
        peer_port=$(free_port)
        api_port=$(free_port)
        kcm_port=$(free_port)
    fi

    make_certs
    admin_tok=$(new_token)
    reader_tok=$(new_token)
    kcm_tok=$(new_token)
    {
        echo "$admin_tok,kreg-admin,kreg-admin,\"system:masters\""
        echo "$reader_tok,kreg-reader,kreg-reader"
        echo "$kcm_tok,system:kube-controller-manager,system:kube-controller-manager"
    } >"$dir/tokens.csv"
    chmod 600 "$dir/tokens.csv"

    start etcd "$bin/etcd" --name realapi --data-dir "$dir/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" \
        --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "realapi=http://127.0.0.1:$peer_port" \
        --unsafe-no-fsync --log-level warn
    wait_ready etcd "$etcd_port" curl -sf "http://127.0.0.1:$etcd_port/health"

    # The flags kind's kubeadm gives kube-apiserver that matter here; the
    # admission plugins are the defaults (ServiceAccount among them).
    start kube-apiserver "$bin/kube-apiserver" \
        --etcd-servers "http://127.0.0.1:$etcd_port" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
        --endpoint-reconciler-type none \
        --secure-port "$api_port" \
        --tls-cert-file "$dir/certs/apiserver.crt" \
        --tls-private-key-file "$dir/certs/apiserver.key" \
        --client-ca-file "$dir/certs/ca.crt" \
        --token-auth-file "$dir/tokens.csv" \
        --authorization-mode Node,RBAC \
        --allow-privileged=true \
        --enable-bootstrap-token-auth=false \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-account-key-file "$dir/certs/sa.pub" \
        --service-account-signing-key-file "$dir/certs/sa.key" \
        --service-cluster-ip-range 10.96.0.0/16 \
        --profiling=false --cert-dir "$dir/certs"
    wait_ready kube-apiserver "$api_port" curl -sf --cacert "$dir/certs/ca.crt" \
        -H "Authorization: Bearer $admin_tok" "https://127.0.0.1:$api_port/readyz"

    write_kubeconfig "$dir/kubeconfig" "$admin_tok" kreg-admin \
        restricted "$reader_tok" kreg-reader
    write_kubeconfig "$dir/kcm.kubeconfig" "$kcm_tok" \
        system:kube-controller-manager
    kc=("$bin/kubectl" --kubeconfig "$dir/kubeconfig")

    # Namespace deletion and ServiceAccounts (pods need their namespace's
    # `default` one) are the controllers the suite relies on.
    start kube-controller-manager "$bin/kube-controller-manager" \
        --kubeconfig "$dir/kcm.kubeconfig" \
        --authentication-kubeconfig "$dir/kcm.kubeconfig" \
        --authorization-kubeconfig "$dir/kcm.kubeconfig" \
        --bind-address 127.0.0.1 --secure-port "$kcm_port" \
        --cert-dir "$dir/certs/kcm" --leader-elect=false \
        --controllers namespace-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,root-ca-certificate-publisher-controller \
        --service-account-private-key-file "$dir/certs/sa.key" \
        --root-ca-file "$dir/certs/ca.crt" \
        --use-service-account-credentials=true
    wait_ready kube-controller-manager "$kcm_port" curl -sfk \
        "https://127.0.0.1:$kcm_port/healthz"
    wait_ready kube-controller-manager "$kcm_port" \
        "${kc[@]}" get serviceaccount default -n default

    # The restricted user: get pods, nothing else.
    "${kc[@]}" create clusterrole kreg-pod-getter --verb=get --resource=pods \
        >/dev/null
    "${kc[@]}" create clusterrolebinding kreg-reader-gets-pods \
        --clusterrole=kreg-pod-getter --user=kreg-reader >/dev/null
    wait_ready kube-apiserver "$api_port" "${kc[@]}" --context restricted \
        auth can-i get pods -n default

    trap - EXIT INT TERM
    echo "realapi: up: $("${kc[@]}" version -o json | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])') \
at https://127.0.0.1:$api_port, etcd 127.0.0.1:$etcd_port; KUBECONFIG=$dir/kubeconfig"
}

down() {
    local dir=$1
    [ -d "$dir" ] || return 0
    stop_all "$dir"
    rm -rf "$dir"
}

case ${1:-} in
build) build ;;
up) up "${2:?usage: realapi.sh up DIR}" ;;
down) down "${2:?usage: realapi.sh down DIR}" ;;
*)
    echo "usage: realapi.sh build | up DIR | down DIR" >&2
    exit 2
    ;;
esac
