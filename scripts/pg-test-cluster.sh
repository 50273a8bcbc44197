#!/usr/bin/env bash
# Starts a private PostgreSQL cluster for the fleet tests and prints the
# line to export its address:
#
#   eval "$(scripts/pg-test-cluster.sh /tmp/schedd-pg 55432)"
#
# The cluster lives in DIR (created; initdb refuses to run as root, so as
# root it belongs to the `postgres` account), listens on 127.0.0.1:PORT
# only, with TLS on (a self-signed certificate made here, DIR/server.crt,
# which tests name as sslrootcert) and fsync off: it holds test data only.
# The tests read SCHED_TEST_POSTGRES (a superuser's URL; each test makes a
# database of its own) and SCHED_TEST_POSTGRES_CA (the certificate).
# Stop it with: pg_ctl -D DIR/data stop
set -euo pipefail
dir=${1:?usage: pg-test-cluster.sh DIR PORT}
port=${2:?usage: pg-test-cluster.sh DIR PORT}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || { echo "pg-test-cluster: PostgreSQL's initdb not found under /usr/lib/postgresql" >&2; exit 1; }

as_owner=()
if [ "$(id -u)" = 0 ]; then
    as_owner=(runuser -u postgres --)
fi

mkdir -p "$dir"
if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
if ! [ -e "$dir/data/PG_VERSION" ]; then
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
        --no-instructions -E UTF8 >"$dir/initdb.log"
    # A certificate for localhost, so that sslmode=verify-full can be tested.
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
        -keyout "$dir/data/server.key" -out "$dir/data/server.crt" 2>/dev/null
    chmod 600 "$dir/data/server.key"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/data/server.key" "$dir/data/server.crt"; fi
    cp "$dir/data/server.crt" "$dir/server.crt"
    chmod 644 "$dir/server.crt"
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
ssl = on
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
CONF
fi
if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
fi
echo "export SCHED_TEST_POSTGRES=postgresql://postgres@127.0.0.1:$port/postgres SCHED_TEST_POSTGRES_CA=$dir/server.crt"
