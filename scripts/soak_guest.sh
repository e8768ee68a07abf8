#!/bin/sh
# The guest half of ./nvmev soak (scripts/soak.py writes SECS and SEED in
# front of this file). Every kind at once on controller SOAK-0: fio with
# verify on ssd=nvm (n2), ssd=conv (n3), ssd=zns (n4, zonemode=zbd),
# nvmev-kv bench (with its checks) on ssd=kv (n1), and a write/verify cycle
# on n5 that detaches and reattaches it. Meanwhile controller resets at
# random moments, and at half time one hot-unplug and replug of controller
# SOAK-HP, whose data is verified after it comes back. Each step prints one
# line "SOAK ok|FAIL <what> <n>" that the host counts.
set -u
RANDOM=$SEED
end=$(($(date +%s) + SECS))
half=$(($(date +%s) + SECS / 2))
ZONE_MIB=16
FIO="fio --direct=1 --ioengine=io_uring --bs=4k --verify=crc32c --verify_fatal=1"

log() { echo "SOAK $*"; }
running() { [ "$(date +%s)" -lt "$end" ]; }
# The admin lock: a controller reset aborts passthrough commands (KV) and
# admin commands in flight, so those take turns with it (mkdir is atomic).
lock() { until mkdir /tmp/soak.lock 2>/dev/null; do sleep 0.1; done; }
unlock() { rmdir /tmp/soak.lock; }
gone() { # NODE: waits up to 30 s for it to disappear
	t=0
	while [ -e "$1" ]; do
		[ $t -lt 300 ] || return 1
		sleep 0.1
		t=$((t + 1))
	done
}
ctrl_by_serial() { # SERIAL -> nvmeN
	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/serial" 2>/dev/null | tr -d ' ')" = "$1" ] && echo "${c##*/}"
	done
}
# One fio run; "SOAK ok NAME N" if it ended well, else FAIL and its output.
fio_step() { # NAME N ARGS...
	name=$1 n=$2
	shift 2
	if $FIO --name="$name" "$@" >"/tmp/$name.out" 2>&1; then
		log ok "$name" "$n"
	else
		log FAIL "$name" "$n"
		cat "/tmp/$name.out"
	fi
}

nvmev-wait nvme0 30 && nvmev-wait nvme1 30 || {
	log FAIL boot 0
	exit 1
}
c0=$(ctrl_by_serial SOAK-0)
hp=$(ctrl_by_serial SOAK-HP)
echo "controllers: $c0 (every kind) $hp (hot-plug)"

# ssd=nvm and ssd=conv: 32 MiB of random 4 KiB writes over most of the
# namespace (conv: enough overwrites to keep GC busy), then verified.
block_loop() { # NAME DEV RANGE
	i=0
	while running; do
		i=$((i + 1))
		fio_step "$1" $i --filename="$2" --rw=randwrite --iodepth=8 --size="$3" \
			--io_size=32M --randseed=$((SEED + i)) --do_verify=1
	done
}

# ssd=zns: zones 0-11 of 16 (13-15 are the host's fault-injection zones):
# reset two zones, write them sequentially with zonemode=zbd, verify.
zns_loop() {
	i=0
	while running; do
		i=$((i + 1))
		off=$(((i % 6) * 2 * ZONE_MIB))
		blkzone reset -o $((off * 2048)) -c 2 "/dev/${c0}n4" || log FAIL zns-reset $i
		fio_step zns $i --filename="/dev/${c0}n4" --zonemode=zbd --rw=write --iodepth=1 \
			--offset=${off}M --size=$((2 * ZONE_MIB))M --do_verify=1
	done
}

# ssd=kv: a short seeded bench at a time; it checks every answer.
kv_loop() {
	i=0
	while running; do
		i=$((i + 1))
		lock
		if nvmev-kv "/dev/ng${c0#nvme}n1" bench --ops 300 --keys 64 --value-size 2048 \
			--seed $((SEED + i)) >/tmp/kv.out 2>&1; then
			log ok kv $i
		else
			log FAIL kv $i
			cat /tmp/kv.out
		fi
		unlock
	done
}

# n5: write and verify, detach it (Namespace Attachment), attach it again,
# verify what was written before the detach.
attach_loop() {
	i=0
	while running; do
		i=$((i + 1))
		args="--filename=/dev/${c0}n5 --rw=randwrite --iodepth=4 --size=16M --randseed=$((SEED + 7 * i))"
		# shellcheck disable=SC2086
		fio_step ns5 $i $args --do_verify=1
		lock
		# Linux removes the node when it has handled the notice: wait for
		# that, or the old node would pass for the reattached one.
		if nvme detach-ns "/dev/$c0" -n 5 -c 1 >/dev/null && gone "/dev/${c0}n5" &&
			nvme attach-ns "/dev/$c0" -n 5 -c 1 >/dev/null &&
			nvmev-wait "/dev/${c0}n5" 30; then
			log ok attach $i
		else
			log FAIL attach $i
		fi
		unlock
		# shellcheck disable=SC2086
		fio_step ns5-after-attach $i $args --verify_only=1
	done
}

# Controller resets of SOAK-0 every 5-24 s.
reset_loop() {
	i=0
	while running; do
		sleep $((5 + RANDOM % 20))
		running || break
		i=$((i + 1))
		lock
		if nvme reset "/dev/$c0" && nvmev-wait "$c0" 30; then
			log ok reset $i
		else
			log FAIL reset $i
		fi
		unlock
	done
}

# SOAK-HP: write/verify, and once at half time: hot-unplug (the host's
# device_del), replug (device_add on the same memdev), verify the data
# written before the unplug.
hotplug_loop() {
	i=0
	plugged=0
	while running; do
		i=$((i + 1))
		args="--filename=/dev/${hp}n1 --rw=randwrite --iodepth=8 --size=32M --randseed=$((SEED + 11 * i))"
		# shellcheck disable=SC2086
		fio_step hp $i $args --do_verify=1
		if [ $plugged = 0 ] && [ "$(date +%s)" -ge $half ]; then
			plugged=1
			nvmev-host unplug || log FAIL unplug 1
			gone "/sys/class/nvme/$hp" || log FAIL unplug-gone 1
			nvmev-host replug || log FAIL replug 1
			t=0
			while [ -z "$(ctrl_by_serial SOAK-HP)" ] && [ $t -lt 600 ]; do
				sleep 0.1
				t=$((t + 1))
			done
			hp=$(ctrl_by_serial SOAK-HP)
			if [ -n "$hp" ] && nvmev-wait "$hp" 30; then
				log ok replug 1
				args="--filename=/dev/${hp}n1 --rw=randwrite --iodepth=8 --size=32M --randseed=$((SEED + 11 * i))"
				# shellcheck disable=SC2086
				fio_step hp-after-replug 1 $args --verify_only=1
			else
				log FAIL replug 1
				return
			fi
		fi
	done
}

block_loop nvm "/dev/${c0}n2" 120M &
block_loop conv "/dev/${c0}n3" 240M &
zns_loop &
kv_loop &
attach_loop &
reset_loop &
hotplug_loop &
wait
echo "==DMESG=="
dmesg -r | grep -E "^<[0-4]>"
echo "==END DMESG=="
# For the log only: the driver's notices of every level.
echo "==NVME-LOG=="
dmesg | grep -iE "nvme|pciehp" | tail -n 200
echo "==END NVME-LOG=="
log done 1
