"""The issue's targets (reported as met / not met, never asserted) and the
readable table of a results.json."""

import fidelity

QD32 = "randread-4k-qd32"


def _target(name, value, met, detail, short):
    """SHORT: the figure's subtitle."""
    return {"name": name, "value": value, "met": met, "detail": detail, "short": short}


def _matrix_targets(res):
    out = []
    nv, qn = res.get("nvmev-iothread", {}).get(QD32), res.get("qemu-nvme", {}).get(QD32)
    if nv and qn:
        ratio = nv["iops"] / qn["iops"]
        out.append(_target("iops", ratio, ratio >= 1.5,
                           f"4 KiB randread QD32: nvmev-iothread {ratio:.2f}x qemu-nvme IOPS "
                           "(target >= 1.5x)", f"QD32: {ratio:.2f}x qemu-nvme (target >= 1.5x)"))
        a, b = nv["device_cpu_ns_per_io"], qn["device_cpu_ns_per_io"]
        if a is not None and b is not None:
            out.append(_target("cpu", a / b, a < b,
                               f"device CPU per I/O (4 KiB randread QD32): nvmev-iothread "
                               f"{a / 1000:.1f} us vs qemu-nvme {b / 1000:.1f} us (target <)",
                               f"CPU/IO {a / b:.2f}x qemu-nvme (target < 1)"))
    return out


def _micro_targets(micro):
    out = []
    ratios = ((micro or {}).get("core") or {}).get("memcpy_ratio", {})
    for size, goal in (("4K", 0.6), ("128K", 0.9)):
        r = ratios.get(size)
        if not r or "error" in r:
            continue
        worst = min(r.values())
        out.append(_target(f"core-{size}", worst, worst >= goal,
                           f"core {size}: command at {worst * 100:.0f} % of the memcpy bound "
                           f"(worst of {len(r)}; target >= {goal * 100:.0f} %)",
                           f"{worst * 100:.0f} % (target >= {goal * 100:.0f} %)"))
    return out


def _sim_targets(micro):
    """Issue 19: simulated 4 KiB commands per host second (--no-data)."""
    out = []
    benches = ((micro or {}).get("sim") or {}).get("benchmarks", {})
    for kind, goal in (("nvm", 2e6), ("conv", 1e6)):
        b = benches.get(f"BM_Sim/{kind}/no-data")
        if not b or not b.get("items_per_second"):
            continue
        ips = b["items_per_second"]
        out.append(_target(f"sim-{kind}", ips, ips >= goal,
                           f"nvmev-sim ssd={kind}: {ips / 1e6:.2f} M commands/s "
                           f"(target >= {goal / 1e6:.0f} M)",
                           f"{ips / 1e6:.2f} M/s (target >= {goal / 1e6:.0f} M)"))
    return out


def _fidelity_targets(fid):
    out = []
    rows = (fid or {}).get("latency", [])
    err = fidelity.worst_error(rows, "error_median_pct")
    if err is not None:
        mean_err = fidelity.worst_error(rows, "error_mean_pct")
        out.append(_target("fidelity", err, err <= 2.0,
                           f"added latency (median) within {err:.1f} % of configured from 20 us "
                           f"up (target 2 %; mean: {mean_err:.1f} %)",
                           f"worst error from 20 us: {err:.1f} % (target 2 %)"))
    late = [r["lateness"]["p99_us"] for r in rows if r["configured_us"] > 0]
    if late:
        out.append(_target("lateness", max(late), max(late) < 2.0,
                           f"lateness p99 worst {max(late):.2f} us over the settings > 0 "
                           "(target < 2 us)", f"lateness p99 {max(late):.2f} us (target < 2 us)"))
    return out


def targets(results):
    return (_matrix_targets((results.get("matrix") or {}).get("results", {})) +
            _micro_targets(results.get("micro")) + _sim_targets(results.get("micro")) +
            _fidelity_targets(results.get("fidelity")))


def _mark(t):
    return f"  [{'met' if t['met'] else 'NOT MET'}] {t['detail']}"


def _matrix_table(m, tg):
    res = m["results"]
    lines = ["guest fio (medians; device CPU = QEMU threads other than vCPUs, per I/O)",
             f"{'workload':22s} {'device':23s} {'IOPS':>9s} {'MB/s':>8s} {'lat us':>9s} "
             f"{'dev CPU us/IO':>14s} {'vs qemu-nvme':>13s}"]
    workloads = [w for w in m["workloads"] if any(w in res[d] for d in res)]
    for w in workloads:
        base = res.get("qemu-nvme", {}).get(w)
        for d in m["devices"]:
            r = res[d].get(w)
            if not r:
                continue
            cpu = r["device_cpu_ns_per_io"]
            cpu = f"{cpu / 1000:14.1f}" if cpu is not None else f"{'-':>14s}"
            ratio = f"{r['iops'] / base['iops']:12.2f}x" if base else f"{'-':>13s}"
            lines.append(f"{w:22s} {d:23s} {r['iops']:9.0f} {r['bw_mbps']:8.1f} "
                         f"{r['lat_mean_us']:9.1f} {cpu} {ratio}")
    lines += [_mark(t) for t in tg if t["name"] in ("iops", "cpu")]
    lines.append("  figure: iops-by-qd.png")
    return lines


def _fidelity_table(f, tg):
    lines = [f"fidelity: nvmev-iothread, {f['fio']}; medians of {f['rounds']} rounds",
             f"{'set us':>6s} {'mean':>8s} {'median':>8s} {'+mean':>8s} {'+median':>8s} "
             f"{'err% med':>8s} {'late p50':>8s} {'p99':>7s} {'p99.9':>8s} {'max':>9s}"]
    for r in f["latency"]:
        late = r["lateness"]
        add = lambda k: f"{r[k]:8.1f}" if k in r else f"{'-':>8s}"  # noqa: E731
        lines.append(f"{r['configured_us']:6d} {r['mean_us']:8.1f} {r['median_us']:8.1f} "
                     f"{add('added_mean_us')} {add('added_median_us')} "
                     f"{add('error_median_pct')} {late['p50_us']:8.2f} {late['p99_us']:7.2f} "
                     f"{late['p999_us']:8.2f} {late['max_us']:9.1f}")
    lines += [_mark(t) for t in tg if t["name"] in ("fidelity", "lateness")]
    lines.append("  figures: fidelity.png, latency-cdf.png")
    if f["bandwidth"]:
        lines += ["", "bandwidth: 128 KiB sequential QD8, latency 0",
                  f"{'op':6s} {'set MB/s':>9s} {'fio MB/s':>9s} {'error %':>8s} "
                  f"{'unthrottled MB/s':>17s}"]
        lines += [f"{b['op']:6s} {b['configured_mbps']:9d} {b['measured_mbps']:9.1f} "
                  f"{b['error_pct']:8.1f} {b['unthrottled_mbps']:17.1f}" for b in f["bandwidth"]]
    return lines


def _micro_table(micro, tg):
    lines = ["host microbenchmarks (Google Benchmark)",
             f"{'benchmark':44s} {'items/s':>14s} {'cpu ns':>10s}"]
    for key in ("ftl", "core", "sim"):
        part = micro.get(key)
        if part is None:
            lines.append(f"{key}: not built, skipped")
        elif "error" in part:
            lines.append(f"{key}: failed: {part['error']}")
        else:
            for n, b in part["benchmarks"].items():
                ips = b["items_per_second"]
                ips = f"{ips:14.0f}" if ips else f"{'-':>14s}"
                lines.append(f"{n:44s} {ips} {b['cpu_time']:10.1f}")
    lines += [_mark(t) for t in tg if t["name"].startswith(("core-", "sim-"))]
    return lines


def _fidelity_sim_table(part):
    """nvmev sim against published figures (bench/fidelity_sim.py; docs/fidelity.md)."""
    lines = ["nvmev sim against published figures (full table: fidelity-sim.md)",
             f"{'preset':16s} {'workload':18s} {'sim':>12s} {'published':>12s} "
             f"{'error':>8s}  source"]
    for r in part["comparisons"]:
        sim = r["sim"]
        sim = f"{sim:12.1f}" if isinstance(sim, (int, float)) else f"{'n/a':>12s}"
        err = f"{r['error_pct']:+7.1f}%" if r["error_pct"] is not None else f"{'':>8s}"
        lines.append(f"{r['preset']:16s} {r['workload']:18s} {sim} {r['published']:12g} {err}  "
                     f"{r['source']}")
    return lines


def table(results):
    tg = results["targets"]
    m = results["machine"]
    lines = [f"nvmev bench {results['date']}  git {m['git_rev']}  {m['model_name']} "
             f"x{m['cpus']}  kernel {m['kernel']}  {m['qemu_version']}",
             f"options: {results['options']}  load average at start "
             f"{m['loadavg_start'][0]:.2f}, at end {m['loadavg_end'][0]:.2f}", ""]
    if results.get("matrix"):
        lines += _matrix_table(results["matrix"], tg) + [""]
    if results.get("fidelity"):
        lines += _fidelity_table(results["fidelity"], tg) + [""]
    if results.get("micro"):
        lines += _micro_table(results["micro"], tg) + [""]
    if results.get("fidelity-sim"):
        lines += _fidelity_sim_table(results["fidelity-sim"]) + [""]
    lines.append(f"wall time: {results['wall_time_s']:.0f} s")
    return "\n".join(lines) + "\n"
