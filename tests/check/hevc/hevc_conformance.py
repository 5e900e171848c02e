#!/usr/bin/env python3
"""HEVC conformance harness: every stream the encoder writes must decode,
with every decoder, to exactly the encoder's reconstruction.

For each case, hevc_conformance_encoder writes a stream and the MD5 of each
reconstructed picture; the stream then goes through

  * FFmpeg with -err_detect crccheck+explode (checks an MD5 picture hash),
  * libde265's dec265 -c,
  * GStreamer filesrc ! h265parse ! avdec_h265,

and the MD5 of every decoded picture must equal the reconstruction's. A
mismatch names the case, the decoder and the first differing frame. Each
picture's hash SEI (MD5 or checksum, or none when the case writes none) is
also checked against the samples FFmpeg decoded, computed here.

Modes:
  matrix  the fixed matrix: sizes x CTU x QP x deblocking on synthetic content
  clips   the real clips in $QUAD_CLIPS_Y4M_DIR (exit 77 when unset/absent)
  random  random sizes, QPs, CTUs, presets and tool switches for --budget s

With --compare-with OTHER_ENCODER, each case is encoded by both builds and
the two streams must be identical byte for byte (nothing is decoded): the
check that a refactor of the encoder left its output unchanged.

Standard library only. Exit status: 0 pass, 1 fail, 77 skipped.
"""

import argparse
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77


class Case:
    def __init__(self, name, size=None, y4m=None, frames=2, qp=32, ctu=32,
                 preset=2, deblock=True, keyint=1, seed=1, bitrate=0, gop='intra',
                 refs=1, pan=None, cut_at=0, hints=None, wpp=False, threads=1,
                 frame_threads=1, picture_hash='md5'):
        self.name = name
        self.size = size
        self.y4m = y4m
        self.frames = frames
        self.qp = qp
        self.ctu = ctu
        self.preset = preset
        self.deblock = deblock
        self.keyint = keyint
        self.seed = seed
        self.bitrate = bitrate
        self.gop = gop
        self.refs = refs
        self.pan = pan
        self.cut_at = cut_at
        self.hints = hints
        self.wpp = wpp
        self.threads = threads
        self.frame_threads = frame_threads
        self.picture_hash = picture_hash

    def threaded(self):
        """Whether the stream must not depend on the thread count."""
        return self.wpp or self.frame_threads > 1

    def encoder_args(self):
        args = ['--frames', str(self.frames), '--qp', str(self.qp),
                '--ctu', str(self.ctu), '--preset', str(self.preset),
                '--keyint', str(self.keyint)]
        if self.y4m:
            args += ['--y4m', self.y4m]
        else:
            args += ['--synthetic', '%dx%d' % self.size, '--seed',
                     str(self.seed)]
        if not self.deblock:
            args.append('--no-deblock')
        if self.bitrate:
            args += ['--bitrate', str(self.bitrate)]
        if self.gop == 'p':
            args += ['--gop', 'p', '--refs', str(self.refs)]
        if self.pan:
            args += ['--pan', '%d,%d' % self.pan]
        if self.cut_at:
            args += ['--cut-at', str(self.cut_at)]
        if self.hints:
            args += ['--hints', self.hints]
        if self.wpp:
            args.append('--wpp')
        if self.threaded():
            args += ['--threads', str(self.threads)]
        if self.frame_threads > 1:
            args += ['--frame-threads', str(self.frame_threads)]
        if self.picture_hash != 'md5':
            args += ['--hash', self.picture_hash]
        return args

    def describe(self):
        src = os.path.basename(self.y4m) if self.y4m else '%dx%d' % self.size
        rate = ' bitrate=%dk' % self.bitrate if self.bitrate else ''
        gop = ' gop=p refs=%d' % self.refs if self.gop == 'p' else ''
        if self.pan:
            gop += ' pan=%d,%d/4' % self.pan
        if self.cut_at:
            gop += ' cut-at=%d' % self.cut_at
        if self.hints:
            gop += ' hints=%s' % self.hints
        if self.wpp:
            gop += ' wpp'
        if self.frame_threads > 1:
            gop += ' frame-threads=%d' % self.frame_threads
        if self.threaded():
            gop += ' threads=%d' % self.threads
        if self.picture_hash != 'md5':
            gop += ' hash=%s' % self.picture_hash
        return ('%s [%s qp=%d ctu=%d preset=%d deblock=%s keyint=%d '
                'frames=%d%s%s]' % (self.name, src, self.qp, self.ctu,
                                    self.preset, 'on' if self.deblock else 'off',
                                    self.keyint, self.frames, rate, gop))


def frame_md5s(data, frame_size):
    return [hashlib.md5(data[i:i + frame_size]).hexdigest()
            for i in range(0, len(data) - frame_size + 1, frame_size)]


def run(cmd, timeout=600):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout)


def decode_ffmpeg(stream, frame_size, threads=1):
    # With threads, FFmpeg decodes the substreams of a wavefront picture in
    # parallel from their entry points.
    r = run(['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'error',
             '-threads', str(threads), '-thread_type', 'slice',
             '-err_detect', 'crccheck+explode', '-i', stream,
             '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'])
    # FFmpeg exits 0 even when explode stops a picture: any error line fails.
    errors = r.stderr.decode(errors='replace').strip()
    return frame_md5s(r.stdout, frame_size), errors or (
        'exit %d' % r.returncode if r.returncode else ''), r.stdout


def picture_hash_seis(stream):
    """The decoded picture hash SEI messages (D.2.20) of an Annex B stream in
    decoding order, each as (hash_type, [the three planes' hash bytes])."""
    data = open(stream, 'rb').read()
    starts = [m.end() for m in re.finditer(b'\x00\x00\x01', data)]
    seis = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
        nal = data[start:end]
        if len(nal) < 3 or (nal[0] >> 1) & 0x3f != 40:  # SUFFIX_SEI_NUT
            continue
        rbsp = re.sub(b'\x00\x00\x03', b'\x00\x00', nal[2:])
        pos = 0
        while pos < len(rbsp) and rbsp[pos] != 0x80:  # rbsp_trailing_bits
            values = []
            for _ in range(2):  # payloadType, payloadSize (7.3.5)
                value = 0
                while rbsp[pos] == 0xff:
                    value += 255
                    pos += 1
                values.append(value + rbsp[pos])
                pos += 1
            payload_type, size = values
            payload = rbsp[pos:pos + size]
            pos += size
            if payload_type == 132:
                hash_type = payload[0]
                n = {0: 16, 1: 2, 2: 4}[hash_type]
                seis.append((hash_type, [payload[1 + c * n:1 + (c + 1) * n]
                                         for c in range(3)]))
    return seis


def plane_checksum(plane, w, h):
    """D.3.20 picture_checksum of an 8-bit plane of w x h samples."""
    x_mask = [(x & 0xff) ^ (x >> 8) for x in range(w)]
    total = 0
    for y in range(h):
        y_mask = (y & 0xff) ^ (y >> 8)
        row = plane[y * w:(y + 1) * w]
        total += sum(s ^ m ^ y_mask for s, m in zip(row, x_mask))
    return total & 0xffffffff


def check_picture_hashes(case, stream, decoded, w, h):
    """Each picture's hash SEI against the picture FFmpeg decoded: hash_type
    and value as case.picture_hash asks, computed here from the decoded
    samples. Returns failure messages."""
    seis = picture_hash_seis(stream)
    if case.picture_hash == 'none':
        return ['%d picture hash SEIs written with none' % len(seis)] if seis else []
    # The hash covers the coded picture (multiples of 8); the decoder
    # outputs the display size.
    if w % 8 or h % 8:
        return []
    frame_size = w * h * 3 // 2
    frames = len(decoded) // frame_size
    if len(seis) != frames:
        return ['%d picture hash SEIs for %d pictures' % (len(seis), frames)]
    want_type = {'md5': 0, 'checksum': 2}[case.picture_hash]
    for i, (hash_type, values) in enumerate(seis):
        if hash_type != want_type:
            return ['picture %d: hash_type %d, expected %d' % (
                i, hash_type, want_type)]
        frame = decoded[i * frame_size:(i + 1) * frame_size]
        planes = [(frame[:w * h], w, h),
                  (frame[w * h:w * h * 5 // 4], w // 2, h // 2),
                  (frame[w * h * 5 // 4:], w // 2, h // 2)]
        for c, (plane, pw, ph) in enumerate(planes):
            if hash_type == 0:
                ok = hashlib.md5(plane).digest() == values[c]
            else:
                ok = plane_checksum(plane, pw, ph) == int.from_bytes(values[c], 'big')
            if not ok:
                return ['picture %d plane %d: the hash SEI does not match the '
                        'decoded samples' % (i, c)]
    return []


def decode_libde265(stream, frame_size, workdir):
    out = os.path.join(workdir, 'de265.yuv')
    if os.path.exists(out):
        os.remove(out)
    r = run(['libde265-dec265', '-q', '-c', '-o', out, stream])
    data = open(out, 'rb').read() if os.path.exists(out) else b''
    err = '' if r.returncode == 0 else 'exit %d: %s' % (
        r.returncode, r.stderr.decode(errors='replace')[-300:])
    return frame_md5s(data, frame_size), err


def decode_gstreamer(stream, size, workdir):
    out = os.path.join(workdir, 'gst.yuv')
    if os.path.exists(out):
        os.remove(out)
    r = run(['gst-launch-1.0', '-q', 'filesrc', 'location=' + stream, '!',
             'h265parse', '!', 'avdec_h265', '!', 'video/x-raw,format=I420',
             '!', 'filesink', 'location=' + out])
    data = open(out, 'rb').read() if os.path.exists(out) else b''
    err = '' if r.returncode == 0 else 'exit %d: %s' % (
        r.returncode, r.stderr.decode(errors='replace')[-300:])
    # filesink writes GStreamer's default I420 layout: rows padded to a
    # multiple of 4 bytes.
    w, h = size
    sy = (w + 3) // 4 * 4
    sc = (w // 2 + 3) // 4 * 4
    padded = sy * h + 2 * sc * (h // 2)
    frames = []
    for base in range(0, len(data) - padded + 1, padded):
        tight = bytearray()
        for row in range(h):
            tight += data[base + row * sy:base + row * sy + w]
        for c in range(2):
            plane = base + sy * h + c * sc * (h // 2)
            for row in range(h // 2):
                tight += data[plane + row * sc:plane + row * sc + w // 2]
        frames.append(hashlib.md5(bytes(tight)).hexdigest())
    return frames, err


def picture_size_of(case):
    if case.y4m:
        with open(case.y4m, 'rb') as f:
            header = f.readline().split()
        w = int([t for t in header if t.startswith(b'W')][0][1:])
        h = int([t for t in header if t.startswith(b'H')][0][1:])
        return w, h
    return case.size


def check_case(case, encoder, workdir):
    """Returns a list of failure messages (empty: pass)."""
    stream = os.path.join(workdir, 'case.265')
    md5_path = os.path.join(workdir, 'case.md5')
    r = run([encoder, '--out', stream, '--md5', md5_path] +
            case.encoder_args())
    if r.returncode != 0:
        return ['encoder failed (%d): %s' % (
            r.returncode, r.stderr.decode(errors='replace')[-300:])]
    recon = [line.split()[1] for line in open(md5_path) if line.strip()]
    w, h = picture_size_of(case)
    frame_size = w * h + 2 * (w // 2) * (h // 2)
    failures = []
    if case.threaded():
        # The same stream from any number of threads.
        with open(stream, 'rb') as f:
            expected = f.read()
        other = os.path.join(workdir, 'threads.265')
        for threads in sorted({1, 2, 3, 8} - {case.threads}):
            args = case.encoder_args()
            args[args.index('--threads') + 1] = str(threads)
            r = run([encoder, '--out', other, '--md5',
                     os.path.join(workdir, 'threads.md5')] + args)
            with open(other, 'rb') as f:
                if r.returncode != 0 or f.read() != expected:
                    failures.append('%d threads give another stream than %d' %
                                    (threads, case.threads))
    md5s, err, decoded = decode_ffmpeg(stream, frame_size)
    decoders = [('ffmpeg', (md5s, err))]
    failures += check_picture_hashes(case, stream, decoded, w, h)
    if case.wpp:
        decoders.append(('ffmpeg -threads 4',
                         decode_ffmpeg(stream, frame_size, threads=4)[:2]))
    for decoder, (decoded, err) in decoders + [
            ('libde265', decode_libde265(stream, frame_size, workdir)),
            ('gstreamer', decode_gstreamer(stream, (w, h), workdir))]:
        if err:
            failures.append('%s: %s' % (decoder, err.splitlines()[0]
                                         if err.splitlines() else err))
        for i, want in enumerate(recon):
            got = decoded[i] if i < len(decoded) else 'missing'
            if got != want:
                failures.append('%s: frame %d decodes to %s, reconstruction '
                                'is %s' % (decoder, i, got, want))
                break
        if len(decoded) > len(recon):
            failures.append('%s: %d frames decoded, %d encoded' % (
                decoder, len(decoded), len(recon)))
    return failures


def compare_case(case, encoder, reference, workdir):
    """Returns a list of failure messages (empty: identical streams)."""
    streams = []
    for i, exe in enumerate((encoder, reference)):
        stream = os.path.join(workdir, 'compare%d.265' % i)
        md5_path = os.path.join(workdir, 'compare%d.md5' % i)
        r = run([exe, '--out', stream, '--md5', md5_path] +
                case.encoder_args())
        if r.returncode != 0:
            return ['%s failed (%d): %s' % (exe, r.returncode,
                                            r.stderr.decode(errors='replace')[-300:])]
        with open(stream, 'rb') as f:
            streams.append(f.read())
    new, old = streams
    if new == old:
        return []
    at = next((i for i in range(min(len(new), len(old))) if new[i] != old[i]),
              min(len(new), len(old)))
    return ['streams differ from byte %d (%d bytes vs %d in the reference)' % (
        at, len(new), len(old))]


def matrix_cases():
    cases = []
    qps = [0, 12, 22, 32, 42, 51]
    n = 0
    # The full cross product on small pictures.
    for size in [(16, 16), (64, 64), (176, 144)]:
        for ctu in [16, 32, 64]:
            for qp in qps:
                for deblock in [True, False]:
                    cases.append(Case('small', size=size, qp=qp, ctu=ctu,
                                      preset=n % 7, deblock=deblock,
                                      keyint=1 + n % 3, seed=n))
                    n += 1
    # CIF-class pictures: every CTU size, fewer QPs.
    for size in [(352, 288), (416, 240)]:
        for ctu in [16, 32, 64]:
            for qp, deblock in [(12, True), (32, True), (51, True),
                                (22, False)]:
                cases.append(Case('medium', size=size, qp=qp, ctu=ctu,
                                  preset=n % 7, deblock=deblock, seed=n))
                n += 1
    # Large and odd-shaped pictures: one frame, a few combinations.
    for size, ctu, qp, deblock, preset in [
            ((1280, 720), 64, 22, True, 2), ((1280, 720), 16, 42, False, 0),
            ((1920, 1080), 32, 32, True, 1), ((1920, 1080), 64, 12, True, 0),
            ((1366, 768), 64, 27, True, 2), ((1366, 768), 32, 51, False, 3),
            ((1366, 768), 16, 0, True, 0)]:
        cases.append(Case('large', size=size, qp=qp, ctu=ctu, preset=preset,
                          deblock=deblock, frames=1, seed=n))
        n += 1
    # Constant bit rate: the QP changes from picture to picture.
    for size, ctu, bitrate in [((176, 144), 32, 300), ((352, 288), 16, 2000),
                               ((416, 240), 64, 100)]:
        cases.append(Case('cbr', size=size, ctu=ctu, frames=6, keyint=4,
                          bitrate=bitrate, seed=n))
        n += 1
    # Low-delay P: every preset, CTU size and reference count, QPs from 0
    # to 51, conformance windows, IDRs mid-stream (keyint 5).
    qps = [0, 17, 22, 27, 32, 37, 44, 51]
    for size in [(176, 144), (202, 118), (64, 64)]:
        for ctu in [16, 32, 64]:
            for refs in [1, 2, 3, 4]:
                cases.append(Case('p', size=size, qp=qps[n % len(qps)], ctu=ctu,
                                  preset=n % 7, deblock=n % 3 != 0,
                                  keyint=5 if n % 2 else 0, frames=7,
                                  seed=n, gop='p', refs=refs))
                n += 1
    for size, ctu, bitrate in [((176, 144), 32, 200), ((352, 288), 64, 800)]:
        cases.append(Case('p-cbr', size=size, ctu=ctu, frames=12, keyint=0,
                          bitrate=bitrate, seed=n, gop='p', refs=2))
        n += 1
    # Fast fractional pans (vectors reaching far outside the picture) and a
    # scene cut.
    for size, pan, preset, refs in [((352, 288), (151, -37), 0, 1),
                                    ((176, 144), (-203, 117), 2, 3),
                                    ((208, 120), (66, 250), 5, 2)]:
        cases.append(Case('p-pan', size=size, ctu=32, preset=preset, frames=8,
                          keyint=0, seed=n, gop='p', refs=refs, pan=pan))
        n += 1
    # Wavefront: a substream per CTU row (one CTU wide and one row high
    # too), every stream the same from 1, 2, 3 and 8 threads.
    for size, ctu, preset, gop, threads in [
            ((16, 96), 16, 1, 'p', 2), ((64, 16), 16, 0, 'intra', 1),
            ((176, 144), 16, 2, 'p', 8), ((208, 120), 32, 4, 'p', 3),
            ((192, 128), 64, 3, 'intra', 2), ((176, 144), 32, 0, 'p', 2)]:
        cases.append(Case('wpp', size=size, ctu=ctu, preset=preset, frames=4,
                          keyint=0 if gop == 'p' else 1, seed=n, gop=gop,
                          refs=2, wpp=True, threads=threads,
                          pan=(66, -37) if gop == 'p' else None))
        n += 1
    # Frame threads: P pictures coded while their references finish, with
    # and without wavefront; pans faster than the rows a picture may read
    # below its own, the hints pointing the search there (vectors limited to
    # finished reference rows), CBR (the rate controller sees fewer pictures
    # back), every stream the same from 1, 2, 3 and 8 threads.
    for size, ctu, preset, refs, pan, wpp, frame_threads, bitrate in [
            ((176, 320), 16, 1, 2, (37, 290), True, 2, 0),
            ((208, 400), 32, 0, 3, (-66, 301), False, 3, 0),
            ((256, 448), 64, 3, 1, (20, 270), True, 2, 0),
            ((176, 144), 16, 2, 2, (66, -37), True, 3, 300)]:
        cases.append(Case('frame-threads', size=size, ctu=ctu, preset=preset,
                          frames=8, keyint=0, seed=n, gop='p', refs=refs,
                          pan=pan, wpp=wpp, threads=2,
                          frame_threads=frame_threads, bitrate=bitrate,
                          hints=None if bitrate else 'pan'))
        n += 1
    # Picture hash SEIs other than MD5: the checksum (libde265 checks it;
    # summed by CTU row on several threads) on pictures wider and taller
    # than 256 (the x >> 8 and y >> 8 of its mask), a last CTU row cut short,
    # with and without wavefront and deblocking; and none.
    for size, ctu, wpp, deblock, picture_hash in [
            ((352, 288), 32, True, True, 'checksum'),
            ((344, 280), 64, True, False, 'checksum'),
            ((336, 272), 16, False, True, 'checksum'),
            ((176, 144), 32, True, True, 'none')]:
        cases.append(Case('hash', size=size, ctu=ctu, preset=0, frames=3,
                          keyint=0, seed=n, gop='p', wpp=wpp,
                          threads=3 if wpp else 1, deblock=deblock,
                          pan=(37, 13), picture_hash=picture_hash))
        n += 1
    # Motion hints (quadmotion's estimate in the element): the pan's own
    # vector, and garbage that must not break the stream.
    for hints, preset in [('pan', 0), ('noise', 3)]:
        cases.append(Case('p-hints', size=(208, 120), ctu=32, preset=preset,
                          frames=6, keyint=0, seed=n, gop='p', refs=2,
                          pan=(151, -37), hints=hints))
        n += 1
    cases.append(Case('p-cut', size=(176, 144), ctu=16, preset=1, frames=8,
                      keyint=0, seed=n, gop='p', refs=2, cut_at=4))
    n += 1
    # Drift shows late: a long stream.
    cases.append(Case('p-long', size=(96, 64), qp=30, ctu=16, preset=1,
                      frames=300, keyint=0, seed=n, gop='p', refs=2))
    return cases


def clip_cases(clip_dir):
    cases = []
    clips = sorted(f for f in os.listdir(clip_dir) if f.endswith('.y4m'))
    n = 0
    for index, clip in enumerate(clips):
        path = os.path.join(clip_dir, clip)
        for qp, ctu, deblock in [(22, 64, True), (37, 32, False),
                                 (51, 16, True)]:
            # Presets 0-3 keep the large clips within a CI budget.
            cases.append(Case('clip', y4m=path, frames=2, qp=qp, ctu=ctu,
                              preset=n % 4, deblock=deblock, keyint=2))
            n += 1
        cases.append(Case('clip-p', y4m=path, frames=8, qp=27, ctu=64,
                          preset=index % 4, keyint=0, gop='p',
                          refs=1 + index % 4))
    # Wavefront on a real clip: the same stream from 1, 2, 3 and 8 threads.
    foreman = os.path.join(clip_dir, 'foreman_cif_300f.y4m')
    if os.path.exists(foreman):
        cases.append(Case('clip-wpp', y4m=foreman, frames=6, qp=30, ctu=32,
                          preset=1, keyint=0, gop='p', refs=2, wpp=True,
                          threads=2))
        cases.append(Case('clip-frame-threads', y4m=foreman, frames=8, qp=30,
                          ctu=16, preset=0, keyint=0, gop='p', refs=2,
                          wpp=True, threads=2, frame_threads=3))
    return cases


def random_case(rng, n):
    w = 2 * rng.randint(8, 200)
    h = 2 * rng.randint(8, 150)
    p = rng.random() < 0.5
    return Case('random#%d' % n, size=(w, h),
                frames=rng.randint(2, 6) if p else rng.randint(1, 3),
                qp=rng.randint(0, 51), ctu=rng.choice([16, 32, 64]),
                preset=rng.randint(0, 6), deblock=rng.random() < 0.7,
                keyint=rng.choice([0, 1, 2, 3]), seed=rng.randint(0, 1 << 30),
                gop='p' if p else 'intra', refs=rng.randint(1, 4),
                wpp=rng.random() < 0.3, threads=rng.choice([1, 2, 3, 8]),
                frame_threads=rng.choice([1, 1, 2, 3]),
                picture_hash=rng.choice(['md5', 'md5', 'checksum', 'none']))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument('--encoder', required=True,
                    help='path of hevc_conformance_encoder')
    ap.add_argument('--mode', choices=['matrix', 'clips', 'random'],
                    default='matrix')
    ap.add_argument('--budget', type=float,
                    default=float(os.environ.get('QUAD_HEVC_FUZZ_SECONDS', 60)),
                    help='seconds for --mode random')
    ap.add_argument('--seed', type=int, default=None,
                    help='seed for --mode random (default: time)')
    ap.add_argument('--compare-with', metavar='REFERENCE_ENCODER',
                    help='compare streams byte for byte with this build of '
                    'hevc_conformance_encoder instead of decoding them')
    ap.add_argument('--filter', default='',
                    help='only cases whose description contains this')
    args = ap.parse_args()

    missing = [t for t in ('ffmpeg', 'libde265-dec265', 'gst-launch-1.0')
               if shutil.which(t) is None]
    if missing and not args.compare_with:
        print('FAIL: decoders missing: %s (./quad setup installs ffmpeg, '
              'libde265-examples and gstreamer1.0-libav)' % ', '.join(missing))
        return 1
    probe = run(['gst-inspect-1.0', 'avdec_h265'])
    if probe.returncode != 0 and not args.compare_with:
        print('FAIL: GStreamer avdec_h265 missing (gstreamer1.0-libav)')
        return 1

    if args.mode == 'clips':
        clip_dir = os.environ.get('QUAD_CLIPS_Y4M_DIR', '')
        if not clip_dir or not os.path.isdir(clip_dir) or not any(
                f.endswith('.y4m') for f in os.listdir(clip_dir)):
            print('SKIP: QUAD_CLIPS_Y4M_DIR unset or without .y4m clips')
            return SKIP
        cases = clip_cases(clip_dir)
    elif args.mode == 'matrix':
        cases = matrix_cases()
    else:
        cases = None

    failed = 0
    total = 0
    start = time.monotonic()
    workdir = tempfile.mkdtemp(prefix='hevc-conformance-')
    try:
        if cases is None:
            seed = args.seed if args.seed is not None else int(time.time())
            print('random seed %d, budget %.0f s' % (seed, args.budget))
            rng = random.Random(seed)
            n = 0

            def generate():
                nonlocal n
                while time.monotonic() - start < args.budget:
                    n += 1
                    yield random_case(rng, n)
            cases = generate()
        for case in cases:
            desc = case.describe()
            if args.filter and args.filter not in desc:
                continue
            total += 1
            if args.compare_with:
                failures = compare_case(case, args.encoder, args.compare_with,
                                        workdir)
            else:
                failures = check_case(case, args.encoder, workdir)
            if failures:
                failed += 1
                print('FAIL %s' % desc)
                for f in failures:
                    print('    ' + f)
            else:
                print('ok   %s' % desc)
            sys.stdout.flush()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print('%d of %d cases passed in %.0f s' % (total - failed, total,
                                               time.monotonic() - start))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
