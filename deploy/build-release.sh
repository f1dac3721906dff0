#!/usr/bin/env bash
# Builds the `parley` binary to install or copy to other machines (cluster nodes, containers) and
# prints its path.
#
# On Linux with glibc it is linked statically (static-pie: position independent, no shared
# library): it runs on any Linux of the same architecture whatever its glibc version, and each
# command starts without the dynamic loader (about half a millisecond sooner, most of what a
# short command such as `parley simulate` on a GENIUS domain costs beyond its work; see
# bench/results/negmas-simulation.md). Host names are resolved from /etc/hosts and DNS, built
# into static glibc; other name services in nsswitch.conf (LDAP, mDNS) need the shared glibc of
# the version it was built with. Elsewhere it is the plain release build.
#
# Usage: deploy/build-release.sh [extra cargo arguments]
set -euo pipefail
repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_dir"
host=$(rustc -vV | sed -n 's/^host: //p')
case "$host" in
    *-linux-gnu)
        # With an explicit --target the flag applies to the binary alone, not to build scripts
        # and procedural macros (which must stay dynamic libraries).
        RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" cargo build --release -p parley-cli --target "$host" "$@" >&2
        binary=target/$host/release/parley
        # Static means no program interpreter (the dynamic loader) to ask for.
        if command -v readelf >/dev/null && readelf -lW "$binary" | grep -q 'INTERP'; then
            echo "error: $binary is not statically linked" >&2
            exit 1
        fi
        ;;
    *)
        cargo build --release -p parley-cli "$@" >&2
        binary=target/release/parley
        ;;
esac
echo "$repo_dir/$binary"
