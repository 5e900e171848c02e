#!/usr/bin/env python3
"""Constant bit rate over 10 s of a real clip, checked from the outside.

Encodes foreman (CIF, 300 pictures at 30 fps = 10 s) low-delay P at a
target bit rate and VBV buffer, splits the stream into access units, and
checks with a leaky-bucket model of the decoder's buffer written here
(not the encoder's): the bits arrive at the target rate into a buffer of
bitrate x vbv_ms, the decoder starts after 90% of the buffer has filled
and removes one access unit per picture interval. The buffer must never
underflow (a picture not fully arrived when due) nor overflow (more bits
waiting than the buffer holds), and the mean rate must be within 5% of
the target.

  hevc_rate_control.py --encoder hevc_conformance_encoder

Exit status: 0 pass, 1 fail, 77 without QUAD_CLIPS_Y4M_DIR.
"""

import argparse
import os
import subprocess
import sys
import tempfile

CLIP = 'foreman_cif_300f.y4m'
FPS = 30.0


def access_unit_sizes(stream):
    """Bytes of each access unit. This encoder writes [VPS SPS PPS] slice
    SEI [filler] per picture: an access unit starts at a VPS, or at a slice
    that follows a suffix SEI or filler data."""
    starts = []
    prev_type = None
    i = stream.find(b'\x00\x00\x01')
    while i >= 0:
        code = i - 1 if i > 0 and stream[i - 1] == 0 else i  # 4-byte start code
        nal_type = (stream[i + 3] >> 1) & 63
        if nal_type == 32 or (nal_type < 32 and prev_type in (None, 38, 40)):
            starts.append(code)
        prev_type = nal_type
        i = stream.find(b'\x00\x00\x01', i + 3)
    starts.append(len(stream))
    return [b - a for a, b in zip(starts, starts[1:])]


def check(sizes, kbps, vbv_ms):
    rate = kbps * 1000.0
    size = rate * vbv_ms / 1000.0
    fullness = 0.9 * size  # bits in the buffer when the first picture is due
    problems = []
    for n, au in enumerate(sizes):
        bits = 8 * au
        if bits > fullness:
            problems.append('picture %d: %d bits due, %.0f arrived (underflow)'
                            % (n, bits, fullness))
            fullness = bits
        fullness += rate / FPS - bits
        if fullness > size:
            problems.append('picture %d: %.0f bits waiting in a %.0f-bit buffer '
                            '(overflow)' % (n, fullness, size))
            fullness = size
    mean_kbps = 8 * sum(sizes) * FPS / len(sizes) / 1000
    if abs(mean_kbps - kbps) > 0.05 * kbps:
        problems.append('mean rate %.1f kb/s, target %d' % (mean_kbps, kbps))
    return mean_kbps, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--encoder', required=True)
    args = ap.parse_args()
    clip_dir = os.environ.get('QUAD_CLIPS_Y4M_DIR', '')
    clip = os.path.join(clip_dir, CLIP)
    if not clip_dir or not os.path.exists(clip):
        print('SKIP: %s not in QUAD_CLIPS_Y4M_DIR' % CLIP)
        return 77
    failed = 0
    with tempfile.TemporaryDirectory(prefix='hevc-rc-') as work:
        for kbps, vbv_ms, preset in [(300, 500, 0), (800, 1000, 1), (1500, 300, 0)]:
            stream = os.path.join(work, 's.265')
            r = subprocess.run([args.encoder, '--out', stream, '--md5',
                                os.path.join(work, 's.md5'), '--y4m', clip,
                                '--frames', '300', '--gop', 'p', '--keyint', '0',
                                '--preset', str(preset), '--bitrate', str(kbps),
                                '--vbv-ms', str(vbv_ms)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if r.returncode != 0:
                print('FAIL encoder: %s' % r.stdout.decode()[-300:])
                return 1
            with open(stream, 'rb') as f:
                sizes = access_unit_sizes(f.read())
            if len(sizes) != 300:
                print('FAIL %d access units, 300 pictures' % len(sizes))
                return 1
            mean, problems = check(sizes, kbps, vbv_ms)
            print('%s %d kb/s, vbv %d ms, preset %d: mean %.1f kb/s, largest '
                  'picture %d bits' % ('FAIL' if problems else 'ok  ', kbps,
                                       vbv_ms, preset, mean, 8 * max(sizes)))
            for p in problems[:5]:
                print('    ' + p)
            failed += bool(problems)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
