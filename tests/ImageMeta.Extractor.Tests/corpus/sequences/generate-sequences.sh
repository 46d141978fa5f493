#!/bin/sh
# Regenerates the animated JPEG XL samples of sequences/ with Debian 12's tools only (ImageMagick 6.9.11 `convert`,
# libjxl-tools 0.7.0 `cjxl`, python3 for the one APNG ImageMagick 6 cannot write, with an ICC profile it writes too), and prints what jxlinfo says of each
# (the frames a viewer shows: its `frame:` lines; `layer:` lines are 0-duration frames blended into the next).
# Re-running changes the bytes (encoders stamp versions); JpegXlFrameTests holds the frame counts, which do not change.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

convert -delay 10 -size 64x48 xc:red xc:green xc:blue -loop 0 "$work/three.gif"
convert -delay 5 -size 300x200 xc:red xc:green xc:blue xc:yellow xc:white -loop 0 "$work/five.gif"
convert -delay 0 -size 64x48 xc:red xc:green -delay 10 xc:blue -loop 0 "$work/zero-delay.gif"
# Twelve 300x280 frames: 2x2 groups of 256 pixels, so each frame's table of contents has several entries.
set --
for i in 0 1 2 3 4 5 6 7 8 9 10 11; do
  set -- "$@" '(' -size 300x280 xc:white -fill "hsl($((i * 30)),80%,50%)" -draw "circle $((40 + i * 20)),140 $((40 + i * 20)),$((100 + i * 3))" ')'
done
convert -delay 8 "$@" -loop 0 "$work/groups.gif"
# Frames smaller than the canvas, at offsets (cropped frames blended onto the one before).
convert -delay 10 -size 120x90 xc:white '(' -size 30x20 xc:red -repage +10+10 ')' '(' -size 30x20 xc:blue -repage +60+40 ')' \
  '(' -size 20x20 xc:green -repage +90+60 ')' -loop 0 -coalesce -layers OptimizeFrame "$work/partial.gif"
convert -delay 20 -size 40x40 xc:none -fill gray40 -draw 'rectangle 5,5 20,20' \
  '(' -size 40x40 xc:none -fill gray80 -draw 'rectangle 15,15 35,35' ')' -loop 0 "$work/alpha.gif"
# A three-frame APNG with an ICC profile made here (a matrix/TRC RGB profile with its own primaries, gamma 2.0), which
# cjxl keeps as an ICC profile, entropy-coded.
python3 - "$work/icc.png" <<'PY'
import struct, sys, zlib
def s15(v): return struct.pack('>i', round(v * 65536))
def xyz(x, y, z): return b'XYZ \0\0\0\0' + s15(x) + s15(y) + s15(z)
def curv(g): return b'curv\0\0\0\0' + struct.pack('>IH', 1, round(g * 256)) + b'\0\0'
def desc(text): text = text.encode() + b'\0'; return b'desc\0\0\0\0' + struct.pack('>I', len(text)) + text + b'\0' * 79
tags = [(b'desc', desc('ImageMeta test RGB')), (b'cprt', b'text\0\0\0\0No copyright, made for tests\0'), (b'wtpt', xyz(0.9642, 1.0, 0.8249)),
        (b'rXYZ', xyz(0.60, 0.31, 0.02)), (b'gXYZ', xyz(0.25, 0.62, 0.10)), (b'bXYZ', xyz(0.11, 0.07, 0.70)),
        (b'rTRC', curv(2.0)), (b'gTRC', curv(2.0)), (b'bTRC', curv(2.0))]
at, table, data = 128 + 4 + 12 * len(tags), b'', b''
for sig, body in tags:
    body += b'\0' * (-len(body) % 4)
    table += sig + struct.pack('>II', at + len(data), len(body)); data += body
icc = struct.pack('>I', at + len(data)) + b'none' + bytes([2, 0x10, 0, 0]) + b'mntrRGB XYZ ' + struct.pack('>6H', 2026, 12, 2, 0, 0, 0)
icc += b'acsp' + b'\0' * 28 + s15(0.9642) + s15(1.0) + s15(0.8249) + b'\0' * 48
icc += struct.pack('>I', len(tags)) + table + data
def chunk(kind, data): return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
w, h = 32, 24
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
png += chunk(b'iCCP', b'test\0\0' + zlib.compress(icc)) + chunk(b'acTL', struct.pack('>II', 3, 0))
seq = 0
for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255)]):
    rows = zlib.compress(b''.join(b'\0' + bytes(colour) * w for _ in range(h)))
    png += chunk(b'fcTL', struct.pack('>IIIIIHHBB', seq, w, h, 0, 0, 1, 10, 0, 0)); seq += 1
    if i == 0: png += chunk(b'IDAT', rows)
    else: png += chunk(b'fdAT', struct.pack('>I', seq) + rows); seq += 1
open(sys.argv[1], 'wb').write(png + chunk(b'IEND', b''))
PY

cjxl "$work/three.gif" jxl-3-lossless.jxl -d 0 >/dev/null 2>&1
cjxl "$work/five.gif" jxl-5-lossy-container.jxl -d 1 --container=1 >/dev/null 2>&1
cjxl "$work/zero-delay.gif" jxl-zero-delay-layers.jxl -d 0 >/dev/null 2>&1
cjxl "$work/groups.gif" jxl-12-groups-lossless.jxl -d 0 >/dev/null 2>&1
cjxl "$work/groups.gif" jxl-12-groups-lossy-container.jxl -d 1 --container=1 >/dev/null 2>&1
cjxl "$work/groups.gif" jxl-12-progressive-dc.jxl -d 1 --progressive_dc=1 -p >/dev/null 2>&1
cjxl "$work/groups.gif" jxl-12-permuted-toc.jxl -d 1 --group_order=1 >/dev/null 2>&1
cjxl "$work/partial.gif" jxl-4-partial-frames.jxl -d 1 >/dev/null 2>&1
cjxl "$work/alpha.gif" jxl-2-alpha-lossy.jxl -d 1 >/dev/null 2>&1
cjxl "$work/icc.png" jxl-3-icc.jxl -d 0 >/dev/null 2>&1

for f in *.jxl; do
  echo "$f: $(jxlinfo "$f" | grep -c '^frame') frames, $(jxlinfo "$f" | grep -c '^layer') layers"
done
