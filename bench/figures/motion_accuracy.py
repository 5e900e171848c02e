#!/usr/bin/env python3
"""Figure data: quadmotion's estimate against quadcapturesrc's ground truth on
synthetic global pans, per pan speed: the share of blocks (with a reference,
not occluded) whose estimate is within half a luma sample of the truth, and
the mean endpoint error. Writes CSV (speed_px,within_half_pct,mean_error_px,blocks).

    motion_accuracy.py OUT.csv [--frames N]

Needs python3-gi, GstQuad-1.0 on GI_TYPELIB_PATH and gst-quad's plugins
(./quad env runs it with both).
"""
import argparse
import csv
import math

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstQuad", "1.0")
from gi.repository import Gst, GstQuad  # noqa: E402

SPEEDS = [0.5, 1.5, 3.25, 6.5, 12.75, 25.5, 48.0]
SKIP = GstQuad.MotionFlags.NO_REFERENCE | GstQuad.MotionFlags.OCCLUDED


def measure(speed, frames):
    pipeline = Gst.parse_launch(
        f"quadcapturesrc is-live=false num-buffers={frames} ground-truth=true block-size=16 "
        f"objects=0 pan-x={speed} pan-y={-speed / 3:.4f} ! "
        "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
        "quadmotion block-size=16 ! appsink name=sink sync=false")
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    errors = []
    while (sample := sink.emit("pull-sample")) is not None:
        buf = sample.get_buffer()
        truth = GstQuad.buffer_get_quad_motion_meta_by_source(buf, GstQuad.MotionSource.GROUND_TRUTH)
        estimate = GstQuad.buffer_get_quad_motion_meta_by_source(buf, GstQuad.MotionSource.ESTIMATE)
        if truth is None or estimate is None or truth.get_n_blocks() != estimate.get_n_blocks():
            raise SystemExit("motion_accuracy.py: a frame lacks ground truth or estimate")
        for i in range(truth.get_n_blocks()):
            if (truth.get_flags(i) | estimate.get_flags(i)) & SKIP:
                continue
            _, tx, ty = truth.get_mv(i)
            _, ex, ey = estimate.get_mv(i)
            errors.append(math.hypot(tx - ex, ty - ey) / 4)
    pipeline.set_state(Gst.State.NULL)
    if not errors:
        raise SystemExit(f"motion_accuracy.py: no comparable blocks at {speed} px/frame")
    within = 100 * sum(e <= 0.5 for e in errors) / len(errors)
    return within, sum(errors) / len(errors), len(errors)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--frames", type=int, default=12)
    args = parser.parse_args()
    Gst.init(None)
    with open(args.out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["speed_px", "within_half_pct", "mean_error_px", "blocks"])
        for speed in SPEEDS:
            within, mean, blocks = measure(speed, args.frames)
            length = math.hypot(speed, speed / 3)
            print(f"{length:6.2f} px/frame: {within:5.1f} % within 0.5 sample, "
                  f"mean error {mean:.3f} px ({blocks} blocks)")
            writer.writerow([f"{length:.3f}", f"{within:.2f}", f"{mean:.4f}", blocks])


if __name__ == "__main__":
    main()
