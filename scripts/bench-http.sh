#!/usr/bin/env bash
# HTTP benchmarks of the auth path (see BENCHMARKS.md), run by `make bench`:
#
#  1. wrk -t2 -c64 -d10s on GET /v3/paths/list over keep-alive, first as a
#     plain-password user, then as an argon2id user; req/s of both and ratio.
#  2. A wrong-password flood: 200 keep-alive connections for user "victim"
#     for 10 s while one legitimate connection measures its latency, and the
#     argon2 verification counter is watched across the user quarantine
#     (internal/benchtool/flood).
#
# Everything listens on and connects to 127.0.0.1 only; the daemon is killed
# on exit. About 35 s; a watchdog ends the run after 110 s whatever happens.
# DURATION and FLOOD_DURATION (wrk/Go durations) shorten or lengthen it;
# WATCHDOG (seconds) moves the watchdog.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=bin/streamgate
WRK=${WRK:-wrk}
DURATION=${DURATION:-10s}
FLOOD_DURATION=${FLOOD_DURATION:-10s}
WATCHDOG=${WATCHDOG:-110} # seconds
# FLOOD_SPREAD=false sends the whole flood from 127.0.0.1, the legitimate
# user's address (one guesser behind the office's NAT): the flood's name is
# quarantined from that address after failedAttemptLimit, and the
# legitimate user, trusted there, is not.
FLOOD_SPREAD=${FLOOD_SPREAD:-true}

command -v "$WRK" >/dev/null || { echo "bench-http: wrk not found (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench-http: curl not found" >&2; exit 1; }
if [ ! -x "$BIN" ] || [ -n "$(find . -name '*.go' -newer "$BIN" -print -quit)" ]; then
  echo "building $BIN (missing or older than the sources)"
  go build -o "$BIN" ./cmd/streamgate
fi

tmp=$(mktemp -d)
pid=""
# Watchdog: stops the daemon first (wrk and the flood then end at once),
# then this script. Its sleep dies with it, so no pipe is held open.
(
  sleep "$WATCHDOG" &
  s=$!
  trap 'kill "$s" 2>/dev/null; exit 0' TERM
  wait "$s"
  echo "bench-http: over $WATCHDOG s, stopping" >&2
  [ -s "$tmp/pid" ] && kill "$(cat "$tmp/pid")" 2>/dev/null
  kill -TERM $$ 2>/dev/null
) &
watchdog=$!
cleanup() {
  kill "$watchdog" 2>/dev/null || true
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  if [ -n "$pid" ]; then wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Built rather than `go run`: the compile stays outside the flood's timeout,
# and the timeout stops the tool itself.
go build -o "$tmp/flood" ./internal/benchtool/flood

# A port below the ephemeral range (so no client socket holds it) that no
# socket uses; the daemon is restarted on new ports if binding still fails.
free_port() {
  local p lo
  lo=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % (lo - 20000)))
    if [ -z "$(ss -Htan "( sport = :$p )" 2>/dev/null)" ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  echo "bench-http: no free port found" >&2
  return 1
}

PLAIN_USER=plainuser PLAIN_PASS=plain-secret
ARGON_USER=argonuser ARGON_PASS=argon-secret
VICTIM_USER=victim VICTIM_PASS=victim-secret
argon_hash=$(printf '%s\n' "$ARGON_PASS" | "$BIN" hash --format mediamtx)
victim_hash=$(printf '%s\n' "$VICTIM_PASS" | "$BIN" hash --format mediamtx)

cfg=$tmp/streamgate.yml
write_config() {
  cat >"$cfg" <<EOF
logLevel: warn
api: yes
apiAddress: 127.0.0.1:$api_port
metrics: yes
metricsAddress: 127.0.0.1:$metrics_port
pprof: no
rtsp: no
rtmp: no
hls: no
webrtc: no
srt: no
gateway: no
authMethod: internal
authInternalUsers:
- user: $PLAIN_USER
  pass: $PLAIN_PASS
  permissions:
  - action: api
  - action: metrics
- user: $ARGON_USER
  pass: '$argon_hash'
  permissions:
  - action: api
  - action: metrics
- user: $VICTIM_USER
  pass: '$victim_hash'
  permissions:
  - action: api
EOF
}

start_daemon() { # 0 once /ready answers; 1 if the daemon exited
  "$BIN" "$cfg" 2>"$tmp/daemon.log" &
  pid=$!
  echo "$pid" >"$tmp/pid"
  for _ in $(seq 100); do
    curl -fs --max-time 5 "http://127.0.0.1:$api_port/ready" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid" 2>/dev/null || true
      pid=""
      return 1
    fi
    sleep 0.1
  done
  echo "bench-http: daemon not ready after 10 s" >&2
  cat "$tmp/daemon.log" >&2
  exit 1
}

for attempt in 1 2 3; do
  api_port=$(free_port)
  metrics_port=$(free_port)
  while [ "$metrics_port" = "$api_port" ]; do metrics_port=$(free_port); done
  write_config
  start_daemon && break
  if [ "$attempt" = 3 ] || ! grep -q "address already in use" "$tmp/daemon.log"; then
    echo "bench-http: daemon exited:" >&2
    cat "$tmp/daemon.log" >&2
    exit 1
  fi
done

basic() { printf '%s' "$1:$2" | base64 -w0; }
url="http://127.0.0.1:$api_port/v3/paths/list"
for u in "$PLAIN_USER:$PLAIN_PASS" "$ARGON_USER:$ARGON_PASS"; do
  code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "Authorization: Basic $(basic "${u%%:*}" "${u#*:}")" "$url")
  [ "$code" = 200 ] || { echo "bench-http: ${u%%:*}: HTTP $code" >&2; exit 1; }
done

argon2_runs() {
  curl -fs --max-time 5 -H "Authorization: Basic $(basic "$PLAIN_USER" "$PLAIN_PASS")" "http://127.0.0.1:$metrics_port/metrics" |
    awk '$1 == "streamgate_auth_argon2_verifications_total" { print $2 }'
}

run_wrk() { # name user pass: prints wrk's report, remembers req/s
  local out
  echo "== wrk -t2 -c64 -d$DURATION --latency GET /v3/paths/list as $1 ($2)"
  out=$(timeout 30 "$WRK" -t2 -c64 -d"$DURATION" --latency -H "Authorization: Basic $(basic "$2" "$3")" "$url")
  echo "$out"
  if echo "$out" | grep -q "Non-2xx"; then
    echo "bench-http: $1: non-2xx answers" >&2
    exit 1
  fi
  echo "$out" | awk '/^Requests\/sec:/ { print $2 }' >"$tmp/rps-$1"
}

echo "streamgate $("$BIN" version | awk '{print $2}') on 127.0.0.1:$api_port; $(nproc) CPUs"
runs0=$(argon2_runs)
run_wrk plain "$PLAIN_USER" "$PLAIN_PASS"
run_wrk argon2 "$ARGON_USER" "$ARGON_PASS"
runs1=$(argon2_runs)
plain_rps=$(cat "$tmp/rps-plain")
argon_rps=$(cat "$tmp/rps-argon2")
echo
echo "== summary"
printf 'plain user:  %s req/s\n' "$plain_rps"
printf 'argon2 user: %s req/s\n' "$argon_rps"
awk -v p="$plain_rps" -v a="$argon_rps" 'BEGIN {
  printf "ratio plain/argon2: %.2f (target: at most 2)\n", p / a
  printf "argon2 user >= 20000 req/s: %s; within 2x of plain: %s\n", (a >= 20000 ? "met" : "MISSED"), (p / a <= 2 ? "met" : "MISSED")
}'
echo "argon2 verifications: ${runs0%.*} before the wrk runs (first logins), +$((${runs1%.*} - ${runs0%.*})) during them"

echo
echo "== flood: 200 connections, wrong passwords for $VICTIM_USER, $FLOOD_DURATION"
timeout 45 "$tmp/flood" \
  -api "http://127.0.0.1:$api_port" -metrics "http://127.0.0.1:$metrics_port" \
  -victim "$VICTIM_USER" -user "$ARGON_USER" -pass "$ARGON_PASS" \
  -metrics-user "$PLAIN_USER" -metrics-pass "$PLAIN_PASS" \
  -conns 200 -duration "$FLOOD_DURATION" -spread="$FLOOD_SPREAD"

if [ -s "$tmp/daemon.log" ]; then
  echo
  echo "== daemon log (warn and above)"
  cat "$tmp/daemon.log"
fi
