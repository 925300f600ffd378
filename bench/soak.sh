#!/usr/bin/env bash
# Soak test: builds the release binary, starts it on a fresh temporary data
# folder with the demo providers, drives concurrent scripted browsers
# through log in, connect, pages and log out, kills the app with SIGKILL
# during the run and restarts it on the same database, then reports and
# checks the SQLite file. See bench/README.md.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/soak.sh [--clients N] [--duration SECS] [--kills N] [--window SECS]
                     [--host IP] [--port PORT] [--keep]

  --clients N       concurrent browsers, 1..500        (SOAK_CLIENTS, default 50)
  --duration SECS   length of the run, 1..600          (SOAK_DURATION, default 60)
  --kills N         SIGKILLs, evenly spaced, 0..10     (SOAK_KILLS, default 2)
  --window SECS     failures this close to a kill are
                    explained by it, 0..60             (SOAK_WINDOW, default 2)
  --host IP         loopback address to listen on      (SOAK_HOST, default 127.0.0.1)
  --port PORT       port to listen on                  (SOAK_PORT, default: a free one)
  --keep            keep the temporary folder (database, app log, raw rows)

Exits 0 when every login outside the kill windows succeeded and the
database is intact, 1 when not, 2 when the run could not be made.
EOF
}

clients=${SOAK_CLIENTS:-50}
duration=${SOAK_DURATION:-60}
kills=${SOAK_KILLS:-2}
window=${SOAK_WINDOW:-2}
host=${SOAK_HOST:-127.0.0.1}
port=${SOAK_PORT:-}
keep=${SOAK_KEEP:-0}

name=soak
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --clients) clients=${2:?--clients needs a value}; shift 2 ;;
        --duration) duration=${2:?--duration needs a value}; shift 2 ;;
        --kills) kills=${2:?--kills needs a value}; shift 2 ;;
        --window) window=${2:?--window needs a value}; shift 2 ;;
        --host) host=${2:?--host needs a value}; shift 2 ;;
        --port) port=${2:?--port needs a value}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

in_range "$clients" 1 500 || die "--clients must be 1..500, not '$clients'"
in_range "$duration" 1 600 || die "--duration must be 1..600 seconds, not '$duration'"
in_range "$kills" 0 10 || die "--kills must be 0..10, not '$kills'"
in_range "$window" 0 60 || die "--window must be 0..60 seconds, not '$window'"
[ -z "$port" ] || in_range "$port" 1 65535 || die "--port must be 1..65535, not '$port'"
require_loopback "$host"

# The database checks after the run.
need sqlite3 sqlite3
build_release

work=$(mktemp -d "${TMPDIR:-/tmp}/trilogin-soak.XXXXXX")
db=$work/data/app.db
log=$work/app.log
events=$work/events
out=$work/out
app_pid=
driver_pid=
verdict=2

cleanup() {
    [ -n "$driver_pid" ] && kill "$driver_pid" 2>/dev/null || true
    [ -n "$app_pid" ] && kill -KILL "$app_pid" 2>/dev/null || true
    if [ "$keep" = 1 ] || [ "$verdict" != 0 ]; then
        echo "soak: kept $work (app.log, data/app.db, out/*.tsv)" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

[ -n "$port" ] || port=$("$driver" free-port)
case "$host" in
    *:*) origin="http://[$host]:$port"; bind="[$host]:$port" ;;
    *) origin="http://$host:$port"; bind="$host:$port" ;;
esac
secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

# Running the app from a folder of its own keeps a developer's .env out of
# the run (templates and static files are compiled in).
mkdir -p "$work/run" "$work/data"

now_ms() { date +%s%3N; }

# Every scripted browser comes from 127.0.0.1, so the per-address login
# rate limit is off for the run.
start_app() {
    (
        cd "$work/run"
        exec env -i PATH="$PATH" HOME="${HOME:-/}" \
            APP_URL="$origin" BIND="$bind" DATABASE_URL="$db" SECRET_KEY="$secret" \
            DEMO_PROVIDERS=on LOGIN_RATE_LIMIT=0 \
            RUST_LOG="${SOAK_RUST_LOG:-warn}" NO_COLOR=1 "$app"
    ) >>"$log" 2>&1 &
    app_pid=$!
    "$driver" wait-ready --base-url "$origin" --timeout 60 ||
        die "the app did not start; see $log"
}

start_app
echo "soak: app on $origin (pid $app_pid), data in $work/data" >&2

"$driver" run --base-url "$origin" --out "$out" --clients "$clients" --duration "$duration" &
driver_pid=$!

# The clock starts when the driver has set up the demo people's accounts.
while [ ! -s "$out/started" ]; do
    kill -0 "$driver_pid" 2>/dev/null || { wait "$driver_pid" || true; driver_pid=; die "the driver stopped before the run started"; }
    sleep 0.1
done
started=$(cat "$out/started")

for ((i = 1; i <= kills; i++)); do
    at=$((started + i * duration * 1000 / (kills + 1)))
    wait_ms=$((at - $(now_ms)))
    [ "$wait_ms" -gt 0 ] && sleep "$((wait_ms / 1000)).$(printf '%03d' $((wait_ms % 1000)))"
    echo "kill $(now_ms)" >>"$events"
    kill -KILL "$app_pid"
    wait "$app_pid" 2>/dev/null || true
    echo "soak: SIGKILL $i of $kills sent; restarting on the same database" >&2
    start_app
    echo "ready $(now_ms)" >>"$events"
done

driver_rc=0
wait "$driver_pid" || driver_rc=$?
driver_pid=
[ "$driver_rc" = 0 ] || die "the driver failed (exit $driver_rc)"

echo
echo "trilogin soak: $clients browsers, $duration s, $kills SIGKILLs, windows of ${window} s"
report_rc=0
"$driver" report --out "$out" --events "$events" --window "$window" || report_rc=$?
[ "$report_rc" -le 1 ] || die "the report could not be made"

# A graceful stop, then the file on its own.
kill -TERM "$app_pid"
for _ in $(seq 100); do
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.1
done
kill -KILL "$app_pid" 2>/dev/null || true
wait "$app_pid" 2>/dev/null || true
app_pid=

sql() { sqlite3 -batch -noheader "$db" "$1"; }
integrity=$(sql "PRAGMA integrity_check;" | tr '\n' ' ' | sed 's/ $//')
orphan1=$(sql "SELECT count(*) FROM oauth1_tokens WHERE user_id NOT IN (SELECT id FROM users);")
orphan2=$(sql "SELECT count(*) FROM oauth2_tokens WHERE user_id NOT IN (SELECT id FROM users);")
tokenless=$(sql "SELECT count(*) FROM users u WHERE NOT EXISTS (SELECT 1 FROM oauth1_tokens t WHERE t.user_id = u.id) AND NOT EXISTS (SELECT 1 FROM oauth2_tokens t WHERE t.user_id = u.id);")
rows=$(sql "SELECT (SELECT count(*) FROM users) || ' users, ' || (SELECT count(*) FROM oauth1_tokens) || ' OAuth 1 tokens, ' || (SELECT count(*) FROM oauth2_tokens) || ' OAuth 2 tokens, ' || (SELECT count(*) FROM sessions) || ' sessions';")

echo
echo "database after the run"
echo "  integrity_check              $integrity"
echo "  rows                         $rows"
echo "  tokens without their user    $orphan1 OAuth 1, $orphan2 OAuth 2"
echo "  users without any token      $tokenless"
echo "  app log                      $(grep -c 'database is locked' "$log" || true) lines say 'database is locked', $(grep -c 'login failed' "$log" || true) 'login failed'"

verdict=0
if [ "$report_rc" != 0 ]; then
    echo "FAIL: logins failed with no kill to explain them"
    verdict=1
fi
if [ "$integrity" != ok ]; then
    echo "FAIL: PRAGMA integrity_check says: $integrity"
    verdict=1
fi
if [ "$orphan1" != 0 ] || [ "$orphan2" != 0 ] || [ "$tokenless" != 0 ]; then
    echo "FAIL: rows left without their user or token"
    verdict=1
fi
[ "$verdict" = 0 ] && echo "PASS"
exit "$verdict"
