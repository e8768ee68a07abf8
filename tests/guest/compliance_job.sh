# Guest side of test_compliance.py: runs nvme-cli's identify, log page and
# feature commands against /dev/nvme0 and prints, per command, its stdout,
# stderr and exit status as sections (==NAME==, ==NAME.err==, ==NAME.rc==).
# Sweeps log page IDs, feature IDs and opcodes (every ID a controller of
# this kind could claim, plus a sample of the rest: each nvme-cli call costs
# a TCG guest a fraction of a second), printing one line per try:
# "<id> <exit status> <last '(0x....)' status nvme-cli printed>".
# Set by the caller: CSIS (the command set identifiers to query, e.g. "0 2"),
# LIDS, FIDS, ADMIN_OPS, IO_OPS (the IDs to sweep, decimal).

C() { # C NAME COMMAND...: run a command, print its output as sections
	n=$1
	shift
	"$@" >/tmp/o 2>/tmp/e
	rc=$?
	echo "==$n=="; cat /tmp/o; echo; echo "==END $n=="
	echo "==$n.err=="; cat /tmp/e; echo; echo "==END $n.err=="
	echo "==$n.rc=="; echo "$rc"; echo "==END $n.rc=="
}
status_of() { # the status value nvme-cli printed last, e.g. (0x4109)
	grep -o '(0x[0-9a-fA-F]*)' /tmp/e | tail -n 1
}
D=/dev/nvme0
N=/dev/nvme0n1

C id-ctrl nvme id-ctrl $D -o json
C id-ns nvme id-ns $N -o json
C ns-descs nvme ns-descs $N -o json
C list-ns nvme list-ns $D -o json
C list-ns-all nvme list-ns $D --all -o json
C id-iocs nvme id-iocs $D
C nvm-id-ctrl nvme nvm-id-ctrl $D -o json
C nvm-id-ns nvme nvm-id-ns $N -o json
for csi in $CSIS; do
	C list-ns-csi$csi nvme list-ns $D --csi=$csi -o json
done
case " $CSIS " in *" 2 "*)
	C zns-id-ctrl nvme zns id-ctrl $D -o json
	C zns-id-ns nvme zns id-ns $N -o json
	C zns-changed nvme zns changed-zone-list $N -o json
	;;
esac
C smart-before nvme smart-log $D -o json
C error-log nvme error-log $D -o json
C fw-log nvme fw-log $D -o json
C effects nvme effects-log $D --csi=0 -o json
# nvme-cli 2.3 aborts in supported-log-pages -o json (a JSON object used as
# an array), so the log is read raw: one LSUPP/IOS dword per LID.
slp() { nvme get-log $D --log-id=0 --log-len=1024 -b >/tmp/slp.bin && od -An -tx4 -v -w4 /tmp/slp.bin | tr -d ' '; }
C supported-log-pages slp
C changed-ns nvme changed-ns-list-log $D -o json
# An unknown CNS (0x1f is reserved).
C bad-cns nvme admin-passthru $D --opcode=0x06 --cdw10=0x1f --data-len=4096 --read
# 1 MiB of I/O, then SMART again: its data units must move.
dd if=/dev/urandom of=$N bs=64k count=16 oflag=direct 2>/dev/null
dd if=$N of=/dev/null bs=64k count=16 iflag=direct 2>/dev/null
C smart-after nvme smart-log $D -o json

# The effects logs, raw, for the opcode sweep (and the test's own check).
for csi in $CSIS; do
	nvme get-log $D --log-id=5 --log-len=4096 --csi=$csi -b >/tmp/effects$csi.bin 2>/dev/null
	echo "==EFFECTS-RAW$csi=="; od -An -tx4 -v -w4 /tmp/effects$csi.bin | tr -d ' '; echo "==END EFFECTS-RAW$csi=="
done

echo "==LIDS=="
for l in $LIDS; do
	nvme get-log $D --log-id=$l --log-len=512 -b >/dev/null 2>/tmp/e
	echo "$l $? $(status_of)"
done
echo "==END LIDS=="

echo "==FIDS=="
for f in $FIDS; do
	for sel in 0 1 2 3; do
		nvme admin-passthru $D --opcode=0x0a --cdw10=$((f | sel << 8)) --data-len=4096 --read \
			>/dev/null 2>/tmp/e
		echo "$f $sel $? $(status_of) $(grep -o 'result: 0x[0-9a-f]*' /tmp/e)"
		# An unsupported FID fails for every SEL: try the others only if 0 worked.
		grep -q 'is Success' /tmp/e || break
	done
done
echo "==END FIDS=="

# Opcodes of the sample the NVM effects log does not claim: Invalid Opcode.
od -An -tu4 -v -w4 /tmp/effects0.bin >/tmp/eff.txt
echo "==ADMIN-OPCODES=="
unclaimed() { # unclaimed FIRST_LINE OPCODES...: the opcodes whose effects dword is 0
	first=$1
	shift
	for op in "$@"; do
		awk -v n=$((first + op)) 'NR == n && $1 % 2 == 0 { print n - '"$first"' }' /tmp/eff.txt
	done
}
for op in $(unclaimed 1 $ADMIN_OPS); do
	nvme admin-passthru $D --opcode=$op >/dev/null 2>/tmp/e
	echo "$op $? $(status_of)"
done
echo "==END ADMIN-OPCODES=="
echo "==IO-OPCODES=="
for op in $(unclaimed 257 $IO_OPS); do
	nvme io-passthru $N --opcode=$op --namespace-id=1 >/dev/null 2>/tmp/e
	echo "$op $? $(status_of)"
done
echo "==END IO-OPCODES=="
# query-nvmev from the host, for MDTS and the capacity.
nvmev-host query
