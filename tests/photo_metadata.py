"""Make photos that carry XMP, IPTC and EXIF, in memory, as tools write them.

Real camera and agency files live in ``tests/data/metadata`` (see its
ORIGINS.md); none of them holds a full XMP packet or non-ASCII IPTC, so those
cases are built here: an XMP packet in the element form Lightroom and Bridge
write to sidecars and embed, and IPTC IIM in a Photoshop APP13 segment.
"""

import io
import struct
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from PIL import Image

DATA = Path(__file__).parent / "data" / "metadata"
# A place no field, page or rendition may ever mention.
GPS_LATITUDE = "48,51.4998N"
GPS_LONGITUDE = "2,17.6472E"
GPS_TEXTS = ("51.4998", "17.6472", "GPS")


def real(name):
    """Return the bytes of a real file from tests/data/metadata."""
    return (DATA / name).read_bytes()


def xmp_packet(
    *,
    title=None,
    description=None,
    creator=(),
    rights=None,
    subject=(),
    credit=None,
    date_created=None,
    date_original=None,
    gps=False,
    doctype="",
):
    """Return an XMP packet (bytes) with the given dc/photoshop/exif fields."""

    def alt(name, value, lang="x-default"):
        if value is None:
            return ""
        return (
            f"<dc:{name}><rdf:Alt><rdf:li xml:lang={quoteattr(lang)}>"
            f"{escape(value)}</rdf:li></rdf:Alt></dc:{name}>"
        )

    def items(name, kind, values):
        if not values:
            return ""
        lis = "".join(f"<rdf:li>{escape(v)}</rdf:li>" for v in values)
        return f"<dc:{name}><rdf:{kind}>{lis}</rdf:{kind}></dc:{name}>"

    attrs = []
    if credit is not None:
        attrs.append(f"photoshop:Credit={quoteattr(credit)}")
    if date_created is not None:
        attrs.append(f"photoshop:DateCreated={quoteattr(date_created)}")
    if gps:
        attrs.append(f"exif:GPSLatitude={quoteattr(GPS_LATITUDE)}")
        attrs.append(f"exif:GPSLongitude={quoteattr(GPS_LONGITUDE)}")
    body = "".join(
        [
            alt("title", title),
            alt("description", description),
            items("creator", "Seq", creator),
            alt("rights", rights),
            items("subject", "Bag", subject),
            f"<exif:DateTimeOriginal>{escape(date_original)}</exif:DateTimeOriginal>"
            if date_original
            else "",
        ]
    )
    return (
        f'{doctype}<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about=""'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
        ' xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        f"{' '.join(attrs)}>{body}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


def iptc_segment(datasets, *, utf8=None):
    """Return a Photoshop APP13 segment holding IPTC IIM ``datasets``.

    ``datasets`` maps (record, dataset) to bytes or a list of bytes (repeated).
    ``utf8`` adds 1:90 (coded character set) saying UTF-8.
    """
    pairs = [((1, 90), b"\x1b%G")] if utf8 else []
    for key, value in datasets.items():
        pairs += [(key, v) for v in (value if isinstance(value, list) else [value])]
    iim = b"".join(
        b"\x1c" + bytes(key) + struct.pack(">H", len(value)) + value
        for key, value in pairs
    )
    iim += b"\x00" * (len(iim) % 2)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00"
    resource += struct.pack(">I", len(iim)) + iim
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def exif_block(
    *,
    make=None,
    model=None,
    description=None,
    artist=None,
    copyright=None,
    taken=None,
    offset=None,
    gps=False,
):
    """Return an ``Image.Exif`` with IFD0 text, the Exif IFD's date, maybe GPS."""
    exif = Image.Exif()
    for tag, value in (
        (0x010F, make),
        (0x0110, model),
        (0x010E, description),
        (0x013B, artist),
        (0x8298, copyright),
    ):
        if value is not None:
            exif[tag] = value
    inner = exif.get_ifd(0x8769)
    if taken:
        inner[0x9003] = taken
    if offset:
        inner[0x9011] = offset
    if gps:
        where = exif.get_ifd(0x8825)
        where.update({1: "N", 2: (48.0, 51.0, 29.988), 3: "E", 4: (2.0, 17.0, 38.8)})
    return exif


def photo(*, xmp=None, iptc=None, exif=None, size=(64, 48), fmt="JPEG"):
    """Return a small photo carrying the given XMP packet, IPTC segment and EXIF."""
    image = Image.new("RGB", size, (120, 140, 90))
    options = {}
    if exif is not None:
        options["exif"] = exif
    if xmp is not None:
        options["xmp"] = xmp
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    data = buffer.getvalue()
    if iptc is not None:
        data = data[:2] + iptc + data[2:]  # right after SOI, as Photoshop does
    return data
