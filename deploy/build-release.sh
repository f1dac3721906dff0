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
# --no-pie (Linux with glibc): static and position dependent. The binary is loaded at a fixed
# address, so there are no relocations to apply at start: each command starts about a quarter of
# a millisecond sooner (bench/results/negmas-simulation.md), which counts where thousands of short
# commands run, as on batch nodes. The price is address space layout randomisation for the
# binary's own code and data (the stack, heap and mappings stay randomised): keep the default for
# a `parley serve` that untrusted networks reach.
#
# Usage: deploy/build-release.sh [--no-pie] [extra cargo arguments]
set -euo pipefail
no_pie=false
if [[ "${1:-}" == --no-pie ]]; then
    no_pie=true
    shift
fi
repo_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_dir"
host=$(rustc -vV | sed -n 's/^host: //p')
case "$host" in
    *-linux-gnu)
        # mimalloc frees every page it holds when the process exits, which the kernel does anyway:
        # about a twentieth of a short command (`parley simulate` on ANAC Energy), skipped.
        cflags_name=CFLAGS_${host//-/_}
        export "$cflags_name=${!cflags_name:-} -DMI_SKIP_COLLECT_ON_EXIT"
        rustflags="${RUSTFLAGS:-} -C target-feature=+crt-static"
        target_dir=target
        if $no_pie; then
            rustflags+=" -C relocation-model=static"
            # Its own folder: the two builds differ in every crate, and each keeps its cache.
            target_dir=target/no-pie
        fi
        # With an explicit --target the flag applies to the binary alone, not to build scripts
        # and procedural macros (which must stay dynamic libraries).
        RUSTFLAGS="$rustflags" cargo build --release -p parley-cli --target "$host" --target-dir "$target_dir" "$@" >&2
        binary=$target_dir/$host/release/parley
        # Static means no program interpreter (the dynamic loader) to ask for.
        if command -v readelf >/dev/null && readelf -lW "$binary" | grep -q 'INTERP'; then
            echo "error: $binary is not statically linked" >&2
            exit 1
        fi
        if $no_pie && command -v readelf >/dev/null && ! readelf -hW "$binary" | grep -q 'Type: *EXEC'; then
            echo "error: $binary is position independent" >&2
            exit 1
        fi
        ;;
    *)
        if $no_pie; then
            echo "note: --no-pie applies to Linux with glibc only; building the plain release" >&2
        fi
        cargo build --release -p parley-cli "$@" >&2
        binary=target/release/parley
        ;;
esac
echo "$repo_dir/$binary"
