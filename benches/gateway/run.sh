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
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
RATE=${RATE:-1000}
ROUNDS=${ROUNDS:-1}
WARMUP=${WARMUP:-2}
# shellcheck source=benches/gateway/setup.sh
source "$(dirname "$0")/setup.sh"

# CPU time (in clock ticks) the given processes have used so far, all threads: in user
# space only (WHAT = user), or with the kernel's (WHAT = all).
ticks() {
  local what=$1 t=0 p
  shift
  for p in "$@"; do
    t=$(( t + $(awk -v w="$what" '{ print (w == "user") ? $14 : $14 + $15 }' "/proc/$p/stat") ))
  done
  echo "$t"
}
HZ=$(getconf CLK_TCK)
# Microseconds per request of TICKS clock ticks over R requests/s for DURATION seconds.
per_request() { awk -v t="$1" -v r="$2" -v d="$DURATION" -v hz="$HZ" 'BEGIN { printf "%.0f", t / hz * 1e6 / (r * d) }'; }
# Requests/s under wrk; also sets CPU_PROXY and CPU_UP, the microseconds of CPU the proxy
# (the pids in PROXY_PIDS, none for the direct case) and the upstream spent per request,
# and USER_PROXY, the proxy's share in user space (the rest is the kernel's).
rps_cpu() {
  local p0 pu0 u0 out r
  p0=$(ticks all ${PROXY_PIDS:-}); pu0=$(ticks user ${PROXY_PIDS:-}); u0=$(ticks all "$UP_PID")
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" "$@")
  r=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  CPU_PROXY=$(per_request "$(( $(ticks all ${PROXY_PIDS:-}) - p0 ))" "$r")
  USER_PROXY=$(per_request "$(( $(ticks user ${PROXY_PIDS:-}) - pu0 ))" "$r")
  CPU_UP=$(per_request "$(( $(ticks all "$UP_PID") - u0 ))" "$r")
  RPS=$r
  # The share of one core the upstream (one worker) was busy: near 100%, it is the
  # bottleneck, and no proxy in front of it can answer more requests.
  UP_BUSY=$(awk -v r="$r" -v u="$CPU_UP" 'BEGIN { printf "%.0f", r * u / 1e4 }')
}
warm() { wrk -t2 -c"$CONNS" -d"${WARMUP}s" "$@" >/dev/null; }
lat() { target/release/examples/load-rate "$1" "$RATE" "$DURATION" "${@:2}"; }
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

warm "${UP_AUTH[@]}" "$DIRECT_URL"; warm "${UP_AUTH[@]}" "$NGINX_URL"; warm "${GW_AUTH[@]}" "$GW_URL"; warm "$FLOOR_URL"

echo "throughput (wrk, $CONNS connections, ${DURATION}s each, $ROUNDS round(s)) ..."
printf '%-6s %12s %12s %12s %12s %16s %14s\n' "round" "direct r/s" "nginx r/s" "custgate r/s" "floor r/s" "custgate/nginx" "floor/nginx"
ratios=()
floor_ratios=()
cpu_rows=()
for round in $(seq 1 "$ROUNDS"); do
  PROXY_PIDS="" rps_cpu "${UP_AUTH[@]}" "$DIRECT_URL"; direct_rps=$RPS; cpu_rows+=("$round direct - - $CPU_UP $UP_BUSY")
  PROXY_PIDS="$NGINX_PIDS" rps_cpu "${UP_AUTH[@]}" "$NGINX_URL"; nginx_rps=$RPS; cpu_rows+=("$round nginx $CPU_PROXY $USER_PROXY $CPU_UP $UP_BUSY")
  PROXY_PIDS="$GW_PID" rps_cpu "${GW_AUTH[@]}" "$GW_URL"; gw_rps=$RPS; cpu_rows+=("$round custgate $CPU_PROXY $USER_PROXY $CPU_UP $UP_BUSY")
  PROXY_PIDS="$FLOOR_PID" rps_cpu "$FLOOR_URL"; floor_rps=$RPS; cpu_rows+=("$round floor $CPU_PROXY $USER_PROXY $CPU_UP $UP_BUSY")
  ratios+=("$(ratio "$gw_rps" "$nginx_rps")")
  floor_ratios+=("$(ratio "$floor_rps" "$nginx_rps")")
  printf '%-6s %12s %12s %12s %12s %16s %14s\n' "$round" "$direct_rps" "$nginx_rps" "$gw_rps" "$floor_rps" "${ratios[-1]}" "${floor_ratios[-1]}"
done
# With client, proxy and upstream sharing the machine's cores, throughput follows the CPU
# each request costs in total, so the proxies' own CPU per request is printed next to it.
echo
echo "CPU per request (us, user + system, all threads, from /proc/<pid>/stat; 'of it user': the proxy's user-space share)"
printf '%-6s %-10s %10s %12s %12s %14s\n' "round" "path" "proxy us" "of it user" "upstream us" "upstream busy"
for row in "${cpu_rows[@]}"; do printf '%-6s %-10s %10s %12s %12s %13s%%\n' $row; done
# Medians over the rounds of one column (3: proxy, 4: of it user, 5: upstream, 6: the
# upstream's busy share of one core) for a path.
cpu_median() { printf '%s\n' "${cpu_rows[@]}" | awk -v p="$1" -v c="$2" '$2 == p { print $c }' | tr '\n' ' ' | median; }
echo
median_ratio=$(echo "${ratios[*]}" | median)
median_floor=$(echo "${floor_ratios[*]}" | median)

# Latency rounds, interleaved like the throughput rounds: one stall of the machine can
# make one run's p99, so each path's figure is the median over the rounds, and the
# added p99 the median of each round's difference from the direct path.
echo "latency at $RATE req/s (${DURATION}s each, $ROUNDS round(s)) ..."
p99() { field p99_us "$1"; }
declare -A p50s p99s added errors
for round in $(seq 1 "$ROUNDS"); do
  direct_lat=$(lat "$DIRECT_URL" "Authorization: Bearer dev-odata-demo" "CompanyKey: 11111111-1111-4111-8111-111111111111")
  nginx_lat=$(lat "$NGINX_URL" "Authorization: Bearer dev-odata-demo" "CompanyKey: 11111111-1111-4111-8111-111111111111")
  gw_lat=$(lat "$GW_URL" "Authorization: Bearer $TOKEN")
  floor_lat=$(lat "$FLOOR_URL")
  for path in direct nginx gw floor; do
    var="${path}_lat"
    p50s[$path]+="$(field p50_us "${!var}") "
    p99s[$path]+="$(p99 "${!var}") "
    added[$path]+="$(( $(p99 "${!var}") - $(p99 "$direct_lat") )) "
    errors[$path]=$(( ${errors[$path]:-0} + $(field errors "${!var}") ))
  done
  printf '  round %s p99 us: direct %s, nginx %s, custgate %s, floor %s\n' "$round" \
    "$(p99 "$direct_lat")" "$(p99 "$nginx_lat")" "$(p99 "$gw_lat")" "$(p99 "$floor_lat")"
done
med() { echo "$1" | median; }

printf '\n%-34s %12s %10s %10s %10s %8s\n' "path" "wrk r/s" "p50 us" "p99 us" "+p99 us" "errors"
printf '%-34s %12s %10s %10s %10s %8s\n' "(medians; r/s of the last round)" "" "" "" "" ""
row() { printf '%-34s %12s %10s %10s %10s %8s\n' "$1" "$2" "$(med "${p50s[$3]}")" "$(med "${p99s[$3]}")" "$4" "${errors[$3]}"; }
row "client -> upstream" "$direct_rps" direct "-"
row "client -> nginx -> upstream" "$nginx_rps" nginx "$(med "${added[nginx]}")"
row "client -> custgate -> upstream" "$gw_rps" gw "$(med "${added[gw]}")"
row "client -> floor -> upstream" "$floor_rps" floor "$(med "${added[floor]}")"
echo
echo "custgate / nginx throughput: $median_ratio (median of $ROUNDS round(s); target >= 1.0)"
for path in nginx custgate floor; do
  printf 'CPU per request, %s: %s us (user %s us), upstream behind it %s us, busy %s%% of a core (medians)\n' \
    "$path" "$(cpu_median "$path" 3)" "$(cpu_median "$path" 4)" "$(cpu_median "$path" 5)" \
    "$(cpu_median "$path" 6)"
done
echo "the upstream alone (direct): $(cpu_median direct 5) us per request, busy $(cpu_median direct 6)% of a core (medians)"
echo "floor / nginx throughput (the control): $median_floor"
echo "custgate added p99 at $RATE req/s: $(med "${added[gw]}") us (median of $ROUNDS round(s); target <= 1000)"
