#!/usr/bin/env python3
"""Writes three synthetic camera RAWs (ORF, PEF, SRW) byte by byte, laid out as those cameras lay them out: TIFF
directories with the raw image's own, the EXIF the camera writes, the maker note whose structure exiftool reads, and
embedded JPEG previews (made by generate.sh). The sensor data is a 64-byte stub: these files are for metadata readers,
not raw developers. Not real camera files. Usage: make-raws.py OUT_DIR PREVIEW.jpg THUMB.jpg"""
import struct
import sys

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED, IFD = 1, 2, 3, 4, 5, 7, 13


class Ref:
    """An offset to something placed later, written relative to `base`."""

    def __init__(self, name, base=0):
        self.name, self.base = name, base


class File:
    def __init__(self, order):
        self.o = order  # '<' or '>'
        self.buf = bytearray()
        self.marks = {}
        self.patches = []  # (position, Ref)

    def here(self):
        return len(self.buf)

    def mark(self, name):
        self.marks[name] = self.here()

    def align(self):
        if len(self.buf) % 2:
            self.buf.append(0)

    def raw(self, data, name=None):
        self.align()
        if name:
            self.mark(name)
        self.buf += data

    def _value(self, kind, values):
        if kind in (ASCII, UNDEFINED, BYTE) and isinstance(values, (bytes, bytearray)):
            return bytes(values), len(values), []
        out, refs = bytearray(), []
        for v in values:
            if isinstance(v, Ref):
                refs.append((len(out), v))
                v = 0
            if kind == SHORT:
                out += struct.pack(self.o + 'H', v)
            elif kind in (LONG, IFD):
                out += struct.pack(self.o + 'I', v)
            elif kind == RATIONAL:
                out += struct.pack(self.o + 'II', *v)
            elif kind == BYTE:
                out += bytes([v])
        return bytes(out), len(values), refs

    def ifd(self, entries, name=None, next_ref=None, base=0):
        """An IFD at the current position (entries sorted by tag), out-of-line values right after its next pointer
        (where exiftool expects them), offsets relative to `base`."""
        self.align()
        if name:
            self.mark(name)
        start = self.here()
        entries = sorted(entries, key=lambda e: e[0])
        data_at = start + 2 + 12 * len(entries) + 4
        table, data = bytearray(struct.pack(self.o + 'H', len(entries))), bytearray()
        for tag, kind, values in entries:
            payload, count, refs = self._value(kind, values)
            entry_at = start + len(table)
            table += struct.pack(self.o + 'HHI', tag, kind, count)
            if len(payload) <= 4:
                for at, ref in refs:
                    self.patches.append((entry_at + 8 + at, ref))
                table += payload.ljust(4, b'\0')
            else:
                if len(data) % 2:
                    data.append(0)
                where = data_at + len(data)
                for at, ref in refs:
                    self.patches.append((where + at, ref))
                table += struct.pack(self.o + 'I', where - base)
                data += payload
        if next_ref is not None:
            self.patches.append((start + len(table), next_ref))
        table += b'\0\0\0\0'
        self.buf += table + data

    def done(self):
        for at, ref in self.patches:
            struct.pack_into(self.o + 'I', self.buf, at, self.marks[ref.name] - ref.base)
        return bytes(self.buf)


def text(s):
    return s.encode('ascii') + b'\0'


def exif_ifd(taken):
    """The Exif IFD's capture facts and an empty MakerNote entry (set_maker_note points it at the maker note)."""
    return [
        (0x829A, RATIONAL, [(1, 250)]), (0x829D, RATIONAL, [(56, 10)]), (0x8827, SHORT, [200]),
        (0x9000, UNDEFINED, b'0231'), (0x9003, ASCII, text(taken)), (0x9004, ASCII, text(taken)),
        (0x920A, RATIONAL, [(250, 10)]), (0x927C, UNDEFINED, b''),
    ]


def orf(preview):
    """Olympus ORF: 'IIRO', IFD0 is the raw image (NewSubfileType 0, the sensor's 4640x3472), EXIF in IFD0's Exif IFD,
    and the Olympus maker note ('OLYMPUS\\0II' + version 3, offsets from the maker note's start) with its Equipment,
    CameraSettings (PreviewImageStart/Length: the preview, inside the maker note) and ImageProcessing (CropWidth and
    CropHeight 4608x3456, which exiftool does not report as the image size) sub-IFDs."""
    f = File('<')
    f.buf += b'IIRO' + struct.pack('<I', 8)
    f.ifd([
        (0x00FE, LONG, [0]), (0x0100, LONG, [4640]), (0x0101, LONG, [3472]), (0x0102, SHORT, [16]),
        (0x0103, SHORT, [1]), (0x0106, SHORT, [32803]), (0x010F, ASCII, text('OLYMPUS IMAGING CORP.  ')),
        (0x0110, ASCII, text('E-M10')), (0x0111, LONG, [Ref('strip')]), (0x0112, SHORT, [8]), (0x0115, SHORT, [1]),
        (0x0116, LONG, [3472]), (0x0117, LONG, [64]), (0x011A, RATIONAL, [(314, 1)]), (0x011B, RATIONAL, [(314, 1)]),
        (0x0128, SHORT, [2]), (0x0131, ASCII, text('Version 1.0')), (0x0132, ASCII, text('2015:06:14 10:21:43')),
        (0x8769, LONG, [Ref('exif')]),
    ])
    f.ifd(exif_ifd('2015:06:14 10:21:43'), name='exif')
    exif_at = f.marks['exif']
    f.align()
    mn = f.here()
    f.buf += b'OLYMPUS\0II\x03\0'
    f.ifd([
        (0x0000, UNDEFINED, b'0100'),
        (0x2010, IFD, [Ref('equipment', mn)]), (0x2020, IFD, [Ref('settings', mn)]), (0x2040, IFD, [Ref('processing', mn)]),
    ], base=mn)
    f.ifd([(0x0000, UNDEFINED, b'0100'), (0x0100, ASCII, text('S0051')), (0x0101, ASCII, text('BHP000001'))],
          name='equipment', base=mn)
    f.ifd([(0x0000, UNDEFINED, b'0100'), (0x0100, LONG, [1]), (0x0101, LONG, [Ref('preview', mn)]),
           (0x0102, LONG, [len(preview)])], name='settings', base=mn)
    f.ifd([(0x0000, UNDEFINED, b'0112'), (0x0612, SHORT, [12, 0]), (0x0613, SHORT, [8, 0]), (0x0614, LONG, [4608]),
           (0x0615, LONG, [3456])], name='processing', base=mn)
    f.raw(preview, 'preview')
    f.align()
    length = f.here() - mn
    set_maker_note(f, exif_at, mn, length)
    f.raw(bytes(64), 'strip')
    return f.done()


def set_maker_note(f, exif_at, at, length):
    """Points the Exif IFD's MakerNote entry (written empty) at `at` with `length` bytes."""
    count = struct.unpack_from(f.o + 'H', f.buf, exif_at)[0]
    for i in range(count):
        entry = exif_at + 2 + 12 * i
        if struct.unpack_from(f.o + 'H', f.buf, entry)[0] == 0x927C:
            struct.pack_into(f.o + 'II', f.buf, entry + 4, length, at)
            return
    raise ValueError('no maker note entry')


def pef(preview, thumb, large):
    """Pentax PEF: big-endian TIFF whose IFD0 is the raw image (4928x3264, Pentax compression 65535), IFD1 the
    thumbnail JPEG, IFD2 the full-size JpgFromRaw; the Pentax maker note ('AOC\\0' + 'MM', absolute offsets) holds
    PreviewImageSize, PreviewImageLength and PreviewImageStart."""
    f = File('>')
    f.buf += b'MM\0\x2a' + struct.pack('>I', 8)
    f.ifd([
        (0x0100, LONG, [4928]), (0x0101, LONG, [3264]), (0x0102, SHORT, [12]), (0x0103, SHORT, [65535]),
        (0x0106, SHORT, [32803]), (0x010F, ASCII, text('PENTAX Corporation ')), (0x0110, ASCII, text('PENTAX K-5        ')),
        (0x0111, LONG, [Ref('strip')]), (0x0112, SHORT, [6]), (0x0115, SHORT, [1]), (0x0116, LONG, [3264]),
        (0x0117, LONG, [64]), (0x011A, RATIONAL, [(300, 1)]), (0x011B, RATIONAL, [(300, 1)]), (0x0128, SHORT, [2]),
        (0x0131, ASCII, text('K-5 Ver 1.16')), (0x0132, ASCII, text('2012:09:30 16:45:12')),
        (0x8769, LONG, [Ref('exif')]),
    ], next_ref=Ref('ifd1'))
    f.ifd(exif_ifd('2012:09:30 16:45:12'), name='exif')
    exif_at = f.marks['exif']
    f.align()
    mn = f.here()
    f.buf += b'AOC\0MM'
    f.ifd([
        (0x0000, BYTE, [7, 0, 0, 0]), (0x0001, SHORT, [3]), (0x0002, SHORT, [160, 120]),
        (0x0003, LONG, [len(preview)]), (0x0004, LONG, [Ref('preview')]), (0x0005, LONG, [0x12E76]),
        (0x0006, UNDEFINED, struct.pack('>HBB', 2012, 9, 30)), (0x0007, UNDEFINED, bytes([16, 45, 12])),
        (0x0008, SHORT, [4]),
    ])
    set_maker_note(f, exif_at, mn, f.here() - mn)
    f.ifd([(0x0103, SHORT, [6]), (0x011A, RATIONAL, [(72, 1)]), (0x011B, RATIONAL, [(72, 1)]), (0x0128, SHORT, [2]),
           (0x0201, LONG, [Ref('thumb')]), (0x0202, LONG, [len(thumb)])], name='ifd1', next_ref=Ref('ifd2'))
    f.ifd([(0x0103, SHORT, [6]), (0x011A, RATIONAL, [(300, 1)]), (0x011B, RATIONAL, [(300, 1)]), (0x0128, SHORT, [2]),
           (0x0201, LONG, [Ref('large')]), (0x0202, LONG, [len(large)])], name='ifd2')
    f.raw(preview, 'preview')
    f.raw(thumb, 'thumb')
    f.raw(large, 'large')
    f.raw(bytes(64), 'strip')
    return f.done()


def srw(preview):
    """Samsung SRW: IFD0 a reduced-resolution (NewSubfileType 1) 40x30 RGB thumbnail, its SubIFD the raw image
    (NewSubfileType 0, 5536x3688, Samsung compression 32770), and the Samsung Type2 maker note (a bare IFD, absolute
    offsets) whose PreviewIFD (0x0035) gives PreviewImageStart/Length."""
    f = File('<')
    f.buf += b'II\x2a\0' + struct.pack('<I', 8)
    f.ifd([
        (0x00FE, LONG, [1]), (0x0100, LONG, [40]), (0x0101, LONG, [30]), (0x0102, SHORT, [8, 8, 8]),
        (0x0103, SHORT, [1]), (0x0106, SHORT, [2]), (0x010F, ASCII, text('SAMSUNG')), (0x0110, ASCII, text('NX300')),
        (0x0111, LONG, [Ref('rgb')]), (0x0112, SHORT, [3]), (0x0115, SHORT, [3]), (0x0116, LONG, [30]),
        (0x0117, LONG, [40 * 30 * 3]), (0x011A, RATIONAL, [(72, 1)]), (0x011B, RATIONAL, [(72, 1)]),
        (0x0128, SHORT, [2]), (0x0131, ASCII, text('NX300 1.10')), (0x0132, ASCII, text('2014:03:08 09:12:55')),
        (0x014A, LONG, [Ref('raw')]), (0x8769, LONG, [Ref('exif')]),
    ])
    f.ifd([
        (0x00FE, LONG, [0]), (0x0100, LONG, [5536]), (0x0101, LONG, [3688]), (0x0102, SHORT, [12]),
        (0x0103, SHORT, [32770]), (0x0106, SHORT, [32803]), (0x0111, LONG, [Ref('strip')]), (0x0115, SHORT, [1]),
        (0x0116, LONG, [3688]), (0x0117, LONG, [64]),
    ], name='raw')
    f.ifd(exif_ifd('2014:03:08 09:12:55'), name='exif')
    exif_at = f.marks['exif']
    f.align()
    mn = f.here()
    f.ifd([
        (0x0001, UNDEFINED, b'0100'), (0x0002, LONG, [0x2000]), (0x0003, LONG, [0x5001038]),
        (0x0035, LONG, [Ref('previewifd')]),
    ])
    f.ifd([(0x0103, SHORT, [6]), (0x0201, LONG, [Ref('preview')]), (0x0202, LONG, [len(preview)])], name='previewifd')
    set_maker_note(f, exif_at, mn, f.here() - mn)
    f.raw(preview, 'preview')
    f.raw(bytes([200, 40, 40]) * (40 * 30), 'rgb')
    f.raw(bytes(64), 'strip')
    return f.done()


def main():
    out, preview, thumb, large = sys.argv[1], *(open(p, 'rb').read() for p in sys.argv[2:5])
    for name, data in (('olympus.orf', orf(preview)), ('pentax.pef', pef(preview, thumb, large)),
                       ('samsung.srw', srw(preview))):
        with open(f'{out}/{name}', 'wb') as fh:
            fh.write(data)


main()
