#!/bin/bash
# Installs every system package nvmev needs on Debian 12 (bookworm).
# Idempotent: prints nothing and touches nothing when all is present.
set -euo pipefail

# Host build: C++ core, tests, benchmarks, fuzzing (llvm-14: llvm-symbolizer for
# sanitizer stacks and libFuzzer's -print_coverage in QEMU's fuzz build).
HOST_PKGS=(build-essential g++ clang libclang-rt-14-dev llvm-14 pkg-config ninja-build
  libgtest-dev libgmock-dev googletest libbenchmark-dev libnvme-dev libjson-c-dev clang-format
  python3 python3-venv git xz-utils dpkg-dev ca-certificates)
# QEMU 10.0 build from Debian's source package.
QEMU_PKGS=(libglib2.0-dev libpixman-1-dev zlib1g-dev flex bison libfdt-dev
  libslirp-dev python3-setuptools)
BACKPORT_PKGS=(meson python3-pycotap)
# Guest image and firmware.
GUEST_PKGS=(seabios qemu-system-data busybox-static nvme-cli util-linux mdadm cpio f2fs-tools qemu-utils
  libaio-dev gzip bash grep sed coreutils)
# Benchmarks: plots.
BENCH_PKGS=(gnuplot-nox)

SOURCES=/etc/apt/sources.list.d/nvmev.sources
want_sources() {
	cat <<'SRC'
# Added by nvmev setup: backports (meson >= 1.5, python3-pycotap) and the
# source indexes for the pinned QEMU (trixie) and the lean guest fio (bookworm).
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

missing=()
for p in "${HOST_PKGS[@]}" "${QEMU_PKGS[@]}" "${GUEST_PKGS[@]}" "${BENCH_PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
meson_ok=0
if command -v meson >/dev/null && dpkg --compare-versions "$(meson --version)" ge 1.5; then
	meson_ok=1
fi
pycotap_ok=0
dpkg-query -W -f='${Status}' python3-pycotap 2>/dev/null | grep -q 'ok installed' && pycotap_ok=1

sources_ok=0
if [ -f "$SOURCES" ] && [ "$(cat "$SOURCES")" = "$(want_sources)" ]; then sources_ok=1; fi

if [ ${#missing[@]} = 0 ] && [ $meson_ok = 1 ] && [ $pycotap_ok = 1 ] && [ $sources_ok = 1 ]; then
	exit 0
fi

echo "nvmev setup: installing system packages" >&2
export DEBIAN_FRONTEND=noninteractive
if [ $sources_ok = 0 ]; then
	want_sources | $SUDO tee "$SOURCES" >/dev/null
fi
$SUDO apt-get update -qq
if [ ${#missing[@]} != 0 ]; then
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ $meson_ok = 0 ] || [ $pycotap_ok = 0 ]; then
	$SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports \
		"${BACKPORT_PKGS[@]}" >/dev/null
fi
echo "nvmev setup: done" >&2
