#!/bin/bash
# Builds QEMU from a pinned upstream source with nvmev grafted in.
#
#   scripts/build-qemu.sh BUILD_DIR
#   scripts/build-qemu.sh --fuzz BUILD_DIR
#
# Source: Debian's qemu_10.0.13+ds.orig.tar.xz (sha256 checked), or the
# tarball named by NVMEV_QEMU_TARBALL. No QEMU source lives in this
# repository: the graft only links our directories in and adds build wiring.
# Produces BUILD_DIR/qemu-system-x86_64 (a link into BUILD_DIR/qemu).
# With --fuzz: a second build of the same source and graft in
# BUILD_DIR/qemu-fuzz (clang, --enable-fuzzing, ASan + UBSan), producing
# BUILD_DIR/qemu-fuzz-x86_64 for QEMU's generic-fuzz target (docs/fuzzing.md).
set -euo pipefail

FUZZ=0
if [ "${1:-}" = --fuzz ]; then
	FUZZ=1
	shift
fi
REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(mkdir -p "$1" && cd "$1" && pwd)
# One build at a time per BUILD_DIR: two fuzz runners started together both
# build first, and a second unpack, graft or ninja beside the first breaks it.
exec 9>"$BUILD/.nvmev-build-qemu.lock"
flock 9
CACHE=${NVMEV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvmev}
PIN_VERSION=10.0.13
PIN_DEB="1:10.0.13+ds-0+deb13u1"
PIN_TARBALL=qemu_${PIN_VERSION}+ds.orig.tar.xz
PIN_SHA256=6a0888e806c2ffc0c5f0733e974f9aea55491950d3c47c98669c8b236dde59ae

log() { echo "nvmev build: $*" >&2; }

fetch_pinned() {
	local dl=$CACHE/dl
	mkdir -p "$dl"
	if [ ! -f "$dl/$PIN_TARBALL" ]; then
		log "downloading QEMU $PIN_VERSION source (Debian source package)"
		(cd "$dl" && apt-get source --download-only "qemu=$PIN_DEB" >/dev/null)
	fi
	local sum
	sum=$(sha256sum "$dl/$PIN_TARBALL" | cut -d' ' -f1)
	if [ "$sum" != "$PIN_SHA256" ]; then
		echo "nvmev build: $dl/$PIN_TARBALL has sha256 $sum, expected $PIN_SHA256" >&2
		exit 1
	fi
	echo "$dl/$PIN_TARBALL"
}

TARBALL=${NVMEV_QEMU_TARBALL:-}
if [ -z "$TARBALL" ]; then
	TARBALL=$(fetch_pinned)
fi
TARBALL=$(realpath "$TARBALL")

SRC=$BUILD/qemu-src
STAMP=$SRC/.nvmev-source
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$TARBALL" ]; then
	log "unpacking $(basename "$TARBALL")"
	rm -rf "$SRC" "$BUILD/qemu" "$BUILD/qemu-fuzz"
	mkdir -p "$SRC"
	tar -xf "$TARBALL" -C "$SRC" --strip-components=1
	echo "$TARBALL" >"$STAMP"
fi

# The graft: idempotent edits of QEMU's build wiring only.
graft() {
	ln -sfn "$REPO/hw-nvmev" "$SRC/hw/nvmev"
	ln -sfn "$REPO/qapi/nvmev.json" "$SRC/qapi/nvmev.json"
	python3 - "$SRC" <<'PY'
import re, sys
src = sys.argv[1]

def edit(path, marker, fn):
    text = open(path).read()
    if marker in text:
        return
    new = fn(text)
    if new == text:
        sys.exit(f"nvmev graft: could not edit {path}")
    open(path, "w").write(new)

edit(f"{src}/hw/meson.build", "subdir('nvmev')",
     lambda t: t.replace("subdir('nvme')\n", "subdir('nvme')\nsubdir('nvmev')\n", 1))
edit(f"{src}/hw/Kconfig", "source nvmev/Kconfig",
     lambda t: t.replace("source nvme/Kconfig\n", "source nvme/Kconfig\nsource nvmev/Kconfig\n", 1))
edit(f"{src}/meson.build", "'hw/nvmev',",
     lambda t: t.replace("    'hw/nvme',\n", "    'hw/nvme',\n    'hw/nvmev',\n", 1))
edit(f"{src}/qapi/meson.build", "'nvmev',",
     lambda t: t.replace("  qapi_all_modules += [\n    'acpi',\n",
                         "  qapi_all_modules += [\n    'acpi',\n    'nvmev',\n", 1))
# The +ds tarball has no firmware blobs: do not unpack edk2 (guests boot
# with Debian's SeaBIOS).
edit(f"{src}/meson.build", "unpack_edk2_blobs = false # nvmev",
     lambda t: t.replace("    unpack_edk2_blobs = bzip2.found()\n",
                         "    unpack_edk2_blobs = false # nvmev\n", 1))
edit(f"{src}/qapi/qapi-schema.json", "'nvmev.json'",
     lambda t: t + "{ 'include': 'nvmev.json' }\n")
PY
	cat >"$SRC/configs/devices/x86_64-softmmu/nvmev.mak.new" <<'MAK'
# nvmev's minimal device set: q35 with nvmev, and QEMU's own nvme and
# virtio-blk as baselines; virtio-net joins two guests for NVMe-oF
# (docs/nvmeof.md); intel-iommu puts the guest's userspace NVMe driver
# behind an IOMMU (docs/kernel-bypass.md).
CONFIG_Q35=y
CONFIG_VTD=y
CONFIG_NVMEV=y
CONFIG_NVME_PCI=y
CONFIG_SPDM_SOCKET=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_NET=y
CONFIG_PCIE_PORT=y
MAK
	if ! cmp -s "$SRC/configs/devices/x86_64-softmmu/nvmev.mak.new" \
		"$SRC/configs/devices/x86_64-softmmu/nvmev.mak"; then
		mv "$SRC/configs/devices/x86_64-softmmu/nvmev.mak.new" \
			"$SRC/configs/devices/x86_64-softmmu/nvmev.mak"
	else
		rm "$SRC/configs/devices/x86_64-softmmu/nvmev.mak.new"
	fi
}
graft

if [ "$FUZZ" = 1 ]; then
	# The same device set; clang for libFuzzer, ASan + UBSan. Only the
	# fuzz binary is built (qemu-fuzz-x86_64 holds the whole system
	# emulator with qtest as its accelerator).
	OUT=$BUILD/qemu-fuzz
	TARGET=qemu-fuzz-x86_64
	export CC=clang CXX=clang++
	CONFIG_ARGS=(--target-list=x86_64-softmmu --without-default-features
		--without-default-devices --with-devices-x86_64=nvmev
		--disable-docs --disable-werror --disable-download --disable-user
		--disable-tcg --enable-kvm --disable-plugins --disable-rust
		--disable-qom-cast-debug --enable-trace-backends=log
		--disable-install-blobs --python=/usr/bin/python3
		--cc=clang --cxx=clang++ --enable-fuzzing --enable-asan --enable-ubsan)
else
	OUT=$BUILD/qemu
	TARGET=qemu-system-x86_64
	CONFIG_ARGS=(--target-list=x86_64-softmmu --without-default-features
		--without-default-devices --with-devices-x86_64=nvmev
		--disable-docs --disable-werror --disable-download --disable-user
		--enable-tcg --enable-kvm --disable-plugins --disable-rust
		--disable-qom-cast-debug --enable-trace-backends=log
		--disable-install-blobs --python=/usr/bin/python3)
fi
if [ ! -f "$OUT/build.ninja" ] || [ "$(cat "$OUT/.nvmev-config" 2>/dev/null)" != "${CONFIG_ARGS[*]}" ]; then
	log "configuring QEMU in $OUT"
	rm -rf "$OUT"
	mkdir -p "$OUT"
	(cd "$OUT" && "$SRC/configure" "${CONFIG_ARGS[@]}" >configure.log 2>&1) || {
		tail -30 "$OUT/configure.log" >&2
		exit 1
	}
	echo "${CONFIG_ARGS[*]}" >"$OUT/.nvmev-config"
fi
# NVMEV_NINJA_JOBS=N limits ninja's parallelism on a shared machine.
NINJA=(ninja ${NVMEV_NINJA_JOBS:+-j "$NVMEV_NINJA_JOBS"} -C "$OUT" "$TARGET")
log "building QEMU (${NINJA[*]})"
if [ -t 2 ]; then
	"${NINJA[@]}"
else
	# Without a terminal, show progress every 10 %.
	"${NINJA[@]}" | awk '
		/^\[[0-9]+\/[0-9]+\]/ { split(substr($1, 2), a, "/"); p = int(100 * a[1] / a[2]);
			if (p >= next_p) { printf "nvmev build: QEMU %d%%\n", p > "/dev/stderr"; next_p = p - p % 10 + 10 } }
		/FAILED|error:/ { print > "/dev/stderr" }'
	test "${PIPESTATUS[0]}" = 0
fi
ln -sfn "$(basename "$OUT")/$TARGET" "$BUILD/$TARGET"
