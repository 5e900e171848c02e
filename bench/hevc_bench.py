#!/usr/bin/env python3
"""Benchmark of the gst-quad HEVC encoder against x265 and x264.

For each real clip at full length, constant QP 22/27/32/37, one thread
each, measured in the same run on the same input:

  low-delay P (the live use):
    ours pP  tc_encode_y4m --gop p --keyint 0 --qp QP --preset P, for each
             preset of --presets
    with --quadmotion, the same encoder as the element in gst-launch-1.0,
    once alone and once after quadmotion (its vectors seed the search):
    ours pP gst             quadcapturesrc ! quadh265enc ... ! filesink
    ours pP gst+quadmotion  quadcapturesrc ! quadmotion ! quadh265enc ...
    x265     --preset ultrafast|superfast --tune zerolatency --qp QP
             --pools 1 --frame-threads 1
    x264     --preset veryfast --tune zerolatency --qp QP --threads 1
  all-intra (--intra):
    ours     tc_encode_y4m --keyint 1 --qp QP --preset P
    x265     --preset ultrafast --tune zerolatency --keyint 1 --qp QP

Quality is PSNR-Y from FFmpeg's psnr filter on the decoded streams; the
BD-rate (Bjontegaard: cubic fit of log rate against PSNR-Y, integrated
over the overlapping PSNR range) is ours against each peer's four points
(negative is better). Speed is frames per second of CPU time (user +
system of the encoder process), so a busy machine slows both sides alike;
the ratio is ours/peer. With a constant QP every encoder codes its IDR a
few QP finer than its P pictures (x265's and x264's ipratio; ours 3).

  hevc_bench.py BUILD_DIR [--clips DIR] [--frames N] [--presets P,P..]
                [--quadmotion] [--threads N] [--repeat N] [--only NAME]
                [--intra] [--plot-data FILE]

--threads N (N > 1) gives every encoder N threads (x265 --pools N, x264
--threads N) and measures wall-clock time; ours runs with --wpp on N
threads ('pP wpp Nt'), on one ('pP wpp 1t': the speed-up from threads),
without wavefront ('pP no-wpp': what wavefront costs in BD-rate) and with
two frame threads ('pP wpp Nt ft2': two pictures coded at once, one held
back); x265 ultrafast runs with --no-wpp as well, and a last table gives
what wavefront costs each encoder against no wavefront.

--repeat N times each command N times, every encoder in turn, and keeps
its fastest run: on a machine whose single runs vary by 10%, the figure
to compare builds or thread counts by.

The gst rows time the whole pipeline (reading the clip, quadmotion's
search, the encoder), so their ratio to each other is what quadmotion's
meta saves or costs in a live chain.

--plot-data writes every rate/PSNR point as CSV (clip, encoder, kbps,
psnr_y) for `bench/figures/plot.py rd`.
A benchmark never fails: it prints its tables (Markdown) and exits 0, or 77
when the clips or the peers are missing.
"""

import argparse
import csv
import math
import os
import re
import resource
import shutil
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


WALL_CLOCK = False  # --threads > 1: threads only pay off in wall time


def timed(cmd):
    """CPU seconds (user + system) the command took, or wall seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise RuntimeError('%s failed: %s' % (cmd[0], r.stderr.decode()[-400:]))
    if WALL_CLOCK:
        return wall
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
    path = os.path.join(build, 'gst/quadtemporal/hevc/tc_encode_y4m')
    return path if os.path.exists(path) else None


def ours_commands(args, encoder, src, out, qp, frames):
    """name -> (command line, output file) of each variant of ours."""
    cmds = {}
    for preset in args.presets:
        name = 'ours p%d' % preset
        if args.intra:
            cmd = [encoder, src, out(name), '--qp', str(qp), '--keyint', '1',
                   '--preset', str(preset), '--frames', str(frames)]
        else:
            cmd = [encoder, src, out(name), '--gop', 'p', '--keyint', '0',
                   '--qp', str(qp), '--preset', str(preset), '--frames',
                   str(frames)]
        if args.threads > 1 and not args.intra:
            # Wavefront on N threads and on one, and no wavefront.
            plain = name + ' no-wpp'
            cmds[plain] = (cmd[:2] + [out(plain)] + cmd[3:], out(plain))
            for threads in (1, args.threads):
                variant = '%s wpp %dt' % (name, threads)
                cmds[variant] = (cmd[:2] + [out(variant)] + cmd[3:] + [
                    '--wpp', '--threads', str(threads)], out(variant))
            # Two pictures at once: throughput for a picture of latency.
            variant = '%s wpp %dt ft2' % (name, args.threads)
            cmds[variant] = (cmd[:2] + [out(variant)] + cmd[3:] + [
                '--wpp', '--threads', str(args.threads), '--frame-threads',
                '2'], out(variant))
            continue
        cmds[name] = (cmd, out(name))
        if args.quadmotion and not args.intra and preset == args.presets[0]:
            for suffix, motion in (('gst', []),
                                   ('gst+quadmotion',
                                    ['quadmotion', 'qp=%d' % qp, '!'])):
                variant = '%s %s' % (name, suffix)
                cmds[variant] = ([
                    'gst-launch-1.0', '-q', 'quadcapturesrc',
                    'location=' + src, 'is-live=false',
                    'num-buffers=%d' % frames, '!'] + motion + [
                    'quadh265enc', 'rate-control=cqp', 'qp=%d' % qp,
                    # One IDR, as the core's --keyint 0 (the element's 0
                    # is automatic, 250).
                    'speed-preset=%d' % preset, 'key-int-max=%d' % frames,
                    'ref-frames=1', '!', 'filesink',
                    'location=' + out(variant)], out(variant))
    return cmds


def peer_commands(args, src, out, qp, frames):
    """name -> (command line, output file) of each peer for one QP."""
    common_x265 = ['x265', '--tune', 'zerolatency', '--qp', str(qp),
                   '--pools', str(args.threads), '--frame-threads', '1', '--frames',
                   str(frames), '--input', src, '-o']
    if args.intra:
        return {'x265 ultrafast': (
            common_x265[:1] + ['--preset', 'ultrafast', '--keyint', '1'] +
            common_x265[1:] + [out('x265u')], out('x265u'))}
    cmds = {
        'x265 ultrafast': (common_x265[:1] + ['--preset', 'ultrafast'] +
                           common_x265[1:] + [out('x265u')], out('x265u')),
        'x265 superfast': (common_x265[:1] + ['--preset', 'superfast'] +
                           common_x265[1:] + [out('x265s')], out('x265s')),
        'x264 veryfast': (['x264', '--preset', 'veryfast', '--tune',
                           'zerolatency', '--qp', str(qp), '--threads',
                           str(args.threads),
                           '--frames', str(frames), '-o', out('x264'), src],
                          out('x264')),
    }
    if args.threads > 1:
        # What x265's own wavefront costs, beside ours.
        cmds['x265 ultrafast no-wpp'] = (
            common_x265[:1] + ['--preset', 'ultrafast', '--no-wpp'] +
            common_x265[1:] + [out('x265unowpp')], out('x265unowpp'))
    return cmds


def bd(points, test, ref):
    return bd_rate([p[0] for p in points[ref]], [p[1] for p in points[ref]],
                   [p[0] for p in points[test]], [p[1] for p in points[test]])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('build', nargs='?', default='build')
    ap.add_argument('--encoder', help='tc_encode_y4m (default: in BUILD)')
    ap.add_argument('--clips', default=os.environ.get('QUAD_CLIPS_Y4M_DIR'))
    ap.add_argument('--frames', type=int, default=0,
                    help='frames per clip (default: the whole clip)')
    ap.add_argument('--presets', default='0',
                    help='our speed presets, comma-separated (default 0)')
    ap.add_argument('--quadmotion', action='store_true',
                    help='also the element alone and after quadmotion, '
                    'at the first preset')
    ap.add_argument('--threads', type=int, default=1,
                    help='threads for everyone (x265 --pools, x264 '
                    '--threads; ours with --wpp, also on one thread and '
                    'without wavefront); speeds become wall-clock')
    ap.add_argument('--repeat', type=int, default=1,
                    help='time every command N times, in turns, and keep '
                    'the fastest (default 1)')
    ap.add_argument('--only', default='', help='clips whose name contains it')
    ap.add_argument('--intra', action='store_true',
                    help='all-intra against x265 ultrafast --keyint 1')
    ap.add_argument('--plot-data', help='write the rate/PSNR points as CSV')
    args = ap.parse_args()
    args.presets = [int(p) for p in args.presets.split(',')]
    if args.repeat < 1:
        ap.error('--repeat takes 1 or more')
    global WALL_CLOCK
    WALL_CLOCK = args.threads > 1

    here = os.path.dirname(os.path.abspath(__file__))
    clips = args.clips or os.path.join(os.path.dirname(here), 'build-clips')
    encoder = args.encoder or find_encoder(args.build)
    peers = ['x265'] if args.intra else ['x265', 'x264']
    tools = peers + (['gst-launch-1.0'] if args.quadmotion else [])
    if not encoder or any(shutil.which(p) is None for p in tools) or \
            not os.path.isdir(clips):
        print('hevc_bench: needs tc_encode_y4m, %s (apt-get install %s) '
              'and the decoded clips (QUAD_CLIPS_Y4M_DIR)' % (
                  ', '.join(tools), ' '.join(peers)))
        return 77
    versions = {}
    for p in peers:
        v = subprocess.run([p, '--version'], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT).stdout.decode()
        m = re.search(r'(?:version |x264 )([^\s]+)', v)
        versions[p] = m.group(1) if m else '?'

    rows = []
    work = tempfile.mkdtemp(prefix='hevc-bench-')
    try:
        for clip in sorted(f for f in os.listdir(clips) if f.endswith('.y4m')):
            if args.only and args.only not in clip:
                continue
            src = os.path.join(clips, clip)
            w, h, fps, count = y4m_info(src)
            frames = min(count, args.frames) if args.frames else count
            points = {}
            seconds = {}
            for qp in QPS:
                def out(name):
                    return os.path.join(work, '%s%d.%s' % (
                        re.sub('[^a-z0-9]', '', name), qp,
                        '264' if name.startswith('x264') else '265'))
                cmds = ours_commands(args, encoder, src, out, qp, frames)
                cmds.update(peer_commands(args, src, out, qp, frames))
                # Each repeat runs every encoder once, in turn, so a slow
                # spell of the machine touches all of them; the fastest
                # run of each counts (rates and PSNR: the last run's streams).
                fastest = {}
                for _ in range(args.repeat):
                    for name, (cmd, _) in cmds.items():
                        fastest[name] = min(fastest.get(name, math.inf),
                                            timed(cmd))
                for name, (cmd, path) in cmds.items():
                    seconds[name] = seconds.get(name, 0.0) + fastest[name]
                    kbps = os.path.getsize(path) * 8 * fps / frames / 1000
                    points.setdefault(name, []).append(
                        (kbps, psnr_y(path, src, frames)))
            fps_of = {n: frames * len(QPS) / max(s, 1e-9)
                      for n, s in seconds.items()}
            rows.append((clip, w, h, frames, points, fps_of))
            ours = [n for n in points if n.startswith('ours')]
            names = [n for n in points if not n.startswith('ours') and
                     not n.endswith(' no-wpp')]
            for o in ours:
                print('%s, %s: %s' % (clip, o, ', '.join(
                    '%s %+.1f%% x%.2f' % (n, bd(points, o, n),
                                         fps_of[o] / fps_of[n])
                    for n in names)))
            sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if args.plot_data:
        with open(args.plot_data, 'w', newline='') as f:
            out = csv.writer(f)
            out.writerow(['clip', 'encoder', 'kbps', 'psnr_y'])
            for clip, _, _, _, points, _ in rows:
                for name, pts in points.items():
                    for kbps, psnr in pts:
                        out.writerow([clip[:-len('.y4m')], name, '%.1f' % kbps,
                                      '%.3f' % psnr])
    if not rows:
        return 0

    mode = 'All-intra' if args.intra else 'Low-delay P (no picture held back)'
    print()
    print('%s, QP %s, %s and one reference picture each, %s. '
          'Ours: tc_encode_y4m --preset P (pP)%s. Peers: x265 %s%s. '
          'BD-rate: PSNR-Y, negative is better; speed: ours/peer.' % (
              mode, '/'.join(map(str, QPS)),
              '%d threads' % args.threads if args.threads > 1 else 'one thread',
              ('wall-clock' if WALL_CLOCK else 'CPU-time') + ' fps' +
              (' (fastest of %d runs)' % args.repeat if args.repeat > 1 else ''),
              ', the element in gst-launch-1.0 alone (gst) and after '
              'quadmotion (gst+quadmotion)' if args.quadmotion else '',
              versions['x265'],
              '' if args.intra else ', x264 %s' % versions['x264']))
    print()
    points0 = rows[0][4]
    ours = [n for n in points0 if n.startswith('ours')]
    names = [n for n in points0 if not n.startswith('ours') and
             not n.endswith(' no-wpp')]
    print('| clip | ours | fps | ' + ' | '.join(
        '%s BD-rate | speed' % n for n in names) + ' |')
    print('|---|---|---|' + '---|---|' * len(names))
    for clip, w, h, frames, points, fps_of in rows:
        for o in ours:
            cells = ['%+.1f%% | x%.2f' % (bd(points, o, n),
                                          fps_of[o] / fps_of[n])
                     for n in names]
            print('| %s (%dx%d, %d frames) | %s | %.1f | %s |' % (
                clip, w, h, frames, o, fps_of[o], ' | '.join(cells)))
    if args.quadmotion:
        print()
        print('quadmotion\'s meta, gst+quadmotion against gst (the whole '
              'pipeline\'s CPU time):')
        print()
        print('| clip | BD-rate | speed |')
        print('|---|---|---|')
        for clip, _, _, _, points, fps_of in rows:
            for o in ours:
                if o.endswith(' gst+quadmotion'):
                    alone = o[:-len('+quadmotion')]
                    print('| %s | %+.1f%% | x%.2f |' % (
                        clip, bd(points, o, alone),
                        fps_of[o] / fps_of[alone]))
    if args.threads > 1 and not args.intra:
        print()
        print('Wavefront against none, each encoder against itself '
              '(BD-rate), and our speed-up from 1 to %d threads:'
              % args.threads)
        print()
        print('| clip | ' + ' | '.join(
            'ours p%d: wavefront | 1 -> %d threads' % (p, args.threads)
            for p in args.presets) + ' | x265 ultrafast: wavefront |')
        print('|---|' + '---|---|' * len(args.presets) + '---|')
        for clip, _, _, _, points, fps_of in rows:
            cells = []
            for p in args.presets:
                wpp = 'ours p%d wpp %dt' % (p, args.threads)
                cells.append('%+.2f%% | %.2fx' % (
                    bd(points, wpp, 'ours p%d no-wpp' % p),
                    fps_of[wpp] / fps_of['ours p%d wpp 1t' % p]))
            print('| %s | %s | %+.2f%% |' % (
                clip, ' | '.join(cells),
                bd(points, 'x265 ultrafast', 'x265 ultrafast no-wpp')))
    print()
    print('| clip | QP | ' + ' | '.join(
        '%s kb/s | PSNR-Y' % n for n in ours + names) + ' |')
    print('|---|---|' + '---|---|' * (len(ours) + len(names)))
    for clip, _, _, _, points, _ in rows:
        for i, qp in enumerate(QPS):
            print('| %s | %d | %s |' % (clip, qp, ' | '.join(
                '%.0f | %.2f' % points[n][i] for n in ours + names)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
