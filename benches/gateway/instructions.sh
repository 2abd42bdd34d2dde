#!/usr/bin/env bash
# The CPU each proxy spends per request, as instructions counted by callgrind: the figure
# that does not move with what else the machine is doing (run.sh's throughput on a shared
# two-core machine moves by 20% from one round to the next). Each proxy of run.sh (nginx,
# custgate translating `tenant` to `odata`, the bare actix-web + reqwest control) is
# started once more under `valgrind --tool=callgrind`, warmed, and then counted over
# WINDOW seconds of a two-connection wrk; the count covers every thread of the proxy, in
# user space only (the kernel's share, about the same for the three, is not in it).
#
#   benches/gateway/instructions.sh            # 10 s windows
#   WINDOW=20 benches/gateway/instructions.sh
#   KEEP=1 benches/gateway/instructions.sh     # keeps the profiles (callgrind_annotate them)
#
# Needs valgrind, wrk and nginx (apt-get install valgrind wrk nginx).
set -euo pipefail
WINDOW=${WINDOW:-10}
KEEP=${KEEP:-}
VG_PORT=${VG_PORT:-18095}
command -v valgrind >/dev/null || { echo "valgrind is required: apt-get install valgrind" >&2; exit 1; }
# shellcheck source=benches/gateway/setup.sh
source "$(dirname "$0")/setup.sh"
OUT=${KEEP:+$PWD/target/callgrind}
OUT=${OUT:-$TMP/callgrind}
mkdir -p "$OUT"

# count NAME URL LABEL [wrk header options]: counts what STARTED_PID, the proxy just
# started under callgrind, spends on URL; prints the requests answered and the
# instructions per request, and stops the proxy.
count() {
  local name=$1 url=$2 label=$3 out n total file
  shift 3
  wrk -t1 -c2 -d3s --timeout 10s "$@" "$url" >/dev/null
  callgrind_control -z "$STARTED_PID" >/dev/null
  out=$(wrk -t1 -c2 -d"${WINDOW}s" --timeout 10s "$@" "$url")
  callgrind_control --dump="$name" "$STARTED_PID" >/dev/null
  n=$(awk '/requests in/ { print $1 }' <<<"$out")
  kill "$STARTED_PID"
  wait "$STARTED_PID" 2>/dev/null || true
  file=$(ls -t "$OUT/$name".*.* 2>/dev/null | head -n1)
  total=$(awk '/^(summary|totals):/ { print $2; exit }' "$file")
  [ -n "$n" ] && [ "$n" -gt 0 ] || { echo "no request of $name was answered" >&2; exit 1; }
  COUNTED=$(( total / n ))
  printf '%-34s %10s %16s\n' "$label" "$n" "$COUNTED"
}
callgrind() { echo valgrind --quiet --tool=callgrind --callgrind-out-file="$OUT/$1.%p"; }

printf '\n%-34s %10s %16s\n' "proxy (under callgrind)" "requests" "instructions/req"
# shellcheck disable=SC2046
start_nginx "$VG_PORT" $(callgrind nginx) -- -g 'daemon off; master_process off;'
wait_for_port "$VG_PORT"
count nginx "http://127.0.0.1:$VG_PORT$UPSTREAM_PATH" "client -> nginx -> upstream" "${UP_AUTH[@]}"
nginx_ir=$COUNTED
# shellcheck disable=SC2046
start_gateway "$VG_PORT" $(callgrind custgate)
count custgate "http://127.0.0.1:$VG_PORT$FRONT" "client -> custgate -> upstream" "${GW_AUTH[@]}"
gw_ir=$COUNTED
# shellcheck disable=SC2046
start_floor "$VG_PORT" $(callgrind floor)
count floor "http://127.0.0.1:$VG_PORT$FRONT" "client -> floor -> upstream"
floor_ir=$COUNTED
echo
awk -v g="$gw_ir" -v n="$nginx_ir" -v f="$floor_ir" 'BEGIN {
  printf "custgate / nginx instructions: %.2f; floor (the control) / nginx: %.2f\n", g / n, f / n }'
[ -n "$KEEP" ] && echo "profiles in $OUT (callgrind_annotate --inclusive=yes FILE)"
true
