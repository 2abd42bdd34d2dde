# Sourced by run.sh and instructions.sh: builds custgate in release mode and starts, on
# loopback, the four cases the gateway benches compare:
#
#   UP_PID     an odata system (custgate serving odata, in memory) with N customers;
#   NGINX_PIDS nginx as a plain reverse proxy (keep-alive to the upstream);
#   GW_PID     custgate in gateway mode, front `tenant`, tenant `demo` backed by the upstream;
#   FLOOR_PID  the control, a bare actix-web + reqwest proxy (floor.rs).
#
# and sets the URLs and headers of the same lookup through each (DIRECT_URL, NGINX_URL,
# GW_URL, FLOOR_URL; UP_AUTH, GW_AUTH). Everything started is stopped on exit; a caller
# adds its own processes to EXTRA_PIDS. start_nginx, start_gateway and start_floor start
# one more instance on another port, for a caller that wants one under a profiler.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
N=${N:-200}
WORKERS=${WORKERS:-1}
UP_PORT=${UP_PORT:-18091}
NGINX_PORT=${NGINX_PORT:-18092}
GW_PORT=${GW_PORT:-18093}
FLOOR_PORT=${FLOOR_PORT:-18094}
for tool in wrk nginx curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is required: apt-get install $tool" >&2; exit 1; }
done

cargo build --release --quiet --bin custgate --example load-rate --example gateway-floor
TMP=$(mktemp -d)
EXTRA_PIDS=()
cleanup() {
  kill "${UP_PID:-}" "${GW_PID:-}" "${FLOOR_PID:-}" "${EXTRA_PIDS[@]}" 2>/dev/null || true
  for pid in "$TMP"/nginx*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

wait_for() { for _ in $(seq 1 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }
wait_for_port() { for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "nothing listens on $1" >&2; exit 1; }

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

# nginx on PORT: a plain reverse proxy with keep-alive connections to the upstream.
# Further arguments are nginx's (e.g. to run it in the foreground under a wrapper:
# start_nginx PORT valgrind ... -- -g 'daemon off; master_process off;').
start_nginx() {
  local port=$1 wrapper=() args=()
  shift
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do wrapper+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  args=("$@")
  mkdir -p "$TMP/nginx"
  cat >"$TMP/nginx-$port.conf" <<NGINX
worker_processes $WORKERS;
pid $TMP/nginx-$port.pid;
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
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://odata;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
NGINX
  if [ ${#wrapper[@]} -eq 0 ]; then
    nginx -c "$TMP/nginx-$port.conf" -p "$TMP/nginx" -g 'daemon on;'
  else
    "${wrapper[@]}" nginx -c "$TMP/nginx-$port.conf" -p "$TMP/nginx" "${args[@]}" & STARTED_PID=$!
    EXTRA_PIDS+=("$STARTED_PID")
  fi
}
start_nginx "$NGINX_PORT"
for _ in $(seq 1 50); do [ -s "$TMP/nginx-$NGINX_PORT.pid" ] && break; sleep 0.1; done
NGINX_PIDS="$(cat "$TMP/nginx-$NGINX_PORT.pid") $(pgrep -P "$(cat "$TMP/nginx-$NGINX_PORT.pid")" | tr '\n' ' ')"

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
# custgate on PORT, behind the optional wrapper command given after it; sets STARTED_PID.
start_gateway() {
  local port=$1
  shift
  CUSTGATE__SERVER__BIND=127.0.0.1:$port CUSTGATE__SERVER__WORKERS=$WORKERS \
  CUSTGATE__STORE__URL="sqlite://$TMP/gateway-$port.db" CUSTGATE__LOG__FILTER=warn \
    "$@" target/release/custgate --config "$TMP/gateway.toml" serve & STARTED_PID=$!
  EXTRA_PIDS+=("$STARTED_PID")
  wait_for "http://127.0.0.1:$port/healthz"
}
start_gateway "$GW_PORT"
GW_PID=$STARTED_PID

NAME="Bench 00042"
TOKEN=$(target/release/custgate --config "$TMP/gateway.toml" token tenant --tenant demo)
FRONT="/api/customer/Bench%2000042"
# The odata request custgate sends for the front's request (odata client: find by name).
EXPAND=$(sed -n 's/^pub const READ_EXPAND: &str = "\(.*\)";$/\1/p' crates/dialects/odata/src/client.rs)
UPSTREAM_PATH="/api/biz/customers?$(python3 -c "import urllib.parse,sys; print(urllib.parse.urlencode([('expand', sys.argv[1]), ('filter', sys.argv[2]), ('orderby', 'ID')]))" "$EXPAND" "Info.Name eq '$NAME'")"
UP_AUTH=(-H "Authorization: Bearer dev-odata-demo" -H "CompanyKey: 11111111-1111-4111-8111-111111111111")
GW_AUTH=(-H "Authorization: Bearer $TOKEN")

# The control on PORT, behind the optional wrapper command given after it; sets STARTED_PID.
start_floor() {
  local port=$1
  shift
  "$@" target/release/examples/gateway-floor "$port" "http://127.0.0.1:$UP_PORT${UPSTREAM_PATH/Bench+00042/\{name\}}" \
    "Authorization: Bearer dev-odata-demo" "CompanyKey: 11111111-1111-4111-8111-111111111111" "Accept: application/json" & STARTED_PID=$!
  EXTRA_PIDS+=("$STARTED_PID")
  wait_for_port "$port"
}
start_floor "$FLOOR_PORT"
FLOOR_PID=$STARTED_PID

DIRECT_URL="http://127.0.0.1:$UP_PORT$UPSTREAM_PATH"
NGINX_URL="http://127.0.0.1:$NGINX_PORT$UPSTREAM_PATH"
GW_URL="http://127.0.0.1:$GW_PORT$FRONT"
FLOOR_URL="http://127.0.0.1:$FLOOR_PORT$FRONT"

# Every case answers the same customer before anything is measured.
curl -sf "${UP_AUTH[@]}" "$DIRECT_URL" | grep -q "$NAME"
curl -sf "${UP_AUTH[@]}" "$NGINX_URL" | grep -q "$NAME"
curl -sf "${GW_AUTH[@]}" "$GW_URL" | grep -q "$NAME"
curl -sf "$FLOOR_URL" | grep -q "$NAME"
