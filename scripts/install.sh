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
# /etc) where the configuration and service files go; MANDIR (default
# $PREFIX/share/man) where the manual pages go.
#
# COMPAT=1 also links at, atq, atrm, batch and crontab to sched in
# $PREFIX/bin (sched acts as the program it is called as). This is for
# hosts where schedd replaces the at and cron packages: remove those
# first. An existing file of one of those names that is not already a
# link to sched is left alone and the install stops, unless FORCE=1.
set -eu
cd "$(dirname "$0")/.."

PREFIX=${PREFIX:-/usr}
SYSCONFDIR=${SYSCONFDIR:-/etc}
DESTDIR=${DESTDIR:-}
COMPAT=${COMPAT:-0}
FORCE=${FORCE:-0}
COMPAT_NAMES="at atq atrm batch crontab"

# Whether $1 is a symbolic link to this sched.
links_to_sched() {
    [ -L "$1" ] || return 1
    target=$(readlink "$1")
    [ "$target" = sched ] || [ "$target" = "$PREFIX/bin/sched" ]
}

# Checked before anything is installed: a refusal leaves the system as it was.
if [ "$COMPAT" = 1 ] && [ "$FORCE" != 1 ]; then
    taken=""
    for name in $COMPAT_NAMES; do
        link="$DESTDIR$PREFIX/bin/$name"
        if { [ -e "$link" ] || [ -L "$link" ]; } && ! links_to_sched "$link"; then
            taken="$taken $link"
        fi
    done
    if [ -n "$taken" ]; then
        echo "install.sh: refusing to replace$taken: not links to sched (another at or cron" >&2
        echo "  package installed them?). Remove that package first, or run with FORCE=1 to" >&2
        echo "  replace them anyway. Nothing was installed." >&2
        exit 1
    fi
fi

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

# Manual pages: sched(1), schedd(8) and schedd-crontab(5) are written by
# hand in man/; schedd.conf(5) is made from the documented etc/schedd.conf.
# Shell completions are made from the programs themselves.
MANDIR=${MANDIR:-$PREFIX/share/man}
install -d -m 0755 "$DESTDIR$MANDIR/man1" "$DESTDIR$MANDIR/man5" "$DESTDIR$MANDIR/man8"
install -m 0644 man/sched.1 "$DESTDIR$MANDIR/man1/sched.1"
install -m 0644 man/schedd.8 "$DESTDIR$MANDIR/man8/schedd.8"
install -m 0644 man/schedd-crontab.5 "$DESTDIR$MANDIR/man5/schedd-crontab.5"
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

# The names of the at and cron programs, for hosts where schedd replaces
# those packages (COMPAT=1): each is a link to sched, which answers in
# that program's options and formats. Checked above unless FORCE=1.
if [ "$COMPAT" = 1 ]; then
    for name in $COMPAT_NAMES; do
        link="$DESTDIR$PREFIX/bin/$name"
        if links_to_sched "$link"; then
            continue
        fi
        if [ -e "$link" ] || [ -L "$link" ]; then
            echo "install.sh: FORCE=1: replacing $link with a link to sched" >&2
            rm -f "$link"
        fi
        ln -s sched "$link"
    done
fi

echo "installed schedd into ${DESTDIR:-/}"
if [ -z "$DESTDIR" ] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    echo "start it with: systemctl enable --now schedd.socket schedd.service"
else
    echo "start it with: $SYSCONFDIR/init.d/schedd start   (or: $PREFIX/sbin/schedd --daemon)"
fi
