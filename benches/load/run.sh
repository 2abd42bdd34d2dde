#!/usr/bin/env bash
# Side-by-side load test on loopback: the gateway's facade vs a bare actix-web baseline
# serving the same customers from memory. Prints requests/s for each, the ratios against
# the targets, and the gateway's resident memory under load.
#
#   benches/load/run.sh                      # 100k customers, 10 s per measurement
#   N=20000 DURATION=5 benches/load/run.sh
#   ROUNDS=3 benches/load/run.sh             # three interleaved rounds, and their median
#   DB=/tmp/load.db benches/load/run.sh      # keep the seeded file; later runs reuse it
#
# Each round measures the baseline and then the gateway right after it, so both see about
# the same machine; on a shared machine compare the ratios, not the absolute figures.
#
# Needs wrk (apt-get install wrk). Targets (issue 2): GET by id >= 0.3x the baseline,
# a page of 10 with total over 100k customers >= 0.15x, RSS <= 100 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-100000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-1}
CONNS=${CONNS:-32}
GW_PORT=${GW_PORT:-18080}
BASE_PORT=${BASE_PORT:-18081}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }

cargo build --release --quiet --bin custgate --example load-baseline --example load-seed
TMP=$(mktemp -d)
cleanup() { kill "${GW_PID:-}" "${BASE_PID:-}" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

# A kept database is reused only if it was seeded with the same count.
DB_FILE=${DB:-$TMP/load.db}
if [ -n "${DB:-}" ] && [ -f "$DB_FILE" ] && [ "$(cat "$DB_FILE.count" 2>/dev/null)" = "$N" ]; then
  echo "reusing $DB_FILE ($N customers)"
else
  rm -f "$DB_FILE" "$DB_FILE-wal" "$DB_FILE-shm" "$DB_FILE.count"
  echo "seeding $N customers into $DB_FILE"
  target/release/examples/load-seed "sqlite://$DB_FILE" demo "$N"
  echo "$N" >"$DB_FILE.count"
fi

CUSTGATE__SERVER__BIND=127.0.0.1:$GW_PORT CUSTGATE__SERVER__WORKERS=2 \
CUSTGATE__STORE__URL="sqlite://$DB_FILE" CUSTGATE__LOG__FILTER=warn \
  target/release/custgate --config config/default.toml serve & GW_PID=$!
WORKERS=2 target/release/examples/load-baseline 127.0.0.1:$BASE_PORT "$N" & BASE_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$GW_PORT/healthz" >/dev/null && curl -sf "http://127.0.0.1:$BASE_PORT/customers/load-0000001" >/dev/null && break
  sleep 0.2
done

AUTH="Authorization: Bearer dev-unified-demo"
ID=load-0004242
BASE_GET="http://127.0.0.1:$BASE_PORT/customers/$ID"
GW_GET="http://127.0.0.1:$GW_PORT/unified/v1/customers/$ID"
BASE_PAGE="http://127.0.0.1:$BASE_PORT/customers"
GW_PAGE="http://127.0.0.1:$GW_PORT/unified/v1/customers?limit=10&total=true"
rps() { wrk -t2 -c"$CONNS" -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
warm() { [ "$WARMUP" -gt 0 ] && wrk -t2 -c"$CONNS" -d"${WARMUP}s" "$@" >/dev/null || true; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
median() { tr ' ' '\n' | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

warm "$BASE_GET"; warm -H "$AUTH" "$GW_GET"; warm "$BASE_PAGE"; warm -H "$AUTH" "$GW_PAGE"

get_ratios=() page_ratios=()
printf '\n%-6s %-28s %12s %12s %8s %8s\n' "round" "scenario" "gateway r/s" "baseline r/s" "ratio" "target"
for round in $(seq 1 "$ROUNDS"); do
  base_get=$(rps "$BASE_GET")
  gw_get=$(rps -H "$AUTH" "$GW_GET")
  base_page=$(rps "$BASE_PAGE")
  gw_page=$(rps -H "$AUTH" "$GW_PAGE")
  get_ratios+=("$(ratio "$gw_get" "$base_get")")
  page_ratios+=("$(ratio "$gw_page" "$base_page")")
  printf '%-6s %-28s %12s %12s %8s %8s\n' "$round" "GET by id" "$gw_get" "$base_get" "${get_ratios[-1]}" ">=0.30"
  printf '%-6s %-28s %12s %12s %8s %8s\n' "$round" "page of 10 + total ($N)" "$gw_page" "$base_page" "${page_ratios[-1]}" ">=0.15"
done
rss_kib=$(awk '/VmHWM/ {print $2}' /proc/$GW_PID/status)

if [ "$ROUNDS" -gt 1 ]; then
  printf '%-6s %-28s %12s %12s %8s %8s\n' "median" "GET by id" "" "" "$(echo "${get_ratios[*]}" | median)" ">=0.30"
  printf '%-6s %-28s %12s %12s %8s %8s\n' "median" "page of 10 + total ($N)" "" "" "$(echo "${page_ratios[*]}" | median)" ">=0.15"
fi
printf '%-35s %12s\n' "gateway peak RSS (MiB)" "$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')"
