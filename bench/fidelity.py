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


def script(latencies, bandwidths, rounds, runtime, tmp):
    dev = "/dev/nvme0n1"
    lat_job = dict(rw="randread", bs="4k", size="64M", iodepth=1, hipri=1,
                   runtime=runtime, time_based=1, lat_percentiles=1)
    text = guest.fio("warmup", dev, **dict(lat_job, runtime=5))
    hooks = {}
    # Rounds over all settings, so that drift on a shared host hits each alike.
    for i in range(rounds):
        for lat in latencies:
            name = f"lat-{lat}-{i}"
            hooks[f"set-lat-{lat}"] = _set(**{"read-latency-ns": lat * 1000})
            hooks[f"stats-{name}"] = _query(os.path.join(tmp, f"{name}.json"))
            text += guest.hook(f"set-lat-{lat}")
            text += guest.fio(name, dev, **lat_job)
            text += guest.hook(f"stats-{name}")
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


def _measure(job, path):
    # Total latency (lat_ns), not clat: with polled io_uring at QD1 the
    # submitting syscall often reaps the completion too, so fio's clat is
    # near zero and the device's time shows up in slat.
    total = job["read"]["lat_ns"]
    pct = {k: v / 1000.0 for k, v in total.get("percentile", {}).items()}
    return {"mean_us": total["mean"] / 1000.0, "median_us": pct["50.000000"],
            "percentiles_us": pct, "iops": job["read"]["iops"], "lateness": _lateness(path)}


def _latency_row(lat, rounds, base):
    """Medians over the rounds (the lateness max: the largest)."""
    med = lambda f: statistics.median(f(r) for r in rounds)  # noqa: E731
    late = {k: med(lambda r: r["lateness"][k]) for k in ("p50_us", "p99_us", "p999_us")}
    late["max_us"] = max(r["lateness"]["max_us"] for r in rounds)
    late["samples"] = sum(r["lateness"]["samples"] for r in rounds)
    row = {"configured_us": lat, "mean_us": med(lambda r: r["mean_us"]),
           "median_us": med(lambda r: r["median_us"]), "iops": med(lambda r: r["iops"]),
           "percentiles_us": {k: med(lambda r: r["percentiles_us"][k])
                              for k in rounds[0]["percentiles_us"]},
           "lateness": late, "rounds": rounds}
    if base is not None:
        row["added_mean_us"] = row["mean_us"] - base["mean_us"]
        row["added_median_us"] = row["median_us"] - base["median_us"]
        if lat:
            row["error_mean_pct"] = (row["added_mean_us"] - lat) / lat * 100
            row["error_median_pct"] = (row["added_median_us"] - lat) / lat * 100
    return row


def run(opts, quick, rounds, runtime):
    latencies = QUICK_LATENCIES_US if quick else LATENCIES_US
    bandwidths = [] if quick else BANDWIDTHS_MBPS
    with tempfile.TemporaryDirectory(prefix="nvmev-fidelity.") as tmp:
        os.chmod(tmp, 0o755)
        text, hooks = script(latencies, bandwidths, rounds, runtime, tmp)
        n = 1 + rounds * len(latencies) + 2 * (len(bandwidths) + 1)
        results = guest.boot("nvmev-iothread", text, hooks, opts, extra=POLL,
                             timeout=120 + n * (runtime + 10))
        rows, base = [], None
        for lat in latencies:
            runs = [_measure(results[f"lat-{lat}-{i}"]["jobs"][0],
                             os.path.join(tmp, f"lat-{lat}-{i}.json")) for i in range(rounds)]
            row = _latency_row(lat, runs, base)
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
    return {"latency": rows, "bandwidth": bw_rows, "runtime_s": runtime, "rounds": rounds,
            "fio": "4k randread QD1 io_uring hipri, nvme.poll_queues=1, total latency (lat_ns)"}


def worst_error(rows, key, from_us=20):
    errs = [abs(r[key]) for r in rows if r["configured_us"] >= from_us and key in r]
    return max(errs) if errs else None


def median_lateness_p99(rows):
    return statistics.median(r["lateness"]["p99_us"] for r in rows) if rows else None
