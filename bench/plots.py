"""PNG figures from a results dict via gnuplot (bench/*.gp): latency-cdf.png,
iops-by-qd.png, fidelity.png. The data files are left beside them."""

import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def terminal():
    """pngcairo when this gnuplot has it (antialiased), else libgd's png."""
    proc = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" if "pngcairo" in proc.stdout + proc.stderr else "png"


def _gnuplot(script, out, term, **values):
    defs = [f"term='{term}'", f"outdir='{out}'"] + [f"{k}='{v}'" for k, v in values.items()]
    # `set terminal term` needs the name, not a string: substitute it.
    with open(os.path.join(HERE, script)) as f:
        text = f.read().replace("set terminal term", f"set terminal {term}")
    proc = subprocess.run(["gnuplot", "-e", "; ".join(defs), "-"], input=text,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"gnuplot {script}: {proc.stderr.strip()}")


def _subtitle(results, name):
    t = next((t for t in results["targets"] if t["name"] == name), None)
    return f"[{'met' if t['met'] else 'NOT MET'}] {t['short']}" if t else ""


def latency_cdf(results, out, term):
    rows = results["fidelity"]["latency"]
    base = rows[0]["median_us"]
    with open(os.path.join(out, "cdf.dat"), "w") as f:
        for r in rows:
            pts = sorted((v, float(p) / 100) for p, v in r["percentiles_us"].items())
            f.write("".join(f"{v} {p}\n" for v, p in pts) + "\n\n")
    with open(os.path.join(out, "cdf-marks.gp"), "w") as f:
        for i, r in enumerate(rows[1:], start=2):
            x = base + r["configured_us"]
            f.write(f"set arrow from {x},graph 0 to {x},graph 1 nohead dt 2 lc {i}\n")
    titles = " ".join(f"{r['configured_us']}us" for r in rows)
    _gnuplot("latency-cdf.gp", out, term, titles=titles, subtitle=_subtitle(results, "lateness"))


def iops_by_qd(results, out, term):
    m = results["matrix"]
    res = m["results"]
    with open(os.path.join(out, "iops-by-qd.dat"), "w") as f:
        f.write("# qd " + " ".join(m["qd_series"]["devices"]) + "\n")
        for qd in m["qd_series"]["qd"]:
            vals = [res.get(d, {}).get(f"randread-4k-qd{qd}", {}).get("iops")
                    for d in m["qd_series"]["devices"]]
            if None not in vals:  # --quick measures QD1 and QD32 only
                f.write(f"{qd} " + " ".join(f"{v:.0f}" for v in vals) + "\n")
    _gnuplot("iops-by-qd.gp", out, term, subtitle=_subtitle(results, "iops"))


def fidelity(results, out, term):
    with open(os.path.join(out, "fidelity.dat"), "w") as f:
        f.write("# configured_us added_mean_us added_median_us\n")
        for r in results["fidelity"]["latency"]:
            f.write(f"{r['configured_us']} {r.get('added_mean_us', 0):.2f} "
                    f"{r.get('added_median_us', 0):.2f}\n")
    _gnuplot("fidelity.gp", out, term, subtitle=_subtitle(results, "fidelity"))


def make_all(results, out):
    """Draws what the results allow; returns the PNG names written."""
    if not shutil.which("gnuplot"):
        print("  plots: gnuplot not installed (./nvmev setup), skipped", file=sys.stderr)
        return []
    term = terminal()
    made = []
    jobs = []
    if results.get("fidelity"):
        jobs += [("latency-cdf.png", latency_cdf), ("fidelity.png", fidelity)]
    if results.get("matrix"):
        jobs.append(("iops-by-qd.png", iops_by_qd))
    for name, fn in jobs:
        try:
            fn(results, out, term)
            made.append(name)
        except (RuntimeError, KeyError, OSError) as e:
            print(f"  plots: {name} failed: {e}", file=sys.stderr)
    return made
