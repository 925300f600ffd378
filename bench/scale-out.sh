#!/usr/bin/env bash
# Scale-out benchmark: one PostgreSQL, app processes behind Debian's nginx,
# all on loopback. For 1 process and then for --processes processes it
# drives scripted browsers (log in, connect, pages, log out) and then
# logged-in page loads (wrk) through nginx, and prints req/s, p50/p99,
# errors and the refresh calls that reached the demo provider, with the
# checks that show the processes share one state. See docs/SCALING.md.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: bench/scale-out.sh [--processes N] [--duration SECS] [--clients N]
                          [--connections N] [--pool-size N] [--host IP] [--keep]

  --processes N     app processes of the second phase, 2..8 (SCALE_PROCESSES, default 3)
  --duration SECS   length of each part, 5..300            (SCALE_DURATION, default 20)
  --clients N       scripted browsers, 1..200              (SCALE_CLIENTS, default 20)
  --connections N   wrk connections for page loads, 1..256 (SCALE_CONNECTIONS, default 32)
  --pool-size N     DATABASE_POOL_SIZE of each process, 1..64 (SCALE_POOL_SIZE, default 8)
  --host IP         loopback address for everything        (SCALE_HOST, default 127.0.0.1)
  --keep            keep the temporary folder (logs, nginx access logs, raw rows)

Each phase (1 process, then N) has two parts of --duration seconds:
browser journeys (bench/soak's driver) and page loads (wrk). Exits 0 when
no request failed and no connection had to be made again, 1 when one did,
2 when the run could not be made.
EOF
}

processes=${SCALE_PROCESSES:-3}
duration=${SCALE_DURATION:-20}
clients=${SCALE_CLIENTS:-20}
connections=${SCALE_CONNECTIONS:-32}
pool_size=${SCALE_POOL_SIZE:-8}
host=${SCALE_HOST:-127.0.0.1}
keep=${SCALE_KEEP:-0}

name=scale-out
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --processes) processes=${2:?--processes needs a value}; shift 2 ;;
        --duration) duration=${2:?--duration needs a value}; shift 2 ;;
        --clients) clients=${2:?--clients needs a value}; shift 2 ;;
        --connections) connections=${2:?--connections needs a value}; shift 2 ;;
        --pool-size) pool_size=${2:?--pool-size needs a value}; shift 2 ;;
        --host) host=${2:?--host needs a value}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

in_range "$processes" 2 8 || die "--processes must be 2..8, not '$processes'"
in_range "$duration" 5 300 || die "--duration must be 5..300 seconds, not '$duration'"
in_range "$clients" 1 200 || die "--clients must be 1..200, not '$clients'"
in_range "$connections" 1 256 || die "--connections must be 1..256, not '$connections'"
in_range "$pool_size" 1 64 || die "--pool-size must be 1..64, not '$pool_size'"
# Never a load test against anyone else's machine; PostgreSQL (the scratch
# cluster) listens on 127.0.0.1 whatever this says.
require_loopback "$host" ipv4

# Debian's packages, installed when missing and we may.
need nginx nginx
need wrk wrk
need psql postgresql-client
need curl curl
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || die "PostgreSQL's server is needed: apt-get install postgresql"
    say "installing Debian's postgresql"
    DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >/dev/null 2>&1 ||
        die "could not install postgresql; install it (apt-get install postgresql) and run again"
fi
# nginx's package may start the system's own server on port 80; this run
# uses its own configuration and never touches that one.
nginx_bin=$(command -v nginx)

build_release
pages_lua=$root/bench/scale-out/pages.lua

work=$(mktemp -d "${TMPDIR:-/tmp}/trilogin-scale.XXXXXX")
# The scratch cluster runs as the `postgres` user and nginx's workers as
# `nobody`: both must reach their folders inside this one.
chmod 0711 "$work"
pg_dir=$work/pg
nginx_pid=
sampler_pid=
driver_pid=
app_pids=()
pg_started=0
verdict=2

stop_apps() {
    local pid
    for pid in "${app_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${app_pids[@]}"; do
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    app_pids=()
}

stop_nginx() {
    if [ -n "$nginx_pid" ]; then
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
        nginx_pid=
    fi
}

cleanup() {
    [ -n "$driver_pid" ] && kill "$driver_pid" 2>/dev/null || true
    [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
    stop_nginx
    stop_apps
    [ "$pg_started" = 1 ] && "$root/scripts/postgres-scratch.sh" stop "$pg_dir" || true
    if [ "$keep" = 1 ] || [ "$verdict" != 0 ]; then
        say "kept $work (phase-*/app-*.log, phase-*/access.log, phase-*/browsers/*.tsv)"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

free_port() { "$driver" free-port; }

# CPU time (user + system) the app processes have used so far, in µs.
ticks_per_second=$(getconf CLK_TCK)
app_cpu_us() {
    local pid total=0 stat
    for pid in "${app_pids[@]}"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        # Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
        read -r -a fields <<<"${stat##*) }"
        total=$((total + fields[11] + fields[12]))
    done
    echo $((total * 1000000 / ticks_per_second))
}
now_ms() { date +%s%3N; }

lb_port=$(free_port)
origin="http://$host:$lb_port"
secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

# Access tokens live 15 s and are refreshed 5 s before they expire: a
# token in use is refreshed about every 10 s. Demo GitHub rotates refresh
# tokens, so one spent twice would revoke the grant and show as an error.
token_ttl=15
leeway=5

pg_port=$(free_port)
say "starting PostgreSQL on 127.0.0.1:$pg_port"
pg_url=$("$root/scripts/postgres-scratch.sh" start "$pg_dir" "$pg_port") ||
    die "PostgreSQL did not start; see $pg_dir/server.log"
pg_started=1
pg_version=$(psql "$pg_url" -XAtqc 'SHOW server_version' | cut -d' ' -f1)
pg_max=$(psql "$pg_url" -XAtqc 'SHOW max_connections')

# nginx: round robin over the app processes with keep-alive upstream
# connections; `/_demo/` (the demo providers, whose state lives in one
# process's memory and DATA_DIR) always goes to the first process, so
# every process talks to the same demo GitHub, Google and Twitter. The
# access log names the upstream, and for token requests only the grant
# type (never the body itself, which holds codes and refresh tokens).
write_nginx_conf() {
    local dir=$1
    shift
    local servers="" port
    for port in "$@"; do servers+="        server $host:$port;"$'\n'; done
    mkdir -p "$dir/nginx"
    cat >"$dir/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/nginx/body;
    proxy_temp_path $dir/nginx/proxy;
    fastcgi_temp_path $dir/nginx/fastcgi;
    uwsgi_temp_path $dir/nginx/uwsgi;
    scgi_temp_path $dir/nginx/scgi;
    # Token requests are small: read into memory, so \$request_body is set.
    client_body_buffer_size 64k;
    proxy_max_temp_file_size 0;
    proxy_buffers 16 16k;
    map \$request_body \$grant {
        "~(^|&)grant_type=refresh_token(&|\$)" refresh;
        "~(^|&)grant_type=authorization_code(&|\$)" code;
        default -;
    }
    log_format scale '\$msec \$status \$request_method \$uri \$grant \$upstream_addr \$request_time';
    upstream app {
$servers        keepalive 64;
    }
    upstream demo {
        server $host:$1;
        keepalive 16;
    }
    server {
        listen $host:$lb_port;
        access_log $dir/access.log scale;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host \$http_host;
        proxy_set_header X-Forwarded-For \$remote_addr;
        location /_demo/ { proxy_pass http://demo; }
        location / { proxy_pass http://app; }
    }
}
EOF
}

# Waits until $1/healthz answers 200 naming PostgreSQL.
wait_healthy() {
    local url=$1 body
    for _ in $(seq 600); do
        body=$(curl -fsS --max-time 2 "$url/healthz" 2>/dev/null || true)
        case "$body" in *'"backend":"postgresql"'*) return 0 ;; esac
        sleep 0.1
    done
    return 1
}

# The app's connections to the phase's database (autovacuum workers
# left out), sampled every 0.5 s.
sample_connections() {
    local db=$1 out=$2
    while true; do
        psql "$pg_url" -XAtqc "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND backend_type = 'client backend'" \
            >>"$out" 2>/dev/null || true
        sleep 0.5
    done
}

unescape() { sed -e 's|&#x2F;|/|g' -e 's|&amp;|\&|g' -e 's|&quot;|"|g'; }

# A fresh browser logs in as $1 with (demo) GitHub through nginx; prints
# its session cookie.
curl_login() {
    local person=$1 jar=$2 consent_url consent_id action
    consent_url=$(curl -sS -L --max-redirs 8 -c "$jar" -b "$jar" -o "$jar.consent" \
        -w '%{url_effective}' "$origin/login/github") || return 1
    consent_id=$(sed -n 's/.*name="consent_id" value="\([^"]*\)".*/\1/p' "$jar.consent" | head -n1 | unescape)
    action=$(sed -n 's/.*<form method="post" action="\([^"]*\)".*/\1/p' "$jar.consent" | head -n1 | unescape)
    [ -n "$consent_id" ] && [ -n "$action" ] || { echo "no consent form at $consent_url" >&2; return 1; }
    curl -sS -L --max-redirs 8 -c "$jar" -b "$jar" -o "$jar.landed" \
        --data-urlencode "consent_id=$consent_id" -d "person=$person" -d decision=authorize \
        "$(case "$action" in http*) echo "$action" ;; *) echo "$origin$action" ;; esac)" || return 1
    grep -q 'flash flash-success' "$jar.landed" || { echo "login as $person did not succeed" >&2; return 1; }
    awk '$6 == "trilogin_session" { print $7 }' "$jar"
}

# Nearest-rank percentile $1 of the numbers on stdin (sorted here).
percentile() {
    sort -n | awk -v p="$1" '{ v[NR] = $1 } END { if (NR == 0) { print 0; exit } r = int((p * NR + 99) / 100); if (r < 1) r = 1; print v[r] }'
}

# Access-log lines from $2 to $3 (ms) of phase folder $1.
log_window() {
    awk -v from="$2" -v to="$3" '{ ms = $1 * 1000 } ms >= from && ms <= to' "$1/access.log"
}

# Refresh calls that reached the demo provider between $2 and $3.
refresh_calls() {
    log_window "$@" | awk '$3 == "POST" && $5 == "refresh" && ($4 == "/_demo/github/login/oauth/access_token" || $4 == "/_demo/google/token")' | wc -l
}

# Site requests per app process between $2 and $3: "8101:412 8102:398 ...".
per_process() {
    log_window "$@" | awk '$4 !~ /^\/_demo\// { split($6, a, ":"); n[a[2]]++ } END { for (p in n) printf "%s:%d\n", p, n[p] }' |
        sort | tr '\n' ' ' | sed 's/ $//'
}

rows=()
notes=()
failed=0

# One phase: $1 app processes.
run_phase() {
    local n=$1 dir=$work/phase-$1 db=trilogin_p$1 ports=() i
    mkdir -p "$dir"
    psql "$pg_url" -XAtqc "CREATE DATABASE $db" >/dev/null || die "cannot create database $db"
    local db_url=${pg_url%/postgres}/$db
    for ((i = 1; i <= n; i++)); do ports+=("$(free_port)"); done

    say "phase $n: starting $n app process(es) on ports ${ports[*]}, nginx on $origin"
    for ((i = 1; i <= n; i++)); do
        local home=$dir/app-$i
        mkdir -p "$home"
        (
            cd "$home"
            exec env -i PATH="$PATH" HOME="${HOME:-/}" \
                APP_URL="$origin" BIND="$host:${ports[i - 1]}" DATABASE_URL="$db_url" \
                SECRET_KEY="$secret" DATA_DIR="$home/data" DATABASE_POOL_SIZE="$pool_size" \
                DEMO_PROVIDERS=on LOGIN_RATE_LIMIT=0 \
                DEMO_ACCESS_TOKEN_TTL="${token_ttl}s" GITHUB_LEEWAY="$leeway" GOOGLE_LEEWAY="$leeway" \
                RUST_LOG="${SCALE_RUST_LOG:-warn}" NO_COLOR=1 "$app"
        ) >>"$dir/app-$i.log" 2>&1 &
        app_pids+=($!)
    done
    for ((i = 1; i <= n; i++)); do
        wait_healthy "http://$host:${ports[i - 1]}" || die "app process $i did not start; see $dir/app-$i.log"
    done

    write_nginx_conf "$dir" "${ports[@]}"
    "$nginx_bin" -t -q -p "$dir/nginx" -c "$dir/nginx/nginx.conf" 2>>"$dir/nginx/error.log" ||
        die "nginx refused the configuration; see $dir/nginx/error.log"
    "$nginx_bin" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' 2>>"$dir/nginx/error.log" &
    nginx_pid=$!
    wait_healthy "$origin" || die "nginx did not answer on $origin; see $dir/nginx/error.log"

    sample_connections "$db" "$dir/connections" &
    sampler_pid=$!

    # Part 1: scripted browsers.
    say "phase $n: $clients browsers for $duration s"
    local b_cpu
    b_cpu=$(app_cpu_us)
    "$driver" run --base-url "$origin" --out "$dir/browsers" --clients "$clients" \
        --duration "$duration" 2>>"$dir/driver.log" &
    driver_pid=$!
    local b_rc=0
    wait "$driver_pid" || b_rc=$?
    driver_pid=
    [ "$b_rc" = 0 ] || die "the browser driver failed (exit $b_rc); see $dir/driver.log"
    b_cpu=$(($(app_cpu_us) - b_cpu))
    local b_end b_start
    b_end=$(now_ms)
    b_start=$(cat "$dir/browsers/started")
    "$driver" report --out "$dir/browsers" >"$dir/browsers/report.txt" || true

    local tsv=$dir/browsers/requests.tsv
    local b_req b_err b_p50 b_p99 b_journeys
    b_req=$(awk -F'\t' '$6 != 0' "$tsv" | wc -l)
    b_err=$(awk -F'\t' '$7 == 0' "$tsv" | wc -l)
    b_p50=$(awk -F'\t' '$6 != 0 { print $5 }' "$tsv" | percentile 50)
    b_p99=$(awk -F'\t' '$6 != 0 { print $5 }' "$tsv" | percentile 99)
    b_journeys=$(awk -F'\t' '$3 == "completed"' "$dir/browsers/journeys.tsv" | wc -l)
    local b_logins b_failed_logins
    b_logins=$(wc -l <"$dir/browsers/logins.tsv")
    b_failed_logins=$(awk -F'\t' '$5 == 0' "$dir/browsers/logins.tsv" | wc -l)
    local b_refresh b_split
    b_refresh=$(refresh_calls "$dir" "$b_start" "$b_end")
    b_split=$(per_process "$dir" "$b_start" "$b_end")

    # Part 2: logged-in page loads, two sessions per demo person.
    say "phase $n: page loads, $connections connections for $duration s"
    : >"$dir/cookies"
    local person k
    for person in ada grace zoe; do
        for k in 1 2; do
            curl_login "$person" "$dir/jar-$person-$k" >>"$dir/cookies" 2>>"$dir/driver.log" ||
                die "logging $person in through nginx failed; see $dir/driver.log"
        done
    done
    local p_start p_end p_line
    p_start=$(now_ms)
    local p_cpu
    p_cpu=$(app_cpu_us)
    p_line=$(wrk -t2 -c"$connections" -d"${duration}s" --timeout 30s -s "$pages_lua" "$origin" -- "$dir/cookies" \
        2>>"$dir/wrk.log" | tee -a "$dir/wrk.log" | awk '$1 == "pages"') || true
    p_end=$(now_ms)
    p_cpu=$(($(app_cpu_us) - p_cpu))
    [ -n "$p_line" ] || die "wrk gave no result; see $dir/wrk.log"
    local p_req p_us p_p50 p_p99 p_bad p_sock p_status
    read -r _ p_req p_us p_p50 p_p99 p_bad p_sock p_status <<<"$p_line"
    local p_refresh p_split
    p_refresh=$(refresh_calls "$dir" "$p_start" "$p_end")
    p_split=$(per_process "$dir" "$p_start" "$p_end")

    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    sampler_pid=
    local peak reconnects
    peak=$(sort -n "$dir/connections" | tail -n1)
    reconnects=$(psql "$db_url" -XAtqc "SELECT (SELECT count(*) FROM oauth2_tokens WHERE needs_reconnect) + (SELECT count(*) FROM oauth1_tokens WHERE needs_reconnect)")

    stop_nginx
    stop_apps

    local b_rps p_rps
    b_rps=$(awk -v n="$b_req" -v d="$duration" 'BEGIN { printf "%.0f", n / d }')
    p_rps=$(awk -v n="$p_req" -v us="$p_us" 'BEGIN { printf "%.0f", n / (us / 1e6) }')
    rows+=("$(row browsers "$n" "$b_rps" "$((b_cpu / (b_req > 0 ? b_req : 1)))" "$b_p50" "$b_p99" "$b_err" "$b_refresh" "$b_split")")
    rows+=("$(row pages "$n" "$p_rps" "$((p_cpu / (p_req > 0 ? p_req : 1)))" "$p_p50" "$p_p99" "$((p_bad + p_sock))" "$p_refresh" "$p_split")")
    notes+=("$n process(es): $b_journeys journeys completed, $b_failed_logins of $b_logins logins failed; $p_req pages loaded, $p_bad bad, $p_sock socket errors")
    notes+=("  peak $peak PostgreSQL connections (pool size $pool_size per process); $reconnects connections marked 'reconnect'")
    local reason
    while read -r reason; do
        [ -n "$reason" ] && notes+=("  failed request: $reason")
    done < <(awk -F'\t' '$7 == 0 { print $1 " " $2 " (HTTP " $6 "): " $8 }' "$tsv" | sort | uniq -c | sort -rn | head -n 5 | sed 's/^ *//')
    local serial
    serial=$(cat "$dir"/app-*.log | grep -c 'could not serialize access' || true)
    [ "$serial" = 0 ] || notes+=("  app logs: $serial lines say 'could not serialize access' (a write transaction lost a race more often than it retries)")
    [ "$b_err" = 0 ] && [ "$p_bad" = 0 ] && [ "$p_sock" = 0 ] && [ "$reconnects" = 0 ] || failed=1
}

# One table row: part, processes, req/s, app CPU µs per request, p50 and
# p99 (µs), errors, refreshes, requests per process.
row() {
    awk -v part="$1" -v n="$2" -v rps="$3" -v cpu="$4" -v p50="$5" -v p99="$6" -v err="$7" -v refresh="$8" -v per="$9" \
        'BEGIN { printf "%-9s %9s %7s %7s %7.1f %7.1f %7s %9s   %s\n", part, n, rps, cpu, p50 / 1000, p99 / 1000, err, refresh, per }'
}

run_phase 1
run_phase "$processes"

cores=$(nproc)
echo
echo "trilogin scale-out: PostgreSQL $pg_version (max_connections $pg_max), nginx $("$nginx_bin" -v 2>&1 | sed 's|.*/||'), $cores cores, all on $host"
echo "  $duration s per part. browsers: $clients scripted (log in, connect two more providers, 4 pages, log out);"
echo "  pages: wrk, $connections connections over 6 sessions (/repos /timeline /profile /account);"
echo "  access tokens live $token_ttl s and are refreshed $leeway s early"
echo
printf '%-9s %9s %7s %7s %7s %7s %7s %9s   %s\n' "part" "processes" "req/s" "CPU µs" "p50 ms" "p99 ms" "errors" "refreshes" "site requests per app process (port:count)"
for part in browsers pages; do
    for line in "${rows[@]}"; do
        case "$line" in "$part "*) echo "$line" ;; esac
    done
done
echo
for line in "${notes[@]}"; do echo "$line"; done
echo "CPU µs: user and system CPU time of all the app processes together, per request (from /proc/PID/stat);"
echo "  nginx, PostgreSQL and the load generators share the same cores and are not counted"
echo "refreshes: POSTs with grant_type=refresh_token to demo GitHub's and Google's token endpoints, as nginx"
echo "  logged them. 3 people x 2 providers: at most 6 per $((token_ttl - leeway)) s when each token is refreshed once."

if [ "$failed" = 0 ]; then
    verdict=0
    echo "PASS"
else
    verdict=1
    echo "FAIL: requests failed or a connection must be made again; see the kept folder"
fi
exit "$verdict"
