#!/usr/bin/env python3
"""All-intra benchmark of the gst-quad HEVC encoder against x265.

For each real clip: constant QP 22/27/32/37, every picture intra, both
encoders with one thread, measured in the same run on the same input:

  ours  tc_encode_y4m --qp QP --keyint 1 --preset P
  peer  x265 --preset ultrafast --tune zerolatency --keyint 1 --qp QP
             --pools 1 --frame-threads 1

Quality is PSNR-Y from FFmpeg's psnr filter on the decoded streams; the
BD-rate (Bjontegaard: cubic fit of PSNR-Y against log rate, integrated over
the overlapping PSNR range) is ours against the peer's four points
(negative is better). Speed is frames per second over the clip, the median
of --repeat runs alternating ours/peer; the ratio is ours/peer.

  hevc_bench.py BUILD_DIR [--clips DIR] [--frames N] [--repeat N]
                [--preset P] [--only NAME]

A benchmark never fails: it prints its table (Markdown) and exits 0, or 77
when the clips or x265 are missing.
"""

import argparse
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

QPS = [22, 27, 32, 37]


def y4m_info(path):
    with open(path, 'rb') as f:
        header = f.readline().split()
    w = int([t for t in header if t.startswith(b'W')][0][1:])
    h = int([t for t in header if t.startswith(b'H')][0][1:])
    rate = [t for t in header if t.startswith(b'F')]
    fps = 25.0
    if rate:
        n, d = rate[0][1:].split(b':')
        fps = int(n) / max(1, int(d))
    frame = w * h * 3 // 2 + 6
    count = (os.path.getsize(path) - len(b' '.join(header)) - 1) // frame
    return w, h, fps, count


def timed(cmd):
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise RuntimeError('%s failed: %s' % (cmd[0], r.stderr.decode()[-400:]))
    return elapsed


def psnr_y(stream, source, frames):
    r = subprocess.run(['ffmpeg', '-hide_banner', '-nostdin', '-i', stream,
                        '-i', source, '-frames:v', str(frames),
                        # Pair pictures by index, not by timestamp: raw
                        # streams carry no frame rate the demuxer uses.
                        '-lavfi', '[0:v]settb=1/25,setpts=N[a];'
                        '[1:v]settb=1/25,setpts=N[b];[a][b]psnr',
                        '-f', 'null', '-'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    m = re.search(rb'PSNR y:([0-9.]+|inf)', r.stderr)
    if not m:
        raise RuntimeError('no PSNR from ffmpeg: %s' % r.stderr[-300:])
    return 100.0 if m.group(1) == b'inf' else float(m.group(1))


def cubic_fit(xs, ys):
    """Least-squares cubic y = a0 + a1 x + a2 x^2 + a3 x^3."""
    n = 4
    ata = [[sum(x ** (i + j) for x in xs) for j in range(n)] for i in range(n)]
    aty = [sum(y * x ** i for x, y in zip(xs, ys)) for i in range(n)]
    for col in range(n):  # Gaussian elimination with partial pivoting
        piv = max(range(col, n), key=lambda r: abs(ata[r][col]))
        ata[col], ata[piv] = ata[piv], ata[col]
        aty[col], aty[piv] = aty[piv], aty[col]
        for r in range(col + 1, n):
            f = ata[r][col] / ata[col][col]
            for c in range(col, n):
                ata[r][c] -= f * ata[col][c]
            aty[r] -= f * aty[col]
    coef = [0.0] * n
    for r in range(n - 1, -1, -1):
        coef[r] = (aty[r] - sum(ata[r][c] * coef[c]
                                for c in range(r + 1, n))) / ata[r][r]
    return coef


def integral(coef, lo, hi):
    def prim(x):
        return sum(c * x ** (i + 1) / (i + 1) for i, c in enumerate(coef))
    return prim(hi) - prim(lo)


def bd_rate(ref_rates, ref_psnr, test_rates, test_psnr):
    """Bjontegaard delta rate (percent) of test against ref."""
    ref_fit = cubic_fit(ref_psnr, [math.log10(r) for r in ref_rates])
    test_fit = cubic_fit(test_psnr, [math.log10(r) for r in test_rates])
    lo = max(min(ref_psnr), min(test_psnr))
    hi = min(max(ref_psnr), max(test_psnr))
    if hi <= lo:
        return float('nan')
    diff = (integral(test_fit, lo, hi) - integral(ref_fit, lo, hi)) / (hi - lo)
    return (10 ** diff - 1) * 100


def find_encoder(build):
    for rel in ('gst/quadtemporal/hevc/tc_encode_y4m',
                'gst/quadtemporal/hevc/examples/tc_encode_y4m'):
        path = os.path.join(build, rel)
        if os.path.exists(path):
            return path
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('build', nargs='?', default='build')
    ap.add_argument('--encoder', help='tc_encode_y4m (default: in BUILD)')
    ap.add_argument('--clips', default=os.environ.get('QUAD_CLIPS_Y4M_DIR'))
    ap.add_argument('--frames', type=int, default=0,
                    help='frames per clip (default: the whole clip)')
    ap.add_argument('--repeat', type=int, default=5)
    ap.add_argument('--preset', type=int, default=2)
    ap.add_argument('--only', default='', help='clips whose name contains it')
    args = ap.parse_args()

    here = os.path.dirname(os.path.abspath(__file__))
    clips = args.clips or os.path.join(os.path.dirname(here), 'build-clips')
    encoder = args.encoder or find_encoder(args.build)
    if not encoder or shutil.which('x265') is None or not os.path.isdir(clips):
        print('hevc_bench: needs tc_encode_y4m, x265 (apt-get install x265) '
              'and the decoded clips (QUAD_CLIPS_Y4M_DIR)')
        return 77
    version = subprocess.run(['x265', '--version'], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT).stdout.decode()
    m = re.search(r'version ([^\s]+)', version)
    peer = 'x265 %s --preset ultrafast --tune zerolatency --keyint 1 ' \
           '--pools 1 --frame-threads 1' % (m.group(1) if m else '?')

    rows = []
    work = tempfile.mkdtemp(prefix='hevc-bench-')
    try:
        for clip in sorted(f for f in os.listdir(clips) if f.endswith('.y4m')):
            if args.only and args.only not in clip:
                continue
            src = os.path.join(clips, clip)
            w, h, fps, count = y4m_info(src)
            frames = min(count, args.frames) if args.frames else count
            ours_pts, peer_pts = [], []
            ours_time, peer_time = [], []
            for qp in QPS:
                ours_out = os.path.join(work, 'ours%d.265' % qp)
                peer_out = os.path.join(work, 'peer%d.265' % qp)
                ours_cmd = [encoder, src, ours_out, '--qp', str(qp),
                            '--keyint', '1', '--preset', str(args.preset),
                            '--frames', str(frames)]
                peer_cmd = ['x265', '--preset', 'ultrafast', '--tune',
                            'zerolatency', '--keyint', '1', '--qp', str(qp),
                            '--pools', '1', '--frame-threads', '1',
                            '--frames', str(frames), '--input', src,
                            '-o', peer_out]
                t_ours, t_peer = [], []
                for _ in range(args.repeat):  # A B A B ...
                    t_ours.append(timed(ours_cmd))
                    t_peer.append(timed(peer_cmd))
                ours_time.append(statistics.median(t_ours))
                peer_time.append(statistics.median(t_peer))
                for out, pts in ((ours_out, ours_pts), (peer_out, peer_pts)):
                    kbps = os.path.getsize(out) * 8 * fps / frames / 1000
                    pts.append((kbps, psnr_y(out, src, frames)))
            bd = bd_rate([p[0] for p in peer_pts], [p[1] for p in peer_pts],
                         [p[0] for p in ours_pts], [p[1] for p in ours_pts])
            ours_fps = frames * len(QPS) / sum(ours_time)
            peer_fps = frames * len(QPS) / sum(peer_time)
            rows.append((clip, w, h, frames, bd, ours_fps, peer_fps,
                         ours_pts, peer_pts))
            print('%s: BD-rate %+.1f%%, %.2f fps vs %.2f fps (x%.2f)' % (
                clip, bd, ours_fps, peer_fps, ours_fps / peer_fps))
            sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print()
    print('All-intra, QP %s, 1 thread. Peer: %s. Ours: tc_encode_y4m '
          '--preset %d. BD-rate: PSNR-Y, cubic fit in log-rate, negative '
          'is better. Speed: median of %d runs.' % (
              '/'.join(map(str, QPS)), peer, args.preset, args.repeat))
    print()
    print('| clip | frames | BD-rate | ours fps | x265 fps | speed ratio |')
    print('|---|---|---|---|---|---|')
    for clip, w, h, frames, bd, of, pf, _, _ in rows:
        print('| %s (%dx%d) | %d | %+.1f%% | %.2f | %.2f | x%.2f |' % (
            clip, w, h, frames, bd, of, pf, of / pf))
    print()
    print('| clip | QP | ours kb/s | ours PSNR-Y | x265 kb/s | x265 PSNR-Y |')
    print('|---|---|---|---|---|---|')
    for clip, _, _, _, _, _, _, ours_pts, peer_pts in rows:
        for qp, (ok, op), (pk, pp) in zip(QPS, ours_pts, peer_pts):
            print('| %s | %d | %.0f | %.2f | %.0f | %.2f |' % (
                clip, qp, ok, op, pk, pp))
    return 0


if __name__ == '__main__':
    sys.exit(main())
