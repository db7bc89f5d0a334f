"""Make test images in memory: plain, oriented, colour-managed, animated, broken.

Every helper returns encoded bytes, the way an upload arrives. Pillow writes
them, so the tests need no image files beyond the third-party references in
``../shared/testdata``.
"""

import io
import struct
import zlib
from collections.abc import Sequence

from PIL import Image, ImageCms

from transcoder.imaging.decode import heif

RED = (200, 40, 30)


def make_image(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    mode: str = "RGB",
    color=RED,
    *,
    orientation: int | None = None,
    icc: bytes | None = None,
    **save_kwargs,
) -> bytes:
    """Return a solid image of ``size`` and ``mode`` encoded as ``fmt``.

    ``orientation`` stores an EXIF Orientation tag (as a TIFF tag for TIFF);
    ``icc`` embeds a profile; other keywords go to ``Image.save``.
    """
    image = Image.new(mode, size, _color_for(mode, color))
    return encode(image, fmt, orientation=orientation, icc=icc, **save_kwargs)


def _color_for(mode: str, color):
    """Translate an RGB(A) tuple into a fill value for ``mode``."""
    if not isinstance(color, tuple):
        return color
    grey = Image.new("RGB", (1, 1), color[:3]).convert("L").getpixel((0, 0))
    alpha = color[3] if len(color) > 3 else 255
    if mode in ("1", "L"):
        return grey
    if mode in ("I", "I;16", "I;16B", "I;16L"):
        return grey * 257  # the same brightness on the 16-bit scale
    if mode == "F":
        return float(grey)
    if mode == "LA":
        return (grey, alpha)
    if mode == "CMYK" and len(color) == 3:
        return (*(255 - c for c in color), 0)
    return color


def encode(
    image: Image.Image,
    fmt: str = "PNG",
    *,
    orientation: int | None = None,
    icc: bytes | None = None,
    **save_kwargs,
) -> bytes:
    """Return ``image`` encoded as ``fmt`` with optional orientation and profile."""
    if fmt.upper() in ("HEIF", "HEIC"):
        # The app registers pillow-heif on the first HEIF file it meets.
        heif.register()
    if orientation is not None:
        if fmt.upper() == "TIFF":
            save_kwargs.setdefault("tiffinfo", {})[0x0112] = orientation
        else:
            save_kwargs["exif"] = exif_bytes(orientation=orientation)
    if icc is not None:
        save_kwargs["icc_profile"] = icc
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_kwargs)
    return buffer.getvalue()


def exif_bytes(**tags) -> bytes:
    """Return EXIF holding the given tags, e.g. ``orientation=6``."""
    names = {"orientation": 0x0112, "make": 0x010F, "model": 0x0110}
    exif = Image.Exif()
    for name, value in tags.items():
        exif[names[name]] = value
    return exif.tobytes()


def gps_exif_bytes() -> bytes:
    """Return EXIF with a camera make and a GPS position, to check stripping."""
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0), 3: "E", 4: (4.0, 53.0, 0.0)}
    return exif.tobytes()


def quadrants(
    size: tuple[int, int] = (200, 100),
    colors=((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)),
) -> Image.Image:
    """Return an image split in four: top-left, top-right, bottom-left, bottom-right.

    Useful to see where a crop came from, or which way an image was turned.
    """
    width, height = size
    image = Image.new("RGB", size)
    boxes = [
        (0, 0, width // 2, height // 2),
        (width // 2, 0, width, height // 2),
        (0, height // 2, width // 2, height),
        (width // 2, height // 2, width, height),
    ]
    for box, color in zip(boxes, colors, strict=True):
        image.paste(color, box)
    return image


def noisy(size: tuple[int, int] = (300, 200)) -> Image.Image:
    """Return a photo-like noisy image that compresses poorly."""
    return Image.merge("RGB", [Image.effect_noise(size, 60 + 10 * i) for i in range(3)])


def animation(
    fmt: str = "GIF",
    sizes=((32, 32), (32, 32)),
    colors=((255, 0, 0), (0, 0, 255), (0, 255, 0), (255, 255, 0)),
    **save_kwargs,
) -> bytes:
    """Return an animation with one solid frame per size, colours cycling."""
    frames = [
        Image.new("RGB", size, colors[i % len(colors)]) for i, size in enumerate(sizes)
    ]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        fmt,
        save_all=True,
        append_images=frames[1:],
        duration=100,
        loop=0,
        **save_kwargs,
    )
    return buffer.getvalue()


def icc_profile(
    *,
    gray: bool = False,
    description: str = "mediahub wide-gamut test RGB",
    gamma: float = 2.2,
    primaries=(
        # Adobe RGB (1998) primaries adapted to D50, as in its published profile.
        (0.6097, 0.3111, 0.0195),
        (0.2053, 0.6257, 0.0609),
        (0.1492, 0.0632, 0.7446),
    ),
) -> bytes:
    """Build a small ICC v2 display profile: matrix/TRC RGB, or a grey TRC.

    Pillow can only create sRGB and LAB profiles itself; this makes the
    non-sRGB profiles that colour-management tests need.
    """

    def s15(value: float) -> bytes:
        return struct.pack(">i", round(value * 65536))

    def xyz(values) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(s15(v) for v in values)

    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    text = description.encode("ascii") + b"\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + bytes(12 + 67)
    d50 = (0.9642, 1.0, 0.8249)
    tags = [(b"desc", desc), (b"wtpt", xyz(d50)), (b"cprt", b"text\0\0\0\0none\0")]
    if gray:
        tags.append((b"kTRC", curve))
    else:
        for name, primary in zip((b"r", b"g", b"b"), primaries, strict=True):
            tags += [(name + b"XYZ", xyz(primary)), (name + b"TRC", curve)]
    table_end = 128 + 4 + 12 * len(tags)
    table, body = [], b""
    for signature, data in tags:
        data += bytes(-len(data) % 4)
        table.append(struct.pack(">4sII", signature, table_end + len(body), len(data)))
        body += data
    size = table_end + len(body)
    header = (
        struct.pack(">I4sI4s4s4s", size, b"\0\0\0\0", 0x02100000, b"mntr",
                    b"GRAY" if gray else b"RGB ", b"XYZ ")
        + bytes(12) + b"acsp" + bytes(24) + struct.pack(">I", 0)
        + b"".join(s15(v) for v in d50)
    )  # fmt: skip
    header += bytes(128 - len(header))
    return header + struct.pack(">I", len(tags)) + b"".join(table) + body


def srgb_profile() -> bytes:
    """Return Pillow's built-in sRGB profile as bytes."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def truncate(data: bytes, keep: float = 0.5) -> bytes:
    """Return the first ``keep`` fraction of ``data``, as an interrupted upload."""
    return data[: int(len(data) * keep)]


def png_claiming_size(width: int, height: int) -> bytes:
    """Return a tiny valid PNG whose header claims ``width`` x ``height`` pixels."""
    data = bytearray(make_image("PNG", size=(1, 1)))
    struct.pack_into(">II", data, 16, width, height)
    struct.pack_into(">I", data, 29, zlib.crc32(data[12:29]))
    return bytes(data)


def gif_with_frame_size(frame: int, width: int, height: int) -> bytes:
    """Return a small animated GIF whose frame number ``frame`` claims a new size.

    The frame's pixels stay tiny: only its descriptor lies, as in a GIF bomb.
    """
    data = bytearray(animation("GIF", sizes=[(16, 16)] * (frame + 2)))
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    seen = 0
    while data[pos] != 0x3B:
        block = data[pos]
        pos += 1
        if block == 0x21:
            pos += 1
        else:
            if seen == frame:
                struct.pack_into("<HH", data, pos + 4, width, height)
                return bytes(data)
            seen += 1
            local = data[pos + 8]
            pos += 9 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
        while data[pos]:
            pos += data[pos] + 1
        pos += 1
    raise ValueError(f"the GIF has no frame {frame}")


def apng_with_frame_size(frame: int, width: int, height: int) -> bytes:
    """Return a small APNG whose frame number ``frame`` claims a new size."""
    data = bytearray(animation("PNG", sizes=[(16, 16)] * (frame + 2)))
    pos, seen = 8, 0
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        if kind == b"fcTL":
            if seen == frame:
                struct.pack_into(">II", data, pos + 12, width, height)
                crc = zlib.crc32(data[pos + 4 : pos + 8 + length])
                struct.pack_into(">I", data, pos + 8 + length, crc)
                return bytes(data)
            seen += 1
        pos += 12 + length
    raise ValueError(f"the APNG has no frame {frame}")


def webp_with_frame_offset(frame: int, x: int) -> bytes:
    """Return a small animated WebP whose frame number ``frame`` starts at ``x``.

    libwebp keeps every frame inside the canvas, so a far offset is the way
    to hide something outside it.
    """
    data = bytearray(animation("WEBP", sizes=[(16, 16)] * (frame + 2), lossless=True))
    pos, seen = 12, 0
    while pos < len(data):
        kind, length = struct.unpack_from("<4sI", data, pos)
        if kind == b"ANMF":
            if seen == frame:
                # The offset is stored halved, in three little-endian bytes.
                data[pos + 8 : pos + 11] = (x // 2).to_bytes(3, "little")
                return bytes(data)
            seen += 1
        pos += 8 + length + (length & 1)
    raise ValueError(f"the WebP has no frame {frame}")


# -- hand-made files: what Pillow will not write ------------------------------


def png_chunk(kind: bytes, data: bytes = b"", *, crc: int | None = None) -> bytes:
    """Return one PNG chunk; ``crc`` overrides the checksum, to damage it."""
    crc = zlib.crc32(kind + data) if crc is None else crc
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def raw_png(
    width: int,
    height: int,
    *,
    bit_depth: int = 8,
    colour_type: int = 2,
    pixels: bytes | None = None,
    before: Sequence[bytes] = (),
    after: Sequence[bytes] = (),
    interlace: bool = False,
    idat: bytes | None = None,
) -> bytes:
    """Return a PNG written by hand, for what Pillow cannot save.

    ``pixels`` are the packed samples, row by row, without filter bytes (a
    mid grey by default). ``before`` and ``after`` are extra chunks around
    IDAT (see ``png_chunk``); ``idat`` replaces the compressed data outright.
    """
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    row_bytes = (width * channels * bit_depth + 7) // 8
    if pixels is None:
        pixels = bytes([0x80]) * (row_bytes * height)
    rows = [pixels[y * row_bytes : (y + 1) * row_bytes] for y in range(height)]
    if interlace:
        raw = _adam7(rows, width, channels * bit_depth)
    else:
        raw = b"".join(b"\0" + row for row in rows)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0,
                       1 if interlace else 0)  # fmt: skip
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + b"".join(before)
        + png_chunk(b"IDAT", zlib.compress(raw) if idat is None else idat)
        + b"".join(after)
        + png_chunk(b"IEND")
    )


_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4),
          (1, 0, 2, 2), (0, 1, 1, 2))  # fmt: skip


def _adam7(rows: list[bytes], width: int, bits_per_pixel: int) -> bytes:
    """Return the filtered, interlaced scanlines of whole-byte pixels."""
    if bits_per_pixel % 8:
        raise ValueError("only whole-byte pixels are interlaced here")
    step = bits_per_pixel // 8
    out = b""
    for x0, y0, dx, dy in _ADAM7:
        for y in range(y0, len(rows), dy):
            line = b"".join(
                rows[y][x * step : (x + 1) * step] for x in range(x0, width, dx)
            )
            if line:
                out += b"\0" + line
    return out


def jpeg_claiming_size(width: int, height: int) -> bytes:
    """Return a small JPEG whose start-of-frame claims ``width`` x ``height``."""
    data = bytearray(make_image("JPEG", size=(8, 8)))
    pos = 2
    while data[pos + 1] not in (0xC0, 0xC2):
        pos += 2 + struct.unpack_from(">H", data, pos + 2)[0]
    struct.pack_into(">HH", data, pos + 5, height, width)
    return bytes(data)


def gif_claiming_screen(width: int, height: int) -> bytes:
    """Return a small GIF whose logical screen claims ``width`` x ``height``."""
    data = bytearray(make_image("GIF", size=(8, 8)))
    struct.pack_into("<HH", data, 6, width, height)
    return bytes(data)


def flip_bit(data: bytes, position: int) -> bytes:
    """Return ``data`` with one bit flipped at ``position`` (a bit index)."""
    out = bytearray(data)
    out[position // 8] ^= 1 << (position % 8)
    return bytes(out)


def jpeg_scan_bomb(size: tuple[int, int] = (2000, 1500), scans: int = 3000) -> bytes:
    """Return a progressive JPEG whose last scan is repeated ``scans`` times.

    libjpeg only warns about the repeats and decodes each one over the whole
    image, so a small file costs minutes of CPU: a known denial of service.
    """
    data = make_image("JPEG", size=size, progressive=True, quality=90)
    pos, last = 2, None
    while data[pos + 1] != 0xD9:
        length = struct.unpack_from(">H", data, pos + 2)[0]
        end = pos + 2 + length
        if data[pos + 1] == 0xDA:
            # Entropy-coded data runs to the next marker that is not a stuffed
            # zero or a restart marker.
            while (
                data[end] != 0xFF or data[end + 1] == 0 or 0xD0 <= data[end + 1] <= 0xD7
            ):
                end += 1
            last = (pos, end)
        pos = end
    start, end = last
    return data[:end] + data[start:end] * scans + data[end:]
