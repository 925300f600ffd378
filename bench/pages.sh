#!/usr/bin/env bash
# Page benchmark: builds the release binary, starts nginx on loopback as a
# stand-in GitHub (token POST, /api/user, /api/user/repos with 30
# repositories), starts the app on a fresh data folder pointed at it
# through the GITHUB_* settings, logs in with curl, and drives wrk on
# `GET /login/github` and the logged-in `GET /repos`. For each route it
# prints req/s, p50/p99, the app's CPU time per request (utime + stime from
# /proc/<pid>/stat) and bad answers; then the start-up time to /healthz 200,
# idle RSS and peak RSS (VmHWM). Several runs, each on a fresh app; the
# last table gives the medians. See bench/README.md.
set -euo pipefail

usage() {
    cat <<'EOF_USAGE'
usage: bench/pages.sh [--runs N] [--duration SECS] [--connections N] [--threads N]
                      [--host IP] [--keep] [--profile]

  --runs N          runs, each on a freshly started app, 1..9  (PAGES_RUNS, default 3)
  --duration SECS   wrk time per route and run, 2..120         (PAGES_DURATION, default 10)
  --connections N   wrk connections, 1..512                    (PAGES_CONNECTIONS, default 64)
  --threads N       wrk threads, 1..16                         (PAGES_THREADS, default 2)
  --host IP         loopback address for everything           (PAGES_HOST, default 127.0.0.1)
  --keep            keep the temporary folder (app log, nginx log, raw wrk output, and the
                    app's memory map at the end of each run, run-*/smaps.txt)
  --profile         record each route with perf and keep the folder: run-*/<route>.perf.txt
                    holds the self time by symbol (PAGES_PROFILE=1; perf's own cost
                    is in the CPU figures of that run)

Exits 0 when every answer was the expected one, 1 when one was not, 2
when the run could not be made.
EOF_USAGE
}

runs=${PAGES_RUNS:-3}
duration=${PAGES_DURATION:-10}
connections=${PAGES_CONNECTIONS:-64}
threads=${PAGES_THREADS:-2}
host=${PAGES_HOST:-127.0.0.1}
keep=${PAGES_KEEP:-0}
profile=${PAGES_PROFILE:-0}

name=pages
# shellcheck source=bench/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=${2:?--runs needs a value}; shift 2 ;;
        --duration) duration=${2:?--duration needs a value}; shift 2 ;;
        --connections) connections=${2:?--connections needs a value}; shift 2 ;;
        --threads) threads=${2:?--threads needs a value}; shift 2 ;;
        --host) host=${2:?--host needs a value}; shift 2 ;;
        --keep) keep=1; shift ;;
        --profile) profile=1; keep=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

in_range "$runs" 1 9 || die "--runs must be 1..9, not '$runs'"
in_range "$duration" 2 120 || die "--duration must be 2..120 seconds, not '$duration'"
in_range "$connections" 1 512 || die "--connections must be 1..512, not '$connections'"
in_range "$threads" 1 16 || die "--threads must be 1..16, not '$threads'"
require_loopback "$host" ipv4

need nginx nginx
need wrk wrk
need curl curl
[ "$profile" = 1 ] && need perf linux-perf
nginx_bin=$(command -v nginx)

build_release
routes_lua=$root/bench/pages/routes.lua

work=$(mktemp -d "${TMPDIR:-/tmp}/trilogin-pages.XXXXXX")
chmod 0711 "$work"
nginx_pid=
app_pid=
verdict=2

stop_app() {
    if [ -n "$app_pid" ]; then
        kill -TERM "$app_pid" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$app_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$app_pid" 2>/dev/null || true
        wait "$app_pid" 2>/dev/null || true
        app_pid=
    fi
}

cleanup() {
    stop_app
    if [ -n "$nginx_pid" ]; then
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    if [ "$keep" = 1 ] || [ "$verdict" != 0 ]; then
        say "kept $work (run-*/app.log, run-*/*.wrk, nginx/)"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM

now_ms() { date +%s%3N; }
ticks_per_second=$(getconf CLK_TCK)
cpu_us() {
    local stat
    stat=$(cat "/proc/$1/stat")
    read -r -a fields <<<"${stat##*) }"
    echo $(((fields[11] + fields[12]) * 1000000 / ticks_per_second))
}
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# Allocated and file-backed resident kB of process $1: "anon file".
rss_split() { awk '$1 == "RssAnon:" { a = $2 } $1 == "RssFile:" { f = $2 } END { print a + 0, f + 0 }' "/proc/$1/status"; }

# Samples rss_split of process $1 into file $2 every 200 ms until killed:
# VmHWM gives the peak but not what it was made of.
sample_memory() {
    while kill -0 "$1" 2>/dev/null; do
        rss_split "$1" >>"$2" 2>/dev/null || true
        sleep 0.2
    done
}

stub_port=$("$driver" free-port)
stub=http://$host:$stub_port

# The stand-in GitHub: the shapes and sizes of the real answers (the
# repositories are 30 of GitHub's repository objects, trimmed, about
# 17.5 KB). No ETag, so every /repos parses the whole list, as a first
# visit does.
mkdir -p "$work/nginx/api/user"
{
    printf '['
    for i in $(seq 1 30); do
        [ "$i" = 1 ] || printf ','
        printf '{"id":%d,"name":"project-%02d","full_name":"bench-user/project-%02d",' "$((700000 + i))" "$i" "$i"
        printf '"private":%s,"owner":{"login":"bench-user","id":4242,"type":"User","site_admin":false},' "$([ $((i % 7)) = 0 ] && echo true || echo false)"
        printf '"html_url":"https://github.com/bench-user/project-%02d","description":"Project %d: a <small> tool & a library for \\"benchmarks\\", with notes on its design and use",' "$i" "$i"
        printf '"fork":%s,"url":"https://api.github.com/repos/bench-user/project-%02d",' "$([ $((i % 5)) = 0 ] && echo true || echo false)" "$i"
        printf '"updated_at":"2026-11-%02dT%02d:15:00Z","homepage":null,"size":%d,' "$(((30 - i) % 28 + 1))" "$((i % 24))" "$((i * 137))"
        printf '"stargazers_count":%d,"language":"%s","forks_count":%d,"open_issues_count":%d,' "$((i * 3 % 11))" "$([ $((i % 3)) = 0 ] && echo Rust || echo Python)" "$((i % 4))" "$((i % 6))"
        printf '"default_branch":"main","archived":false,"topics":["oauth"]}'
    done
    printf ']'
} >"$work/nginx/api/user/repos"
cat >"$work/nginx/nginx.conf" <<EOF_NGINX
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    keepalive_requests 100000;
    default_type application/json;
    etag off;
    if_modified_since off;
    server {
        listen $host:$stub_port;
        location = /login/oauth/access_token {
            return 200 '{"access_token":"gho_benchmarkaccesstoken0123456789","token_type":"bearer","scope":"read:user,user:email"}';
        }
        location = /api/user {
            return 200 '{"login":"bench-user","id":4242,"name":"Bench User","email":"bench@example.test","avatar_url":"https://avatars.githubusercontent.com/u/4242","type":"User"}';
        }
        location = /api/user/repos {
            root $work/nginx;
            add_header X-RateLimit-Limit 5000;
            add_header X-RateLimit-Remaining 4999;
            add_header X-RateLimit-Reset 4102444800;
        }
    }
}
EOF_NGINX
"$nginx_bin" -t -q -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>>"$work/nginx/error.log" ||
    die "nginx refused the configuration; see $work/nginx/error.log"
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' 2>>"$work/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 100); do
    curl -fsS --max-time 1 -o /dev/null "$stub/api/user" 2>/dev/null && break
    sleep 0.05
done
curl -fsS --max-time 1 -o /dev/null "$stub/api/user" || die "the stand-in GitHub did not start; see $work/nginx/error.log"

secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')

# Starts the app on a fresh data folder; sets app_pid, origin and
# startup_ms (spawn to the first /healthz 200).
start_app() {
    local dir=$1 port
    port=$("$driver" free-port)
    origin=http://$host:$port
    mkdir -p "$dir/data"
    local t0
    t0=$(now_ms)
    (
        cd "$dir"
        exec env -i PATH="$PATH" HOME="${HOME:-/}" \
            APP_URL="$origin" BIND="$host:$port" DATABASE_URL="$dir/data/app.db" \
            SECRET_KEY="$secret" DATA_DIR="$dir/data" LOGIN_RATE_LIMIT=0 \
            GITHUB_CLIENT_ID=bench-client GITHUB_CLIENT_SECRET=bench-secret \
            GITHUB_AUTHORIZE_URL="$stub/login/oauth/authorize" \
            GITHUB_ACCESS_TOKEN_URL="$stub/login/oauth/access_token" \
            GITHUB_API_BASE_URL="$stub/api/" \
            RUST_LOG="${PAGES_RUST_LOG:-warn}" NO_COLOR=1 "$app"
    ) >>"$dir/app.log" 2>&1 &
    app_pid=$!
    for _ in $(seq 3000); do
        curl -fsS --max-time 1 -o /dev/null "$origin/healthz" 2>/dev/null && break
        kill -0 "$app_pid" 2>/dev/null || die "the app stopped; see $dir/app.log"
        sleep 0.005
    done
    curl -fsS --max-time 1 -o /dev/null "$origin/healthz" || die "the app did not answer /healthz; see $dir/app.log"
    startup_ms=$(($(now_ms) - t0))
}

# Logs in through the stand-in GitHub; prints the session cookie.
login() {
    local jar=$1 location state
    location=$(curl -sS --max-time 5 -c "$jar" -b "$jar" -o /dev/null -w '%{redirect_url}' "$origin/login/github")
    state=$(sed -n 's/.*[?&]state=\([^&]*\).*/\1/p' <<<"$location")
    [ -n "$state" ] || { echo "no state in the redirect to GitHub: '$location'" >&2; return 1; }
    curl -sS --max-time 10 -c "$jar" -b "$jar" -o /dev/null -L \
        "$origin/auth/github/callback?code=bench-code&state=$state" || return 1
    curl -sS --max-time 10 -b "$jar" -o "$jar.repos" "$origin/repos" &&
        grep -q 'class="card repo"' "$jar.repos" ||
        { echo "the repositories page does not show repositories after the login" >&2; return 1; }
    awk '$6 == "trilogin_session" { print $7 }' "$jar"
}

# Drives wrk on one route; prints "req/s p50_ms p99_ms cpu_us_per_req bad".
drive() {
    local dir=$1 label=$2 path=$3 status=$4 text=$5 cookie=$6 before after line
    local perf_pid=
    if [ "$profile" = 1 ]; then
        perf record -q -F 499 -p "$app_pid" -o "$dir/$label.perf.data" -- sleep "$duration" \
            >"$dir/$label.perf.log" 2>&1 &
        perf_pid=$!
    fi
    before=$(cpu_us "$app_pid")
    timeout $((duration + 30)) wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 10s \
        -s "$routes_lua" "$origin$path" -- "$path" "$status" "$text" "$cookie" >"$dir/$label.wrk" 2>&1 ||
        die "wrk failed on $path; see $dir/$label.wrk"
    after=$(cpu_us "$app_pid")
    if [ -n "$perf_pid" ]; then
        wait "$perf_pid" || die "perf record failed; see $dir/$label.perf.log"
        perf report -q -i "$dir/$label.perf.data" --no-children --sort dso,symbol --percent-limit 0.5 \
            2>>"$dir/$label.perf.log" | sed -E 's/[[:space:]-]+$//' | grep -v '^$' >"$dir/$label.perf.txt" || true
    fi
    line=$(grep '^route ' "$dir/$label.wrk") || die "no summary from wrk; see $dir/$label.wrk"
    read -r _ requests duration_us p50 p99 bad socket <<<"$line"
    [ "$requests" -gt 0 ] || die "no request answered on $path"
    awk -v n="$requests" -v d="$duration_us" -v p50="$p50" -v p99="$p99" -v cpu=$((after - before)) \
        -v bad=$((bad + socket)) \
        'BEGIN { printf "%.0f %.2f %.2f %.0f %d\n", n * 1e6 / d, p50 / 1000, p99 / 1000, cpu / n, bad }'
}

results=$work/results
: >"$results"
for ((r = 1; r <= runs; r++)); do
    dir=$work/run-$r
    mkdir -p "$dir"
    start_app "$dir"
    sleep 1
    idle_kb=$(status_kb "$app_pid" VmRSS)
    idle_split=$(rss_split "$app_pid")
    cookie=$(login "$dir/jar") || die "the scripted login failed; see $dir/app.log"
    say "run $r of $runs: app on $origin (pid $app_pid), started in $startup_ms ms"
    sample_memory "$app_pid" "$dir/memory.txt" &
    sampler_pid=$!
    login_row=$(drive "$dir" login /login/github 303 - -)
    repos_row=$(drive "$dir" repos /repos 200 'class="card repo"' "$cookie")
    peak_kb=$(status_kb "$app_pid" VmHWM)
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    # The sample with the largest resident set, split.
    busiest_split=$(awk '$1 + $2 > best { best = $1 + $2; row = $1 " " $2 } END { print (row == "" ? "0 0" : row) }' "$dir/memory.txt")
    [ "$keep" = 1 ] && cp "/proc/$app_pid/smaps" "$dir/smaps.txt"
    echo "$r $login_row $repos_row $startup_ms $idle_kb $peak_kb $idle_split $busiest_split" >>"$results"
    stop_app
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
column_median() { awk -v c="$1" '{ print $c }' "$results" | median; }

echo
echo "trilogin pages: wrk -t$threads -c$connections, ${duration} s per route, $runs run(s) on $(nproc) cores"
echo "app: $app ($(awk -v b="$(stat -c %s "$app")" 'BEGIN { printf "%.1f", b / 1048576 }') MB)"
echo "stand-in GitHub: nginx on $stub (30 repositories, $(wc -c <"$work/nginx/api/user/repos") bytes of JSON)"
echo
printf '%-4s | %-44s | %-44s | %8s | %8s | %8s\n' run "GET /login/github" "GET /repos (logged in)" start-up "idle RSS" "peak RSS"
printf '%-4s | %9s %8s %8s %8s %6s | %9s %8s %8s %8s %6s | %8s | %8s | %8s\n' "" req/s p50_ms p99_ms cpu_us bad req/s p50_ms p99_ms cpu_us bad ms MB MB
row() {
    awk -v label="$1" '{ printf "%-4s | %9s %8s %8s %8s %6s | %9s %8s %8s %8s %6s | %8s | %8.1f | %8.1f\n",
        label, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 / 1024, $14 / 1024 }'
}
while read -r line; do row "${line%% *}" <<<"$line"; done <"$results"
medians=med
for c in $(seq 2 14); do medians+=" $(column_median "$c")"; done
row median <<<"$medians"
echo
printf '%-6s | %-21s | %-21s\n' memory "idle" "busiest sample"
printf '%-6s | %10s %10s | %10s %10s\n' "" "anon MB" "file MB" "anon MB" "file MB"
split_row() {
    awk -v label="$1" '{ printf "%-6s | %10.1f %10.1f | %10.1f %10.1f\n", label, $15 / 1024, $16 / 1024, $17 / 1024, $18 / 1024 }'
}
while read -r line; do split_row "${line%% *}" <<<"$line"; done <"$results"
medians=med
for c in $(seq 2 18); do medians+=" $(column_median "$c")"; done
split_row median <<<"$medians"
echo
echo "cpu_us: the app's CPU time (user + system) per request; bad: answers that were not the expected"
echo "status and page, and socket errors. The median of each column is taken on its own."
echo "memory: RssAnon (allocated) and RssFile (mapped from files, the binary's code and data first),"
echo "a second after start and at the sample (every 200 ms through both routes) with the largest sum."

bad_total=$(awk '{ s += $6 + $11 } END { print s + 0 }' "$results")
if [ "$bad_total" = 0 ]; then verdict=0; else verdict=1; fi
exit "$verdict"
