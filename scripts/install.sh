#!/bin/sh
# Installs schedd: the binaries, the configuration file (kept if one is
# already there), the service files and the spool directory.
#
#   cargo build --release && sudo scripts/install.sh   # install under /usr
#   DESTDIR=/tmp/pkg scripts/install.sh                 # stage into a package root
#
# The release binaries are built first if they are missing (BUILD=1 builds
# them in any case); build as yourself, install as root.
#
# PREFIX (default /usr) sets where the binaries go; SYSCONFDIR (default
# /etc) where the configuration and service files go.
set -eu
cd "$(dirname "$0")/.."

PREFIX=${PREFIX:-/usr}
SYSCONFDIR=${SYSCONFDIR:-/etc}
DESTDIR=${DESTDIR:-}

if [ ! -x target/release/schedd ] || [ ! -x target/release/sched ] || [ "${BUILD:-0}" = 1 ]; then
    cargo build --release --locked -p schedd -p sched
fi

install -d -m 0755 "$DESTDIR$PREFIX/sbin" "$DESTDIR$PREFIX/bin"
install -m 0755 target/release/schedd "$DESTDIR$PREFIX/sbin/schedd"
install -m 0755 target/release/sched "$DESTDIR$PREFIX/bin/sched"

install -d -m 0755 "$DESTDIR$SYSCONFDIR"
if [ ! -e "$DESTDIR$SYSCONFDIR/schedd.conf" ]; then
    # Owned by root and writable by no one else, or schedd refuses it.
    install -m 0644 etc/schedd.conf "$DESTDIR$SYSCONFDIR/schedd.conf"
fi
install -d -m 0755 "$DESTDIR$SYSCONFDIR/cron.d"

install -d -m 0755 "$DESTDIR$SYSCONFDIR/init.d"
sed "s|/usr/sbin/schedd|$PREFIX/sbin/schedd|g" etc/init.d/schedd > "$DESTDIR$SYSCONFDIR/init.d/schedd"
chmod 0755 "$DESTDIR$SYSCONFDIR/init.d/schedd"
install -d -m 0755 "$DESTDIR$SYSCONFDIR/systemd/system"
sed "s|/usr/sbin/schedd|$PREFIX/sbin/schedd|g" etc/systemd/schedd.service \
    > "$DESTDIR$SYSCONFDIR/systemd/system/schedd.service"
install -m 0644 etc/systemd/schedd.socket "$DESTDIR$SYSCONFDIR/systemd/system/schedd.socket"
chmod 0644 "$DESTDIR$SYSCONFDIR/systemd/system/schedd.service"

# Manual pages and shell completions, made from the programs themselves.
MANDIR=${MANDIR:-$PREFIX/share/man}
install -d -m 0755 "$DESTDIR$MANDIR/man1" "$DESTDIR$MANDIR/man5" "$DESTDIR$MANDIR/man8"
target/release/sched generate man > "$DESTDIR$MANDIR/man1/sched.1"
target/release/schedd --generate man > "$DESTDIR$MANDIR/man8/schedd.8"
target/release/schedd --generate conf-man > "$DESTDIR$MANDIR/man5/schedd.conf.5"
BASHDIR="$DESTDIR$PREFIX/share/bash-completion/completions"
ZSHDIR="$DESTDIR$PREFIX/share/zsh/site-functions"
FISHDIR="$DESTDIR$PREFIX/share/fish/vendor_completions.d"
install -d -m 0755 "$BASHDIR" "$ZSHDIR" "$FISHDIR"
for program in sched schedd; do
    if [ "$program" = sched ]; then gen="target/release/sched generate"; else gen="target/release/schedd --generate"; fi
    $gen bash > "$BASHDIR/$program"
    $gen zsh > "$ZSHDIR/_$program"
    $gen fish > "$FISHDIR/$program.fish"
done

# The spool: private to the daemon (schedd refuses one open to others).
install -d -m 0700 "$DESTDIR/var/spool/schedd"

echo "installed schedd into ${DESTDIR:-/}"
if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    echo "start it with: systemctl enable --now schedd.socket schedd.service"
else
    echo "start it with: $SYSCONFDIR/init.d/schedd start   (or: $PREFIX/sbin/schedd --daemon)"
fi
