#!/bin/bash
# build-image.sh [--kernel cloud|generic] OUTDIR [EXTRA_TOOL ...]
#
# Builds the nvmev test guest from Debian packages:
#   OUTDIR/vmlinuz            Debian bookworm's cloud kernel (NVMe and zoned
#                             block devices built in)
#   OUTDIR/initramfs.cpio.gz  busybox, nvme-cli, blkzone, blkdiscard, a lean static fio,
#                             the EXTRA_TOOL binaries (in /usr/bin), /init and
#                             the nvmev-host / nvmev-wait / nvmev-vfio helpers;
#                             Debian's qemu-img and qemu-io (qemu-utils: QEMU's
#                             userspace NVMe driver, nvme://, for
#                             docs/kernel-bypass.md) and the VFIO modules;
#                             fio's own zoned-block suite (t/zbd/test-zbd-support and
#                             t/zbd/functions, copied at build time from the
#                             same Debian fio source) in /usr/share/fio-zbd/t/zbd
#                             with /usr/share/fio-zbd/fio (the suite runs
#                             $0/../../fio), bash, and the GNU tools it needs
#                             that busybox lacks or does differently (grep -P,
#                             timeout -v, sed, coreutils) in /usr/lib/fio-zbd/bin
#                             (put first in PATH only by the suite's runner, so
#                             every other job keeps busybox's applets)
#
# --kernel generic (./nvmev build puts it in build/guest-generic; ./nvmev run
# --kernel generic boots it) takes Debian's generic kernel of the same
# version instead (linux-image-6.1.0-NN-amd64): the same initramfs plus the
# F2FS tools (mkfs.f2fs, fsck.f2fs) and, in /lib/modules/nvmev, the modules
# the cloud kernel lacks or has built in, with their dependencies: nvme
# (modular in the generic kernel) and f2fs. /init loads the ones listed in
# /lib/modules/nvmev/boot.list, in that order. The default (cloud) image has
# no boot.list and no F2FS tools.
#
# Incremental: a stamp (OUTDIR/.stamp) holds a hash of every input (these
# scripts, the kernel .deb, each binary and shared library copied in); when it
# matches, nothing is done. Downloads go to $NVMEV_CACHE/dl (default
# ~/.cache/nvmev/dl) and are reused; the static fio is built once per version
# and configure flags into $NVMEV_CACHE/fio-<version>-<hash>/.
#
# Kernel command line the runner (scripts/run.py) boots it with:
#   console=ttyS0 quiet panic=-1 tsc=reliable nohz=off [nvmev.wait=nvme0|/dev/vda]
# console=ttyS0 carries the job's output and the hook protocol, quiet keeps
# boot messages off it, panic=-1 (with QEMU's -no-reboot) turns a guest panic
# into a QEMU exit instead of a hang; nvmev.wait= names the devices /init waits
# for before the job (see nvmev-wait); tsc=reliable and nohz=off keep TCG's
# costs out of measured latencies (see the comment in scripts/run.py).
# QEMU needs: bios-256k.bin (Debian's seabios, /usr/share/seabios),
# linuxboot_dma.bin and kvmvapic.bin (qemu-system-data, /usr/share/qemu).
set -euo pipefail

FIO_VERSION=3.33-3                 # Debian bookworm's fio source package
KERNEL_META=linux-image-cloud-amd64 # depends on the versioned kernel package
# fio's optional engines and libraries that the guest never uses; each one
# would otherwise be linked in if its -dev package happens to be installed.
FIO_CONFIGURE=(--build-static --disable-native --disable-numa --disable-rdma
	--disable-rados --disable-rbd --disable-http --disable-gfapi --disable-libnfs
	--disable-pmem --disable-xnvme --disable-libzbc --disable-tcmalloc --disable-dfs
	--disable-lex)
# virtio-blk is a module in the cloud kernel (needed for the virtio-blk
# baseline); dependency order, loaded by /init.
VIRTIO_MODULES=(drivers/virtio/virtio_ring drivers/virtio/virtio
	drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev
	drivers/virtio/virtio_pci drivers/block/virtio_blk)
# md RAID 0/1 (tests/guest/test_raid.py) is modular too; jobs insmod them
# from /lib/modules/nvmev in this order.
MD_MODULES=(drivers/md/md-mod drivers/md/raid0 drivers/md/raid1)
# md RAID 5 (raid456) and what it needs, in dependency order (each module's
# depends= in its .modinfo; the .deb carries no modules.dep).
RAID5_MODULES=(crypto/xor crypto/async_tx/async_tx crypto/async_tx/async_memcpy
	crypto/async_tx/async_xor lib/raid6/raid6_pq crypto/async_tx/async_pq
	crypto/async_tx/async_raid6_recov lib/libcrc32c drivers/md/raid456)
# Networking for NVMe-oF between two guests (docs/nvmeof.md): virtio-net
# (loaded by /init with the other virtio modules when a virtio device is
# present), the NVMe/TCP target (configfs, nvmet, nvmet-tcp) and host
# (nvme-fabrics, nvme-tcp). Dependency order; jobs insmod the nvme ones.
NET_MODULES=(net/core/failover drivers/net/net_failover drivers/net/virtio_net)
NVMEOF_MODULES=(fs/configfs/configfs drivers/nvme/target/nvmet drivers/nvme/target/nvmet-tcp
	drivers/nvme/host/nvme-fabrics drivers/nvme/host/nvme-tcp)
# VFIO for a userspace NVMe driver behind the guest's IOMMU
# (docs/kernel-bypass.md; intel-iommu is built in). Dependency order;
# nvmev-vfio loads them.
VFIO_MODULES=(drivers/vfio/vfio drivers/vfio/vfio_iommu_type1 drivers/vfio/vfio_virqfd
	virt/lib/irqbypass drivers/vfio/pci/vfio-pci-core drivers/vfio/pci/vfio-pci)

log() { echo "build-image: $*" >&2; }
die() {
	echo "build-image: error: $*" >&2
	exit 1
}

FLAVOUR=cloud
if [ "${1:-}" = --kernel ]; then
	FLAVOUR=${2:-}
	shift 2 || true
fi
case $FLAVOUR in
cloud | generic) ;;
*)
	echo "usage: $0 [--kernel cloud|generic] OUTDIR [EXTRA_TOOL ...]" >&2
	exit 2
	;;
esac
if [ $# -lt 1 ]; then
	echo "usage: $0 [--kernel cloud|generic] OUTDIR [EXTRA_TOOL ...]" >&2
	exit 2
fi
OUTDIR=$1
shift
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NVMEV_CACHE:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache/nvmev}
DL=$CACHE/dl
mkdir -p "$OUTDIR" "$DL"
OUTDIR=$(cd "$OUTDIR" && pwd)

EXTRAS=()
for t in "$@"; do
	[ -f "$t" ] && [ -x "$t" ] || die "extra tool '$t' is not an executable file"
	EXTRAS+=("$(readlink -f "$t")")
done

# Runs a command quietly; shows its output only if it fails.
quiet() {
	local out
	if ! out=$("$@" 2>&1); then
		echo "$out" | tail -n 30 >&2
		return 1
	fi
}

# ---- kernel .deb: the cached one if any, else download --------------------
kernel_deb() {
	local meta dep pkg ver deb
	meta=$(ls -1 "$DL"/${KERNEL_META}_*_amd64.deb 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$meta" ]; then
		log "downloading $KERNEL_META"
		(cd "$DL" && quiet apt-get download "$KERNEL_META") ||
			die "apt-get download $KERNEL_META failed (apt sources? run ./nvmev setup)"
		meta=$(ls -1 "$DL"/${KERNEL_META}_*_amd64.deb | sort -V | tail -n 1)
	fi
	# Depends: "linux-image-6.1.0-NN-cloud-amd64 (= 6.1.xxx-y)"
	dep=$(dpkg-deb -f "$meta" Depends)
	pkg=${dep%% *}
	ver=$(sed -n 's/.*(= *\([^)]*\)).*/\1/p' <<<"$dep")
	[ -n "$pkg" ] && [ -n "$ver" ] || die "cannot parse Depends of $meta: '$dep'"
	if [ "$FLAVOUR" = generic ]; then
		# The generic flavour of the same kernel version.
		[[ $pkg == *-cloud-amd64 ]] || die "cannot derive the generic kernel from $pkg"
		pkg=${pkg%-cloud-amd64}-amd64
	fi
	deb=$DL/${pkg}_${ver//:/%3a}_amd64.deb
	if [ ! -f "$deb" ]; then
		log "downloading $pkg $ver"
		(cd "$DL" && quiet apt-get download "$pkg=$ver") || die "apt-get download $pkg=$ver failed"
	fi
	[ -f "$deb" ] || die "expected $deb after download"
	echo "$deb"
}

# ---- lean static fio, built once per version and flag set ------------------
fio_bin() {
	local key dir tmp
	key=$(printf '%s\n' "$FIO_VERSION" "${FIO_CONFIGURE[@]}" | sha256sum | cut -c1-12)
	dir=$CACHE/fio-$FIO_VERSION-$key
	if [ ! -x "$dir/fio" ]; then
		build_fio "$dir" >&2
	fi
	echo "$dir/fio"
}

build_fio() {
	local dir=$1 dsc=$DL/fio_$FIO_VERSION.dsc tmp
	local tool
	for tool in gcc make strip dpkg-source; do
		command -v "$tool" >/dev/null || die "building fio needs $tool (build-essential, dpkg-dev)"
	done
	[ -f /usr/lib/x86_64-linux-gnu/libaio.a ] || die "building fio needs libaio-dev (static libaio.a)"
	if [ ! -f "$dsc" ]; then
		log "downloading fio $FIO_VERSION source"
		(cd "$DL" && quiet apt-get source --download-only "fio=$FIO_VERSION") ||
			die "apt-get source fio=$FIO_VERSION failed (needs a deb-src entry for bookworm: ./nvmev setup)"
	fi
	log "building static fio $FIO_VERSION (once; about 20 s)"
	tmp=$(mktemp -d "$CACHE/fio-build.XXXXXX")
	# shellcheck disable=SC2064 # expand now: the local is gone at exit
	trap "rm -rf '$tmp'" EXIT
	# dpkg-source applies Debian's patches and checks the checksums.
	quiet dpkg-source -x "$dsc" "$tmp/src" || die "dpkg-source -x $dsc failed"
	(cd "$tmp/src" && quiet ./configure "${FIO_CONFIGURE[@]}") || die "fio configure failed"
	grep -q '^#define CONFIG_LIBAIO' "$tmp/src/config-host.h" ||
		die "fio configure did not find libaio (install libaio-dev)"
	(cd "$tmp/src" && quiet make -j"$(nproc)" fio) || die "fio build failed"
	local f=$tmp/src/fio
	if ldd "$f" >/dev/null 2>&1; then die "fio was not linked statically"; fi
	local engines
	engines=$("$f" --enghelp)
	for e in libaio io_uring; do
		grep -qx "[[:space:]]*$e" <<<"$engines" || die "static fio lacks the $e engine"
	done
	mkdir -p "$tmp/out"
	strip -o "$tmp/out/fio" "$f"
	rm -rf "$dir"
	mv "$tmp/out" "$dir" # atomic: a concurrent build sees all or nothing
	rm -rf "$tmp"
	trap - EXIT
}

# ---- fio's zoned-block suite, from the same Debian source ---------------------
# Extracted once per version into $CACHE/fio-zbd-<version>/ (dpkg-source
# applies Debian's patches, as for the fio binary). Not part of this repo.
ZBD_FILES=(t/zbd/test-zbd-support t/zbd/functions)
fio_zbd_dir() {
	local dir=$CACHE/fio-zbd-$FIO_VERSION dsc=$DL/fio_$FIO_VERSION.dsc tmp f
	if [ ! -f "$dir/t/zbd/test-zbd-support" ]; then
		if [ ! -f "$dsc" ]; then
			log "downloading fio $FIO_VERSION source"
			(cd "$DL" && quiet apt-get source --download-only "fio=$FIO_VERSION") ||
				die "apt-get source fio=$FIO_VERSION failed (needs a deb-src entry for bookworm: ./nvmev setup)"
		fi
		tmp=$(mktemp -d "$CACHE/fio-zbd.XXXXXX")
		quiet dpkg-source -x "$dsc" "$tmp/src" || { rm -rf "$tmp"; die "dpkg-source -x $dsc failed"; }
		mkdir -p "$tmp/out/t/zbd"
		for f in "${ZBD_FILES[@]}"; do
			[ -f "$tmp/src/$f" ] || { rm -rf "$tmp"; die "fio $FIO_VERSION source lacks $f"; }
			cp "$tmp/src/$f" "$tmp/out/$f"
		done
		rm -rf "$dir"
		mv "$tmp/out" "$dir"
		rm -rf "$tmp"
	fi
	echo "$dir"
}
# GNU tools the suite uses where busybox's applet is missing or differs
# (grep -P, timeout -v, sed's \| alternation, stat -L -c %t); bash is the
# suite's interpreter (#!/bin/bash).
ZBD_GNU_TOOLS=(/usr/bin/grep /usr/bin/sed /usr/bin/timeout /usr/bin/stat /usr/bin/realpath
	/usr/bin/readlink /usr/bin/tee /usr/bin/tr /usr/bin/sort /usr/bin/head /usr/bin/tail
	/usr/bin/dirname /usr/bin/basename /usr/bin/cat /usr/bin/rm)

# ---- collect what goes into the image --------------------------------------
# MANIFEST lines: "<path in image> <host file>"; shared libraries of dynamic
# binaries go to the same path they have on the host (ldd's answer).
MANIFEST=()
add() { MANIFEST+=("$1 $2"); }
add_libs() { # add_libs BINARY: its ldd libraries and loader
	local out
	if ! out=$(ldd "$1" 2>&1); then
		return 0 # static binary or script: nothing to add
	fi
	if grep -q 'not found' <<<"$out"; then
		die "$1 needs libraries that are not installed: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ')"
	fi
	local lib
	for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$out"); do
		add "$lib" "$lib"
	done
}
need() { # need PATH PACKAGE: a host file the image needs
	[ -e "$1" ] || die "$1 not found (install Debian's $2: ./nvmev setup)"
}

need /bin/busybox busybox-static
ldd /bin/busybox >/dev/null 2>&1 && die "/bin/busybox is not static (install busybox-static)"
need /usr/sbin/nvme nvme-cli
need /usr/sbin/blkzone util-linux
need /usr/sbin/blkdiscard util-linux
need /sbin/ldconfig libc-bin
need /usr/sbin/mdadm mdadm
need /usr/bin/bash bash
need /usr/bin/grep grep
need /usr/bin/sed sed
need /usr/bin/timeout coreutils
need /usr/bin/qemu-img qemu-utils
need /usr/bin/qemu-io qemu-utils
if [ "$FLAVOUR" = generic ]; then
	need /usr/sbin/mkfs.f2fs f2fs-tools
	need /usr/sbin/fsck.f2fs f2fs-tools
fi

KDEB=$(kernel_deb)
FIO=$(fio_bin)
ZBD=$(fio_zbd_dir)

add /bin/busybox /bin/busybox
add /usr/bin/fio "$FIO"
add /usr/sbin/nvme /usr/sbin/nvme
add_libs /usr/sbin/nvme
add /usr/sbin/blkzone /usr/sbin/blkzone
add_libs /usr/sbin/blkzone
add /usr/sbin/blkdiscard /usr/sbin/blkdiscard
add_libs /usr/sbin/blkdiscard
add /usr/sbin/mdadm /usr/sbin/mdadm
add_libs /usr/sbin/mdadm
add /usr/bin/bash /usr/bin/bash
add_libs /usr/bin/bash
for t in qemu-img qemu-io; do
	add /usr/bin/$t /usr/bin/$t
	add_libs /usr/bin/$t
done
for t in "${ZBD_GNU_TOOLS[@]}"; do
	add "/usr/lib/fio-zbd/bin/$(basename "$t")" "$t"
	add_libs "$t"
done
for f in "${ZBD_FILES[@]}"; do
	add "/usr/share/fio-zbd/$f" "$ZBD/$f"
done
if [ "$FLAVOUR" = generic ]; then
	for t in mkfs.f2fs fsck.f2fs; do
		add /usr/sbin/$t /usr/sbin/$t
		add_libs /usr/sbin/$t
	done
fi
for t in "${EXTRAS[@]}"; do
	add "/usr/bin/$(basename "$t")" "$t"
	add_libs "$t"
done
# Our own scripts last (they win over a same-named extra tool).
add /init "$HERE/init"
add /usr/bin/nvmev-host "$HERE/nvmev-host"
add /usr/bin/nvmev-wait "$HERE/nvmev-wait"
add /usr/bin/nvmev-vfio "$HERE/nvmev-vfio"
# One entry per image path; the last one added wins.
mapfile -t MANIFEST < <(printf '%s\n' "${MANIFEST[@]}" | tac | awk '!seen[$1]++' | tac)

# ---- up to date? ------------------------------------------------------------
# Hash: the manifest, each host file's contents, the kernel .deb and every
# file of guest-scripts/ (this script included).
stamp=$({
	printf '%s\n' "$FLAVOUR" "${MANIFEST[@]}"
	for m in "${MANIFEST[@]}"; do sha256sum "${m#* }"; done
	sha256sum "$KDEB"
	(cd "$HERE" && find . -type f | LC_ALL=C sort | xargs sha256sum)
} | sha256sum | cut -d' ' -f1)
if [ -f "$OUTDIR/.stamp" ] && [ "$(cat "$OUTDIR/.stamp")" = "$stamp" ] &&
	[ -f "$OUTDIR/vmlinuz" ] && [ -f "$OUTDIR/initramfs.cpio.gz" ]; then
	log "guest image up to date ($OUTDIR)"
	exit 0
fi

# ---- build -----------------------------------------------------------------
WORK=$(mktemp -d "$OUTDIR/.work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

log "extracting kernel $(basename "$KDEB")"
dpkg-deb -x "$KDEB" "$WORK/kernel"
KCONFIG=$(ls "$WORK"/kernel/boot/config-* 2>/dev/null | head -n 1)
VMLINUZ=$(ls "$WORK"/kernel/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$KCONFIG" ] && [ -n "$VMLINUZ" ] || die "$KDEB has no boot/config-* or boot/vmlinuz-*"
KVER=${VMLINUZ##*/vmlinuz-}
BUILTIN=(CONFIG_BLK_DEV_NVME)
[ "$FLAVOUR" = generic ] && BUILTIN=() # nvme: a module, loaded by /init
for opt in "${BUILTIN[@]}" CONFIG_BLK_DEV_ZONED CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP \
	CONFIG_DEVTMPFS CONFIG_SERIAL_8250_CONSOLE CONFIG_IO_URING CONFIG_AIO CONFIG_INTEL_IOMMU; do
	grep -qx "$opt=y" "$KCONFIG" || die "kernel $KVER: $opt is not built in (=y); the guest needs it"
done

log "assembling initramfs"
R=$WORK/root
# Merged /usr as on Debian 12: library paths from ldd land in the same place.
mkdir -p "$R"/usr/{bin,sbin,lib,lib64} "$R"/{dev,proc,sys,tmp,run,root,mnt,etc,nvmev,var/tmp}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$R/$d"; done
chmod 1777 "$R/tmp" "$R/var/tmp"
for m in "${MANIFEST[@]}"; do
	dst=$R${m%% *}
	mkdir -p "$(dirname "$dst")"
	cp -L "${m#* }" "$dst" # -L: libraries by their soname, not the symlink
done
chmod 755 "$R/init" "$R/usr/bin/nvmev-host" "$R/usr/bin/nvmev-wait" "$R/usr/bin/nvmev-vfio"
ln -s busybox "$R/usr/bin/sh" # /init's interpreter, before the applet links exist
chmod 755 "$R/usr/share/fio-zbd/t/zbd/test-zbd-support"
ln -s /usr/bin/fio "$R/usr/share/fio-zbd/fio" # the suite runs $(dirname $0)/../../fio

mkdir -p "$R/lib/modules/nvmev"
for m in "${VIRTIO_MODULES[@]}" "${MD_MODULES[@]}" "${RAID5_MODULES[@]}" "${NET_MODULES[@]}" \
	"${NVMEOF_MODULES[@]}" "${VFIO_MODULES[@]}"; do
	src=$WORK/kernel/lib/modules/$KVER/kernel/$m.ko
	[ -f "$src" ] || die "kernel $KVER lacks module $m.ko"
	cp "$src" "$R/lib/modules/nvmev/"
done

# Generic kernel: the modules /init loads (boot.list), dependencies first.
# The package has no modules.dep: each module's "depends=" (and a softdep's
# "pre:") comes from its .modinfo section.
if [ "$FLAVOUR" = generic ]; then
	KMOD=$WORK/kernel/lib/modules/$KVER/kernel
	declare -A MODPATH=()
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%.ko}
		MODPATH[${n//-/_}]=$f
	done < <(find "$KMOD" -name '*.ko')
	modinfo_field() { # modinfo_field FILE FIELD
		tr '\0' '\n' <"$1" | sed -n "s/^$2=//p"
	}
	declare -A MODDONE=()
	BOOT_LIST=()
	add_module() { # add_module NAME: its dependencies, then itself
		local key=${1//-/_} f dep
		[ -n "${MODDONE[$key]:-}" ] && return 0
		MODDONE[$key]=1
		f=${MODPATH[$key]:-}
		[ -n "$f" ] || die "kernel $KVER lacks module $1.ko"
		for dep in $(modinfo_field "$f" depends | tr ',' ' '); do
			add_module "$dep"
		done
		# A soft dependency may name an alias (f2fs: "crc32"): only
		# modules of that name are followed.
		for dep in $(modinfo_field "$f" softdep | sed -n 's/^pre: *//p'); do
			[ -n "${MODPATH[${dep//-/_}]:-}" ] && add_module "$dep"
		done
		cp "$f" "$R/lib/modules/nvmev/"
		BOOT_LIST+=("$(basename "$f" .ko)")
	}
	# crc32_generic: the "crc32" shash F2FS asks for at mount (its softdep).
	for m in nvme crc32_generic f2fs; do add_module "$m"; done
	printf '%s\n' "${BOOT_LIST[@]}" >"$R/lib/modules/nvmev/boot.list"
fi

# The loader's cache, so libraries from any directory (e.g. an extra tool's
# /usr/local/lib) are found without LD_LIBRARY_PATH.
(cd "$R" && find usr -name '*.so*' -printf '/%h\n' | sort -u) >"$R/etc/ld.so.conf"
ldconfig -r "$R"

printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
printf 'PS1="nvmev:\\w# "\n' >"$R/etc/profile"
{
	echo "kernel=$KVER ($(basename "$KDEB"), $FLAVOUR)"
	echo "fio=$FIO_VERSION ($("$FIO" --version))"
	echo "nvme-cli=$(dpkg-query -W -f='${Version}' nvme-cli 2>/dev/null || echo '?')"
	echo "busybox=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo '?')"
	echo "qemu-utils=$(dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null || echo '?')"
	echo "fio-zbd=$FIO_VERSION t/zbd ($(sha256sum "$ZBD/t/zbd/test-zbd-support" | cut -c1-12))"
	echo "extra=${EXTRAS[*]:-}"
} >"$R/etc/nvmev-image"

# Reproducible archive: sorted names, root-owned, fixed gzip header.
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n >"$WORK/initramfs.cpio.gz"
cp "$VMLINUZ" "$WORK/vmlinuz"
mv -f "$WORK/vmlinuz" "$OUTDIR/vmlinuz"
mv -f "$WORK/initramfs.cpio.gz" "$OUTDIR/initramfs.cpio.gz"
echo "$stamp" >"$OUTDIR/.stamp"
log "built $OUTDIR: kernel $KVER, initramfs $(du -h "$OUTDIR/initramfs.cpio.gz" | cut -f1)"
