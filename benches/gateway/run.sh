#!/usr/bin/env bash
# Gateway mode under load, side by side in one run on loopback:
#
#   1. client -> upstream                      (an odata system: custgate serving odata)
#   2. client -> nginx (plain reverse proxy, keep-alive to the upstream) -> upstream
#   3. client -> custgate (front `tenant`, upstream `odata`) -> upstream
#   4. the control: client -> a bare actix-web + reqwest proxy (benches/gateway/floor.rs:
#      no authentication, translation or resilience) -> upstream, which shows what the
#      framework alone costs next to nginx
#
# Cases 1 and 2 send the upstream request custgate itself sends for case 3 (the odata
# query that finds a customer by name), so the three differ only by what is in between.
# Prints requests/s under wrk (closed loop, CONNS connections) and latency percentiles at
# a fixed RATE (open loop, benches/gateway/rate.rs), and the added p99 of each proxy.
#
#   benches/gateway/run.sh                     # 10 s per run, 1000 req/s for latency
#   DURATION=5 RATE=500 benches/gateway/run.sh
#   ROUNDS=3 DURATION=5 benches/gateway/run.sh # three interleaved throughput rounds, median ratio
#
# Each throughput round measures the three paths one right after the other, so they see
# about the same machine; on a shared machine compare the ratios, not the absolute figures.
#
# Needs wrk and nginx (apt-get install wrk nginx). Targets (issue 8): custgate's
# throughput >= nginx's; custgate's added p99 <= 1 ms at 1,000 requests/s.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-200}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
RATE=${RATE:-1000}
ROUNDS=${ROUNDS:-1}
WARMUP=${WARMUP:-2}
WORKERS=${WORKERS:-1}
UP_PORT=${UP_PORT:-18091}
NGINX_PORT=${NGINX_PORT:-18092}
GW_PORT=${GW_PORT:-18093}
FLOOR_PORT=${FLOOR_PORT:-18094}
for tool in wrk nginx curl; do
  command -v "$tool" >/dev/null || { echo "$tool is required: apt-get install $tool" >&2; exit 1; }
done

cargo build --release --quiet --bin custgate --example load-rate --example gateway-floor
TMP=$(mktemp -d)
cleanup() {
  kill "${UP_PID:-}" "${GW_PID:-}" "${FLOOR_PID:-}" 2>/dev/null || true
  [ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_for() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

# The upstream: an odata system with N customers, in memory.
CUSTGATE__SERVER__BIND=127.0.0.1:$UP_PORT CUSTGATE__SERVER__WORKERS=$WORKERS \
CUSTGATE__STORE__URL=memory:// CUSTGATE__LOG__FILTER=warn \
  target/release/custgate --config config/default.toml serve & UP_PID=$!
wait_for "http://127.0.0.1:$UP_PORT/healthz"
echo "seeding $N customers into the upstream"
for i in $(seq 1 "$N"); do
  printf '{"kind":"company","name":{"display":"Bench %05d"},"emails":[{"address":"b%05d@example.com"}],"phones":[{"number":"+4722%06d","kind":"phone"}]}' "$i" "$i" "$i" |
    curl -sf -o /dev/null -H 'Authorization: Bearer dev-unified-demo' -H 'Content-Type: application/json' \
      --data-binary @- "http://127.0.0.1:$UP_PORT/unified/v1/customers"
done

# nginx: a plain reverse proxy with keep-alive connections to the upstream.
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx.conf" <<NGINX
worker_processes $WORKERS;
pid $TMP/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx;
  proxy_temp_path $TMP/nginx;
  fastcgi_temp_path $TMP/nginx;
  uwsgi_temp_path $TMP/nginx;
  scgi_temp_path $TMP/nginx;
  upstream odata { server 127.0.0.1:$UP_PORT; keepalive 64; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://odata;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
NGINX
nginx -c "$TMP/nginx.conf" -p "$TMP/nginx" -g 'daemon on;'
for _ in $(seq 1 50); do [ -s "$TMP/nginx.pid" ] && break; sleep 0.1; done
NGINX_PIDS="$(cat "$TMP/nginx.pid") $(pgrep -P "$(cat "$TMP/nginx.pid")" | tr '\n' ' ')"

# custgate in gateway mode: tenant `demo` backed by the odata upstream.
sed -e '/^\[tenants.demo\]$/,+1{/^backend = /d}' config/default.toml >"$TMP/gateway.toml"
cat >>"$TMP/gateway.toml" <<TOML
[tenants.demo.backend]
kind = "upstream"
dialect = "odata"
[tenants.demo.backend.client]
token = "dev-odata-demo"
company_key = "11111111-1111-4111-8111-111111111111"
[tenants.demo.backend.client.upstream]
base_url = "http://127.0.0.1:$UP_PORT/"
TOML
CUSTGATE__SERVER__BIND=127.0.0.1:$GW_PORT CUSTGATE__SERVER__WORKERS=$WORKERS \
CUSTGATE__STORE__URL="sqlite://$TMP/gateway.db" CUSTGATE__LOG__FILTER=warn \
  target/release/custgate --config "$TMP/gateway.toml" serve & GW_PID=$!
wait_for "http://127.0.0.1:$GW_PORT/healthz"

NAME="Bench 00042"
TOKEN=$(target/release/custgate --config "$TMP/gateway.toml" token tenant --tenant demo)
FRONT="/api/customer/Bench%2000042"
# The odata request custgate sends for the front's request (odata client: find by name).
EXPAND=$(sed -n 's/^pub const READ_EXPAND: &str = "\(.*\)";$/\1/p' crates/dialects/odata/src/client.rs)
UPSTREAM_PATH="/api/biz/customers?$(python3 -c "import urllib.parse,sys; print(urllib.parse.urlencode([('expand', sys.argv[1]), ('filter', sys.argv[2]), ('orderby', 'ID')]))" "$EXPAND" "Info.Name eq '$NAME'")"
UP_AUTH=(-H "Authorization: Bearer dev-odata-demo" -H "CompanyKey: 11111111-1111-4111-8111-111111111111")
GW_AUTH=(-H "Authorization: Bearer $TOKEN")

target/release/examples/gateway-floor "$FLOOR_PORT" "http://127.0.0.1:$UP_PORT${UPSTREAM_PATH/Bench+00042/\{name\}}" \
  "Authorization: Bearer dev-odata-demo" "CompanyKey: 11111111-1111-4111-8111-111111111111" "Accept: application/json" & FLOOR_PID=$!
wait_for_port() { for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }
wait_for_port "$FLOOR_PORT"

# Every case answers the same customer before anything is measured.
curl -sf "${UP_AUTH[@]}" "http://127.0.0.1:$UP_PORT$UPSTREAM_PATH" | grep -q "$NAME"
curl -sf "${UP_AUTH[@]}" "http://127.0.0.1:$NGINX_PORT$UPSTREAM_PATH" | grep -q "$NAME"
curl -sf "${GW_AUTH[@]}" "http://127.0.0.1:$GW_PORT$FRONT" | grep -q "$NAME"
curl -sf "http://127.0.0.1:$FLOOR_PORT$FRONT" | grep -q "$NAME"

# CPU time (user + system, in clock ticks) the given processes have used so far, all threads.
ticks() { local t=0 p; for p in "$@"; do t=$(( t + $(awk '{ print $14 + $15 }' "/proc/$p/stat") )); done; echo "$t"; }
HZ=$(getconf CLK_TCK)
# Requests/s under wrk; also sets CPU_PROXY and CPU_UP, the microseconds of CPU the proxy
# (the pids in PROXY_PIDS, none for the direct case) and the upstream spent per request.
rps_cpu() {
  local p0 u0 out r
  p0=$(ticks ${PROXY_PIDS:-}); u0=$(ticks "$UP_PID")
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "$@")
  r=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  CPU_PROXY=$(awk -v t="$(( $(ticks ${PROXY_PIDS:-}) - p0 ))" -v r="$r" -v d="$DURATION" -v hz="$HZ" 'BEGIN { printf "%.0f", t / hz * 1e6 / (r * d) }')
  CPU_UP=$(awk -v t="$(( $(ticks "$UP_PID") - u0 ))" -v r="$r" -v d="$DURATION" -v hz="$HZ" 'BEGIN { printf "%.0f", t / hz * 1e6 / (r * d) }')
  RPS=$r
}
warm() { wrk -t2 -c"$CONNS" -d"${WARMUP}s" "$@" >/dev/null; }
lat() { target/release/examples/load-rate "$1" "$RATE" "$DURATION" "${@:2}"; }
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

DIRECT_URL="http://127.0.0.1:$UP_PORT$UPSTREAM_PATH"
NGINX_URL="http://127.0.0.1:$NGINX_PORT$UPSTREAM_PATH"
GW_URL="http://127.0.0.1:$GW_PORT$FRONT"
FLOOR_URL="http://127.0.0.1:$FLOOR_PORT$FRONT"
warm "${UP_AUTH[@]}" "$DIRECT_URL"; warm "${UP_AUTH[@]}" "$NGINX_URL"; warm "${GW_AUTH[@]}" "$GW_URL"; warm "$FLOOR_URL"

echo "throughput (wrk, $CONNS connections, ${DURATION}s each, $ROUNDS round(s)) ..."
printf '%-6s %12s %12s %12s %12s %16s %14s\n' "round" "direct r/s" "nginx r/s" "custgate r/s" "floor r/s" "custgate/nginx" "floor/nginx"
ratios=()
floor_ratios=()
cpu_rows=()
for round in $(seq 1 "$ROUNDS"); do
  PROXY_PIDS="" rps_cpu "${UP_AUTH[@]}" "$DIRECT_URL"; direct_rps=$RPS; cpu_rows+=("$round direct - $CPU_UP")
  PROXY_PIDS="$NGINX_PIDS" rps_cpu "${UP_AUTH[@]}" "$NGINX_URL"; nginx_rps=$RPS; cpu_rows+=("$round nginx $CPU_PROXY $CPU_UP")
  PROXY_PIDS="$GW_PID" rps_cpu "${GW_AUTH[@]}" "$GW_URL"; gw_rps=$RPS; cpu_rows+=("$round custgate $CPU_PROXY $CPU_UP")
  PROXY_PIDS="$FLOOR_PID" rps_cpu "$FLOOR_URL"; floor_rps=$RPS; cpu_rows+=("$round floor $CPU_PROXY $CPU_UP")
  ratios+=("$(ratio "$gw_rps" "$nginx_rps")")
  floor_ratios+=("$(ratio "$floor_rps" "$nginx_rps")")
  printf '%-6s %12s %12s %12s %12s %16s %14s\n' "$round" "$direct_rps" "$nginx_rps" "$gw_rps" "$floor_rps" "${ratios[-1]}" "${floor_ratios[-1]}"
done
# With client, proxy and upstream sharing the machine's cores, throughput follows the CPU
# each request costs in total, so the proxies' own CPU per request is printed next to it.
echo
echo "CPU per request (us, user + system, all threads, from /proc/<pid>/stat)"
printf '%-6s %-10s %10s %12s\n' "round" "path" "proxy us" "upstream us"
for row in "${cpu_rows[@]}"; do printf '%-6s %-10s %10s %12s\n' $row; done
echo
median_ratio=$(echo "${ratios[*]}" | median)
median_floor=$(echo "${floor_ratios[*]}" | median)

echo "latency at $RATE req/s (${DURATION}s each) ..."
direct_lat=$(lat "$DIRECT_URL" "Authorization: Bearer dev-odata-demo" "CompanyKey: 11111111-1111-4111-8111-111111111111")
nginx_lat=$(lat "$NGINX_URL" "Authorization: Bearer dev-odata-demo" "CompanyKey: 11111111-1111-4111-8111-111111111111")
gw_lat=$(lat "$GW_URL" "Authorization: Bearer $TOKEN")
floor_lat=$(lat "$FLOOR_URL")

p99() { field p99_us "$1"; }
printf '\n%-34s %12s %10s %10s %10s %8s\n' "path (last round)" "wrk r/s" "p50 us" "p99 us" "+p99 us" "errors"
row() { printf '%-34s %12s %10s %10s %10s %8s\n' "$1" "$2" "$(field p50_us "$3")" "$(p99 "$3")" "$4" "$(field errors "$3")"; }
row "client -> upstream" "$direct_rps" "$direct_lat" "-"
row "client -> nginx -> upstream" "$nginx_rps" "$nginx_lat" "$(( $(p99 "$nginx_lat") - $(p99 "$direct_lat") ))"
row "client -> custgate -> upstream" "$gw_rps" "$gw_lat" "$(( $(p99 "$gw_lat") - $(p99 "$direct_lat") ))"
row "client -> floor -> upstream" "$floor_rps" "$floor_lat" "$(( $(p99 "$floor_lat") - $(p99 "$direct_lat") ))"
echo
echo "custgate / nginx throughput: $median_ratio (median of $ROUNDS round(s); target >= 1.0)"
echo "floor / nginx throughput (the control): $median_floor"
echo "custgate added p99 at $RATE req/s: $(( $(p99 "$gw_lat") - $(p99 "$direct_lat") )) us (target <= 1000)"
