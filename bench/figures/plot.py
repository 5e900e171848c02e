#!/usr/bin/env python3
"""Draws benchmark figures from their CSV data with matplotlib (Debian's
python3-matplotlib), one PNG per CSV, beside the data.

    plot.py motion-accuracy DATA.csv [OUT.png]
        columns speed_px, within_half_pct, mean_error_px
    plot.py rd DATA.csv [OUT.png]
        columns clip, encoder, kbps, psnr_y: one panel per clip, one
        rate-distortion curve (rate in kbit/s against PSNR-Y) per encoder
    plot.py net-latency DATA.csv [OUT.png]
        columns case, sink, latency_us (and run): one panel per case, the
        distribution of latency per sink over all runs as a cumulative curve
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def motion_accuracy(rows, out):
    speed = [float(r["speed_px"]) for r in rows]
    fig, left = plt.subplots(figsize=(6, 3.5))
    left.plot(speed, [float(r["within_half_pct"]) for r in rows], "o-", color="tab:blue")
    left.set_xscale("log")
    left.set_xlabel("pan speed (luma samples per frame)")
    left.set_ylabel("blocks within 0.5 sample of truth (%)", color="tab:blue")
    left.set_ylim(0, 101)
    right = left.twinx()
    right.plot(speed, [float(r["mean_error_px"]) for r in rows], "s--", color="tab:red")
    right.set_ylabel("mean endpoint error (samples)", color="tab:red")
    right.set_ylim(bottom=0)
    left.set_title("quadmotion against ground truth")
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def rd(rows, out):
    curves = defaultdict(lambda: defaultdict(list))
    for r in rows:
        curves[r["clip"]][r["encoder"]].append((float(r["kbps"]), float(r["psnr_y"])))
    clips = sorted(curves)
    fig, axes = plt.subplots(1, len(clips), figsize=(4.5 * len(clips), 3.5), squeeze=False)
    for ax, clip in zip(axes[0], clips):
        for encoder, points in sorted(curves[clip].items()):
            points.sort()
            ax.plot([p[0] for p in points], [p[1] for p in points], "o-", label=encoder)
        ax.set_title(clip)
        ax.set_xlabel("rate (kbit/s)")
        ax.set_ylabel("PSNR-Y (dB)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def net_latency(rows, out):
    samples = defaultdict(lambda: defaultdict(list))
    for r in rows:
        samples[r["case"]][r["sink"]].append(float(r["latency_us"]) / 1000)
    cases = sorted(samples)
    fig, axes = plt.subplots(1, len(cases), figsize=(5.5 * len(cases), 3.8), squeeze=False)
    for ax, case in zip(axes[0], cases):
        for sink, values in sorted(samples[case].items()):
            values.sort()
            n = len(values)
            p50, p99 = values[n // 2], values[min(n - 1, n * 99 // 100)]
            ax.step(values, [100 * (i + 1) / n for i in range(n)], where="post",
                    label=f"{sink} (p50 {p50:.2f}, p99 {p99:.2f} ms)")
        ax.set_xscale("log")
        ax.set_title(case)
        ax.set_xlabel("push into the sink to the whole unit at the client (ms)")
        ax.set_ylabel("access units at or below (%)")
        ax.set_ylim(0, 100.5)
        ax.axhline(99, color="grey", lw=0.5, ls="--")
        ax.grid(alpha=0.3, which="both")
        ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    fig.savefig(out, dpi=120)


KINDS = {"motion-accuracy": motion_accuracy, "rd": rd, "net-latency": net_latency}


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] not in KINDS:
        sys.exit(__doc__)
    data = sys.argv[2]
    out = sys.argv[3] if len(sys.argv) == 4 else data.rsplit(".", 1)[0] + ".png"
    rows = read(data)
    if not rows:
        sys.exit(f"plot.py: {data} has no rows")
    KINDS[sys.argv[1]](rows, out)
    print(f"plot.py: wrote {out}")


if __name__ == "__main__":
    main()
