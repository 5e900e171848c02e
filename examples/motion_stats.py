#!/usr/bin/env python3
"""Reads quadmotion's vectors and quadpreproc's analysis through
GObject-Introspection: for each frame, the mean motion of the blocks that have
a reference and the fraction of blocks an intra prediction codes better.

    motion_stats.py [FRAMES]      (default 60)

Needs python3-gi, GstQuad-1.0.typelib on GI_TYPELIB_PATH (installed with
gst-quad, or build/common) and gst-quad's plugins on GST_PLUGIN_PATH.
Exits non-zero when a frame carries no estimate, or when no frame moved.
"""
import math
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstQuad", "1.0")
from gi.repository import Gst, GstQuad  # noqa: E402


def frame_stats(meta):
    """Mean vector length in luma samples over blocks with a reference, the
    INTRA_BETTER fraction over all blocks, and whether any block had one."""
    n = meta.get_n_blocks()
    lengths = []
    intra = 0
    for i in range(n):
        flags = meta.get_flags(i)
        if flags & GstQuad.MotionFlags.INTRA_BETTER:
            intra += 1
        if flags & GstQuad.MotionFlags.NO_REFERENCE:
            continue
        _, mv_x, mv_y = meta.get_mv(i)
        lengths.append(math.hypot(mv_x / 4, mv_y / 4))
    mean = sum(lengths) / len(lengths) if lengths else 0.0
    return mean, intra / n if n else 0.0, bool(lengths)


def main():
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"quadcapturesrc is-live=false num-buffers={frames} ! "
        "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! "
        "quadpreproc analysis=true ! quadmotion ! appsink name=sink sync=false")
    sink = pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)

    status, seen, moved = 0, 0, 0
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        buf = sample.get_buffer()
        meta = GstQuad.buffer_get_quad_motion_meta_by_source(buf, GstQuad.MotionSource.ESTIMATE)
        analysis = GstQuad.buffer_get_quad_analysis_meta(buf)
        if meta is None:
            print(f"motion_stats.py: frame {seen} has no motion estimate", file=sys.stderr)
            status = 1
        else:
            mean, intra, has_reference = frame_stats(meta)
            complexity = analysis.complexity if analysis else 0.0
            print(f"frame {seen:3d}: mean motion {mean:6.2f} px, intra-better {100 * intra:5.1f} %, "
                  f"complexity {complexity:7.1f}{'' if has_reference else ' (no reference)'}")
            moved += mean > 0
        seen += 1

    msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
    if msg:
        err, _ = msg.parse_error()
        print(f"motion_stats.py: {err.message}", file=sys.stderr)
        status = 1
    pipeline.set_state(Gst.State.NULL)
    if seen != frames or moved == 0:
        print(f"motion_stats.py: {seen} of {frames} frames, {moved} with motion", file=sys.stderr)
        status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
