#!/usr/bin/env bash
# Runs an N-node Weaviate cluster on loopback, one process and data dir per
# node, for reef's cluster store (docs/SCALING.md).
#
#   scripts/weaviate-cluster.sh start  [N]   start N nodes (default 3), wait until all are HEALTHY
#   scripts/weaviate-cluster.sh stop         stop every node of the cluster
#   scripts/weaviate-cluster.sh status       list the nodes and their state
#   scripts/weaviate-cluster.sh kill   I     kill -9 node I (fault tests)
#   scripts/weaviate-cluster.sh revive I     restart node I on its data dir
#
# Node I (1-based) listens on HTTP 8080+10·(I-1)... see ports() below. Every
# node is started from a clean environment (env -i) so nothing inherited
# changes it. Auto-schema is off: reef declares every property it writes
# (typed, filterable), so nothing undeclared slips in. Weaviate 1.35.2 binds its gRPC and internal data ports on all
# interfaces (no setting changes it): send traffic only to 127.0.0.1.
#
# Environment: WEAVIATE_BIN (default third_party/weaviate/weaviate-server,
# built by `make weaviate`), WEAVIATE_DIR (default ./weaviate-data: node data,
# logs and pids), WEAVIATE_BASE_PORT (default 18080).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${WEAVIATE_BIN:-third_party/weaviate/weaviate-server}
dir=$(realpath -m "${WEAVIATE_DIR:-weaviate-data}")
base=${WEAVIATE_BASE_PORT:-18080}

# ports I sets the ports of node I: 10 consecutive ports per node.
ports() {
  local o=$((base + 10 * ($1 - 1)))
  http=$o grpc=$((o + 1)) gossip=$((o + 2)) data=$((o + 3)) raft=$((o + 4)) raftrpc=$((o + 5))
}

size() { cat "$dir/size" 2>/dev/null || echo 0; }

start_node() {
  local i=$1 n=$2 join="" rjoin=""
  for j in $(seq 1 "$n"); do
    ports "$j"
    join+="${join:+,}127.0.0.1:$gossip"
    rjoin+="${rjoin:+,}node$j:$raft"
  done
  ports "$i"
  mkdir -p "$dir/node$i"
  env -i PATH=/usr/bin:/bin HOME="$dir" \
    PERSISTENCE_DATA_PATH="$dir/node$i" CLUSTER_HOSTNAME="node$i" \
    CLUSTER_IN_LOCALHOST=true CLUSTER_BIND_ADDR=127.0.0.1 \
    CLUSTER_GOSSIP_BIND_PORT=$gossip CLUSTER_DATA_BIND_PORT=$data CLUSTER_JOIN="$join" \
    RAFT_PORT=$raft RAFT_INTERNAL_RPC_PORT=$raftrpc RAFT_JOIN="$rjoin" RAFT_BOOTSTRAP_EXPECT="$n" \
    GRPC_PORT=$grpc AUTHENTICATION_ANONYMOUS_ACCESS_ENABLED=true \
    DEFAULT_VECTORIZER_MODULE=none ENABLE_MODULES= DISABLE_TELEMETRY=true \
    GO_PROFILING_DISABLE=true QUERY_DEFAULTS_LIMIT=100 AUTOSCHEMA_ENABLED=false \
    "$bin" --scheme http --host 127.0.0.1 --port "$http" \
    --read-timeout=600s --write-timeout=600s >>"$dir/node$i.log" 2>&1 &
  echo $! >"$dir/node$i.pid"
}

healthy() { # healthy N: every node is ready and node 1 sees N HEALTHY
  local out i
  for i in $(seq 1 "$1"); do
    ports "$i"
    curl -fsS -o /dev/null "http://127.0.0.1:$http/v1/.well-known/ready" 2>/dev/null || return 1
  done
  ports 1
  out=$(curl -fsS "http://127.0.0.1:$http/v1/nodes" 2>/dev/null) || return 1
  [ "$(grep -o '"status":"HEALTHY"' <<<"$out" | wc -l)" -ge "$1" ]
}

wait_healthy() {
  for _ in $(seq 1 120); do
    healthy "$1" && return 0
    sleep 0.5
  done
  echo "weaviate-cluster: $1 nodes not HEALTHY after 60 s (logs in $dir/node*.log)" >&2
  return 1
}

alive() { [ -f "$dir/node$1.pid" ] && kill -0 "$(cat "$dir/node$1.pid")" 2>/dev/null; }

cmd=${1:-status}
case $cmd in
start)
  n=${2:-3}
  [ -x "$bin" ] || { echo "weaviate-cluster: $bin missing: run \`make weaviate\`" >&2; exit 1; }
  if [ "$(size)" != 0 ] && alive 1; then
    echo "weaviate-cluster: already running ($(size) nodes); stop it first" >&2; exit 1
  fi
  mkdir -p "$dir"
  echo "$n" >"$dir/size"
  for i in $(seq 1 "$n"); do start_node "$i" "$n"; done
  wait_healthy "$n"
  ports 1
  echo "weaviate-cluster: $n nodes HEALTHY; node 1 at http://127.0.0.1:$http (gRPC $grpc)"
  ;;
stop)
  for i in $(seq 1 "$(size)"); do
    alive "$i" && kill "$(cat "$dir/node$i.pid")"
  done
  for i in $(seq 1 "$(size)"); do
    for _ in $(seq 1 40); do alive "$i" || break; sleep 0.25; done
    alive "$i" && kill -9 "$(cat "$dir/node$i.pid")"
    rm -f "$dir/node$i.pid"
  done
  echo "weaviate-cluster: stopped"
  ;;
status)
  n=$(size)
  [ "$n" != 0 ] || { echo "weaviate-cluster: not started"; exit 3; }
  up=0
  for i in $(seq 1 "$n"); do
    ports "$i"
    if alive "$i"; then state=running; up=$((up + 1)); else state=down; fi
    echo "node$i $state http=127.0.0.1:$http grpc=$grpc"
  done
  [ "$up" = "$n" ]
  ;;
kill)
  i=${2:?node number}
  alive "$i" && kill -9 "$(cat "$dir/node$i.pid")"
  rm -f "$dir/node$i.pid"
  ;;
revive)
  i=${2:?node number}
  alive "$i" || start_node "$i" "$(size)"
  wait_healthy "$(size)"
  ;;
*)
  sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
