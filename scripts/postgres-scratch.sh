#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on loopback, for the tests and the
# scale-out benchmark: Debian's `postgresql` package, `initdb` into a
# folder of its own, listening on 127.0.0.1 only, trust authentication for
# local connections (nothing but this machine can reach it).
#
#   scripts/postgres-scratch.sh start DIR [PORT]   prints the server's URL
#   scripts/postgres-scratch.sh restart DIR        fast restart (tests use it)
#   scripts/postgres-scratch.sh stop DIR
#
# Run as root, the server runs as the `postgres` user, as initdb requires.
set -euo pipefail

command=${1:?usage: postgres-scratch.sh start|restart|stop DIR [PORT]}
dir=${2:?usage: postgres-scratch.sh start|restart|stop DIR [PORT]}
port=${3:-55432}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "postgres-scratch: PostgreSQL server binaries not found; install Debian's postgresql package" >&2
  exit 1
fi

# As root, run the server tools as `postgres`; otherwise as ourselves.
as_owner() {
  if [ "$(id -u)" = "0" ]; then
    su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

case "$command" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = "0" ]; then chown postgres "$dir"; fi
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=300 -c fsync=off" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  restart)
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -m fast restart >/dev/null
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 -m fast stop >/dev/null || true
    fi
    ;;
  *)
    echo "postgres-scratch: unknown command $command" >&2
    exit 2
    ;;
esac
