#!/usr/bin/env bash
# Side-by-side load test on loopback: the gateway's facade vs a bare actix-web baseline
# serving the same customers from memory. Prints requests/s for each, the ratios against
# the targets, and the gateway's resident memory under load.
#
#   benches/load/run.sh            # 100k customers, 10 s per run
#   N=20000 DURATION=5 benches/load/run.sh
#
# Needs wrk (apt-get install wrk). Targets (issue 2): GET by id >= 0.3x the baseline,
# a page of 10 with total over 100k customers >= 0.15x, RSS <= 100 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-100000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
GW_PORT=${GW_PORT:-18080}
BASE_PORT=${BASE_PORT:-18081}
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }

cargo build --release --quiet --bin custgate --example load-baseline --example load-seed
TMP=$(mktemp -d)
cleanup() { kill "${GW_PID:-}" "${BASE_PID:-}" 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

DB="sqlite://$TMP/load.db"
echo "seeding $N customers into $DB"
target/release/examples/load-seed "$DB" demo "$N"

CUSTGATE__SERVER__BIND=127.0.0.1:$GW_PORT CUSTGATE__SERVER__WORKERS=2 \
CUSTGATE__STORE__URL="$DB" CUSTGATE__LOG__FILTER=warn \
  target/release/custgate --config config/default.toml serve & GW_PID=$!
WORKERS=2 target/release/examples/load-baseline 127.0.0.1:$BASE_PORT "$N" & BASE_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$GW_PORT/healthz" >/dev/null && curl -sf "http://127.0.0.1:$BASE_PORT/customers/load-0000001" >/dev/null && break
  sleep 0.2
done

AUTH="Authorization: Bearer dev-unified-demo"
rps() { wrk -t2 -c"$CONNS" -d"${DURATION}s" "$@" | awk '/Requests\/sec/ {print $2}'; }
ID=load-0004242

echo "GET by id ..."
base_get=$(rps "http://127.0.0.1:$BASE_PORT/customers/$ID")
gw_get=$(rps -H "$AUTH" "http://127.0.0.1:$GW_PORT/unified/v1/customers/$ID")
echo "page of 10 with total ..."
base_page=$(rps "http://127.0.0.1:$BASE_PORT/customers")
gw_page=$(rps -H "$AUTH" "http://127.0.0.1:$GW_PORT/unified/v1/customers?limit=10&total=true")
rss_kib=$(awk '/VmHWM/ {print $2}' /proc/$GW_PID/status)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
printf '\n%-28s %12s %12s %8s %8s\n' "scenario" "gateway r/s" "baseline r/s" "ratio" "target"
printf '%-28s %12s %12s %8s %8s\n' "GET by id" "$gw_get" "$base_get" "$(ratio "$gw_get" "$base_get")" ">=0.30"
printf '%-28s %12s %12s %8s %8s\n' "page of 10 + total ($N)" "$gw_page" "$base_page" "$(ratio "$gw_page" "$base_page")" ">=0.15"
printf '%-28s %12s\n' "gateway peak RSS (MiB)" "$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')"
