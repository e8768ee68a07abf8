"""Fidelity sweep, nvmev in an IOThread, in one boot: configured read latency
(set over QMP between fio runs) against the latency the guest measures, and
configured bandwidth against fio's sequential bandwidth.

The guest polls for completions (io_uring hipri on a poll queue, as the
guest test of read latency does): a TCG vCPU that sleeps while it waits
costs tens of microseconds to wake, only on waits long enough to sleep,
which would bias the added latency."""

import json
import os
import statistics
import sys
import tempfile

import guest

LATENCIES_US = [0, 10, 20, 50, 100, 200]
QUICK_LATENCIES_US = [0, 20, 200]
BANDWIDTHS_MBPS = [100, 200, 400]
FAST_BW = 1000000
POLL = ["--append", "nvme.poll_queues=1"]


def _set(**values):
    return (f"{guest.QMP} nvmev-set-timing " +
            guest.shq(json.dumps(dict(id="nvme0", **values))) +
            f" >/dev/null && {guest.QMP} nvmev-reset-stats '{{\"id\": \"nvme0\"}}' >/dev/null")


def _query(path):
    return f"{guest.QMP} query-nvmev > {path}"


def script(latencies, bandwidths, runtime, tmp):
    dev = "/dev/nvme0n1"
    lat_job = dict(rw="randread", bs="4k", size="64M", iodepth=1, hipri=1,
                   runtime=runtime, time_based=1, lat_percentiles=1)
    text = guest.fio("warmup", dev, **dict(lat_job, runtime=5))
    hooks = {}
    for lat in latencies:
        hooks[f"set-lat-{lat}"] = _set(**{"read-latency-ns": lat * 1000})
        hooks[f"stats-lat-{lat}"] = _query(os.path.join(tmp, f"lat-{lat}.json"))
        text += guest.hook(f"set-lat-{lat}")
        text += guest.fio(f"lat-{lat}", dev, **lat_job)
        text += guest.hook(f"stats-lat-{lat}")
    seq = dict(bs="128k", iodepth=8, runtime=runtime, time_based=1)
    for op in ("read", "write") if bandwidths else ():
        # First unthrottled: what TCG reaches at all, so a configured value
        # above that ceiling is read as such and not as an error of the model.
        for bw in ["ceiling"] + bandwidths:
            name = f"bw-{op}-{bw}"
            hooks[name] = _set(**{f"{op}-latency-ns": 0,
                                  f"{op}-bandwidth-mbps": FAST_BW if bw == "ceiling" else bw})
            text += guest.hook(name)
            text += guest.fio(name, dev, rw=op, **seq)
    return text, hooks


def _lateness(path):
    with open(path) as f:
        info = json.load(f)[0]
    late = info["lateness"]
    return {"samples": late["samples"], "p50_us": late["p50-ns"] / 1000.0,
            "p99_us": late["p99-ns"] / 1000.0, "p999_us": late["p999-ns"] / 1000.0,
            "max_us": late["max-ns"] / 1000.0}


def _latency_row(job, lat, base, tmp):
    # Total latency (lat_ns), not clat: with polled io_uring at QD1 the
    # submitting syscall often reaps the completion too, so fio's clat is
    # near zero and the device's time shows up in slat.
    total = job["read"]["lat_ns"]
    pct = {k: v / 1000.0 for k, v in total.get("percentile", {}).items()}
    row = {"configured_us": lat, "mean_us": total["mean"] / 1000.0,
           "median_us": pct.get("50.000000"), "percentiles_us": pct,
           "iops": job["read"]["iops"], "lateness": _lateness(os.path.join(tmp, f"lat-{lat}.json"))}
    if base is not None:
        row["added_mean_us"] = row["mean_us"] - base["mean_us"]
        row["added_median_us"] = row["median_us"] - base["median_us"]
        if lat:
            row["error_mean_pct"] = (row["added_mean_us"] - lat) / lat * 100
            row["error_median_pct"] = (row["added_median_us"] - lat) / lat * 100
    return row


def run(opts, quick, runtime):
    latencies = QUICK_LATENCIES_US if quick else LATENCIES_US
    bandwidths = [] if quick else BANDWIDTHS_MBPS
    with tempfile.TemporaryDirectory(prefix="nvmev-fidelity.") as tmp:
        os.chmod(tmp, 0o755)
        text, hooks = script(latencies, bandwidths, runtime, tmp)
        n = 1 + len(latencies) + 2 * (len(bandwidths) + 1)
        results = guest.boot("nvmev-iothread", text, hooks, opts, extra=POLL,
                             timeout=120 + n * (runtime + 10))
        rows, base = [], None
        for lat in latencies:
            row = _latency_row(results[f"lat-{lat}"]["jobs"][0], lat, base, tmp)
            base = base or row
            rows.append(row)
    bw_rows = []
    for op in ("read", "write") if bandwidths else ():
        ceiling = results[f"bw-{op}-ceiling"]["jobs"][0][op]["bw_bytes"] / 1e6
        for bw in bandwidths:
            measured = results[f"bw-{op}-{bw}"]["jobs"][0][op]["bw_bytes"] / 1e6
            bw_rows.append({"op": op, "configured_mbps": bw, "measured_mbps": measured,
                            "unthrottled_mbps": ceiling, "error_pct": (measured - bw) / bw * 100})
    for r in rows:
        print(f"  fidelity {r['configured_us']:4d} us: mean {r['mean_us']:.1f} "
              f"median {r['median_us']:.1f} us", file=sys.stderr, flush=True)
    return {"latency": rows, "bandwidth": bw_rows, "runtime_s": runtime,
            "fio": "4k randread QD1 io_uring hipri, nvme.poll_queues=1, total latency (lat_ns)"}


def worst_error(rows, key, from_us=20):
    errs = [abs(r[key]) for r in rows if r["configured_us"] >= from_us and key in r]
    return max(errs) if errs else None


def median_lateness_p99(rows):
    return statistics.median(r["lateness"]["p99_us"] for r in rows) if rows else None
