# What the benchmark scripts share. Source it after setting `name` (the
# script's name, which prefixes every message it prints).
# shellcheck shell=bash

# Stops the script: the run could not be made (exit 2).
die() {
    echo "$name: $*" >&2
    exit 2
}

# One line of progress, on standard error.
say() { echo "$name: $*" >&2; }

# A whole number from $2 to $3.
in_range() {
    [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

# Stops unless $1 is a loopback address: never a load test against anyone
# else's machine. With a second argument, only IPv4 loopback (127.0.0.0/8),
# for the scripts whose stand-ins listen on 127.0.0.1.
require_loopback() {
    case "$1" in
        127.*.*.*) return 0 ;;
        ::1 | localhost) [ $# -lt 2 ] && return 0 ;;
    esac
    if [ $# -lt 2 ]; then
        die "refusing --host '$1': only a loopback address (127.0.0.0/8, ::1, localhost)"
    fi
    die "refusing --host '$1': only an IPv4 loopback address (127.0.0.0/8)"
}

# Installs Debian's package $2 when the command $1 is missing and this runs
# as root with apt-get; otherwise stops, saying what to install.
need() {
    local command=$1 package=$2
    command -v "$command" >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing Debian's $package"
        DEBIAN_FRONTEND=noninteractive apt-get install -y "$package" >/dev/null 2>&1 ||
            { apt-get update >/dev/null 2>&1 &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y "$package" >/dev/null 2>&1; } ||
            die "could not install $package; install it (apt-get install $package) and run again"
    fi
    command -v "$command" >/dev/null || die "$command is needed: apt-get install $package"
}

# Builds the app and the scripted-browser driver (bench/soak/, a crate
# outside the workspace) in release mode, and sets `root`, `app` and
# `driver`. The driver shares the app's target folder, so the crates both
# use are compiled once.
build_release() {
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    local target=${CARGO_TARGET_DIR:-$root/target}
    say "building the app and the browser driver (release)"
    (cd "$root" && cargo build --release --quiet) || die "cargo build --release failed"
    cargo build --release --quiet --manifest-path "$root/bench/soak/Cargo.toml" \
        --target-dir "$target" || die "building the driver failed"
    app=$target/release/trilogin
    driver=$target/release/trilogin-soak
}
