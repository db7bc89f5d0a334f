"""Read what a photo says about itself: XMP, IPTC and EXIF, bounded.

No Django. ``read`` takes an opened (not decoded) Pillow image and returns a
``Metadata``: title, caption, creator, credit, copyright, keywords, capture
time and camera. When several blocks carry the same field, XMP wins, then
IPTC, then EXIF: XMP is Unicode and is what current tools (Lightroom, Bridge,
Photo Mechanic) write and keep in sync; IPTC IIM is its legacy mirror, often
left stale by tools that edit only XMP; EXIF's text tags are ASCII, and its
ImageDescription is often a camera's placeholder ("OLYMPUS DIGITAL CAMERA").

Never read: GPS (EXIF's GPS IFD, XMP's exif:GPS*), or anything else not named
here. A malformed block is skipped with a log line; ``read`` never raises.
XMP is untrusted XML: defusedxml refuses DTDs, entities and external
references before anything is parsed.
"""

import dataclasses
import io
import logging
import re
import warnings
from datetime import datetime, timedelta, timezone

from defusedxml.ElementTree import fromstring
from PIL import Image, IptcImagePlugin

from transcoder.imaging.decode.sniff import PILLOW_FORMATS

logger = logging.getLogger(__name__)

# Bounds: what a field may hold, and how much of a file is ever looked at.
LIMITS = {
    "title": 255,
    "caption": 2000,
    "creator": 255,
    "credit": 255,
    "copyright": 500,
    "camera": 255,
}
MAX_KEYWORDS = 30
MAX_KEYWORD_LENGTH = 100
MAX_XMP_BYTES = 1 << 20
# Before the first photograph, a date is a broken clock, not a capture time.
EARLIEST_YEAR = 1826

# Placeholders cameras write into EXIF ImageDescription: not a caption.
_PLACEHOLDERS = {
    "",
    "DIGITAL CAMERA",
    "OLYMPUS DIGITAL CAMERA",
    "SONY DSC",
    "DCF 1.0",
    "KODAK DIGITAL STILL CAMERA",
    "MINOLTA DIGITAL CAMERA",
    "SAMSUNG DIGITAL CAMERA",
    "DEFAULT",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")

_NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# EXIF tags (IFD0 and the Exif IFD), by name.
_EXIF_IFD = 0x8769
_IMAGE_DESCRIPTION, _MAKE, _MODEL = 0x010E, 0x010F, 0x0110
_ARTIST, _COPYRIGHT = 0x013B, 0x8298
_DATE_TIME_ORIGINAL, _OFFSET_TIME_ORIGINAL = 0x9003, 0x9011

# IPTC IIM datasets (record 2, application) and the coded character set.
_IPTC = {
    "title": (2, 5),
    "keywords": (2, 25),
    "date": (2, 55),
    "time": (2, 60),
    "creator": (2, 80),
    "credit": (2, 110),
    "copyright": (2, 116),
    "caption": (2, 120),
}
_IPTC_CHARSET = (1, 90)
_UTF8_ESCAPE = b"\x1b%G"


@dataclasses.dataclass(frozen=True)
class Metadata:
    """What the file says; empty strings and None where it says nothing.

    ``captured_at`` is naive when the file gives no UTC offset: the wall
    clock of the camera, in a zone the file does not name.
    """

    title: str = ""
    caption: str = ""
    creator: str = ""
    credit: str = ""
    copyright: str = ""
    keywords: tuple[str, ...] = ()
    captured_at: datetime | None = None
    camera: str = ""


FIELDS = [f.name for f in dataclasses.fields(Metadata)]


def read_bytes(data: bytes, fmt: str) -> Metadata:
    """Return the metadata of ``data``, an upload the engine accepted as ``fmt``.

    Only that format's Pillow plugin opens the bytes, and only headers are
    read. Anything unreadable yields an empty ``Metadata``.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data), formats=PILLOW_FORMATS[fmt])
        with image:
            return read(image)
    except Exception as exc:  # noqa: BLE001 - metadata never fails an upload
        logger.info("Ignoring the metadata of an unreadable %s file: %r", fmt, exc)
        return Metadata()


def read(image: Image.Image) -> Metadata:
    """Return ``image``'s metadata: XMP first, then IPTC, then EXIF, per field."""
    found = [_guarded(reader, image) for reader in (_from_xmp, _from_iptc, _from_exif)]
    merged = {}
    for name in FIELDS:
        merged[name] = next((f[name] for f in found if f.get(name)), None)
    return Metadata(
        **{
            name: _text(merged[name], LIMITS[name], lines=name == "caption")
            for name in LIMITS
        },
        keywords=_keywords(merged["keywords"] or ()),
        captured_at=merged["captured_at"],
    )


def _guarded(reader, image):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return reader(image)
    except Exception as exc:  # noqa: BLE001 - a bad block is skipped, not fatal
        logger.info("Ignoring malformed metadata (%s): %r", reader.__name__, exc)
        return {}


def _text(value, limit, *, lines=False):
    """Return ``value`` as clean text: no control characters, at most ``limit``."""
    if not value:
        return ""
    value = _CONTROL.sub("", str(value))
    if lines:
        value = "\n".join(_SPACES.sub(" ", line).strip() for line in value.splitlines())
        value = re.sub(r"\n{3,}", "\n\n", value)
    else:
        value = _SPACES.sub(" ", value)
    return value.strip()[:limit].strip()


def _keywords(values):
    """Return at most MAX_KEYWORDS distinct keywords (case-insensitively)."""
    kept = {}
    for value in values:
        word = _text(value, MAX_KEYWORD_LENGTH + 1)
        if word and len(word) <= MAX_KEYWORD_LENGTH:
            kept.setdefault(word.casefold(), word)
        if len(kept) == MAX_KEYWORDS:
            break
    return tuple(kept.values())


def _date(value):
    """Return a datetime from ISO 8601 or EXIF text, or None if not a real date."""
    value = (value or "").strip()
    # EXIF writes 2006:07:08 21:14:45; ISO 8601 dashes the date.
    if re.fullmatch(r"\d{4}:\d\d:\d\d( .*)?", value):
        value = value[:10].replace(":", "-") + value[10:]
    value = value.replace(" ", "T", 1)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.year >= EARLIEST_YEAR else None


def _with_offset(moment, offset):
    """Attach a "+02:00"-style UTC offset to a naive ``moment``, if it is valid."""
    match = re.fullmatch(r"([+-])(\d\d):?(\d\d)", (offset or "").strip())
    if moment is None or moment.tzinfo is not None or not match:
        return moment
    sign = -1 if match[1] == "-" else 1
    delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
    if delta >= timedelta(hours=24):
        return moment
    return moment.replace(tzinfo=timezone(sign * delta))


def _camera(make, model):
    """Return "Make Model", without the make twice ("Canon Canon EOS R5")."""
    make, model = _text(make, 255), _text(model, 255)
    if make and model and model.split()[0].casefold() == make.split()[0].casefold():
        return model
    return " ".join(p for p in (make, model) if p)


# --- XMP ---------------------------------------------------------------------


def _from_xmp(image):
    packet = image.info.get("xmp")
    if packet is None and hasattr(image, "tag_v2"):
        packet = image.tag_v2.get(700)  # TIFF keeps XMP in a tag
    if not packet:
        return {}
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    if len(packet) > MAX_XMP_BYTES:
        raise ValueError(f"XMP packet of {len(packet)} bytes is over the limit")
    root = fromstring(packet.strip(b"\x00 \t\r\n"), forbid_dtd=True)
    descriptions = root.iter(f"{{{_NS['rdf']}}}Description")
    props = {}
    wanted = {
        ("dc", "title"): "title",
        ("dc", "description"): "caption",
        ("dc", "creator"): "creator",
        ("dc", "rights"): "copyright",
        ("dc", "subject"): "keywords",
        ("photoshop", "Credit"): "credit",
        ("photoshop", "DateCreated"): "date_created",
        ("exif", "DateTimeOriginal"): "date_original",
        ("tiff", "Make"): "make",
        ("tiff", "Model"): "model",
    }
    for description in descriptions:
        for (prefix, local), name in wanted.items():
            if name in props:
                continue
            key = f"{{{_NS[prefix]}}}{local}"
            if key in description.attrib:
                props[name] = [description.attrib[key]]
            elif (element := description.find(key)) is not None:
                props[name] = _xmp_values(element)
    first = {k: (v[0] if v else "") for k, v in props.items()}
    return {
        "title": first.get("title"),
        "caption": first.get("caption"),
        "creator": "; ".join(v for v in props.get("creator", []) if v.strip()),
        "copyright": first.get("copyright"),
        "keywords": props.get("keywords", []),
        "credit": first.get("credit"),
        "captured_at": _date(first.get("date_original"))
        or _date(first.get("date_created")),
        "camera": _camera(first.get("make"), first.get("model")),
    }


def _xmp_values(element):
    """Return an XMP property's values: its text, or its rdf:Alt/Bag/Seq items.

    A language alternative gives its x-default item first.
    """
    items = element.findall("rdf:*/rdf:li", _NS)
    if not items:
        return [element.text or ""]
    default = [li for li in items if li.get(_XML_LANG, "").lower() == "x-default"]
    items = default + [li for li in items if li not in default]
    return [li.text or "" for li in items]


# --- IPTC IIM ----------------------------------------------------------------


def _from_iptc(image):
    if image.format not in ("JPEG", "MPO", "TIFF"):
        return {}
    info = IptcImagePlugin.getiptcinfo(image) or {}
    utf8 = _first(info.get(_IPTC_CHARSET)) == _UTF8_ESCAPE

    def values(name):
        raw = info.get(_IPTC[name])
        return [_iptc_text(v, utf8) for v in (raw if isinstance(raw, list) else [raw])]

    def one(name):
        return values(name)[0] if info.get(_IPTC[name]) else ""

    date, time = one("date"), one("time")
    captured = None
    if re.fullmatch(r"\d{8}", date):
        captured = _date(f"{date[:4]}-{date[4:6]}-{date[6:]}")
        hms = re.fullmatch(r"(\d\d)(\d\d)(\d\d)([+-]\d{4})?", time)
        if captured and hms:
            try:
                captured = captured.replace(
                    hour=int(hms[1]), minute=int(hms[2]), second=int(hms[3])
                )
            except ValueError:
                pass
            else:
                captured = _with_offset(captured, hms[4])
    return {
        "title": one("title"),
        "caption": one("caption"),
        "creator": "; ".join(v for v in values("creator") if v.strip()),
        "credit": one("credit"),
        "copyright": one("copyright"),
        "keywords": values("keywords") if info.get(_IPTC["keywords"]) else [],
        "captured_at": captured,
    }


def _first(value):
    return value[0] if isinstance(value, list) else value


def _iptc_text(value, utf8):
    """Decode an IPTC value: UTF-8 when declared (1:90) or when it is valid
    UTF-8, else Windows-1252 (Latin-1's superset), as older tools wrote it."""
    if not isinstance(value, bytes):
        return ""
    if utf8:
        return value.decode("utf-8", "replace")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return value.decode("cp1252")
        except UnicodeDecodeError:
            return value.decode("latin-1")


# --- EXIF ----------------------------------------------------------------------


def _from_exif(image):
    exif = image.getexif()
    if not exif:
        return {}
    inner = exif.get_ifd(_EXIF_IFD)
    description = _exif_text(exif.get(_IMAGE_DESCRIPTION))
    if description.strip().upper() in _PLACEHOLDERS:
        description = ""
    return {
        "caption": description,
        "creator": _exif_text(exif.get(_ARTIST)),
        "copyright": _exif_text(exif.get(_COPYRIGHT)),
        "captured_at": _with_offset(
            _date(_exif_text(inner.get(_DATE_TIME_ORIGINAL))),
            _exif_text(inner.get(_OFFSET_TIME_ORIGINAL)),
        ),
        "camera": _camera(_exif_text(exif.get(_MAKE)), _exif_text(exif.get(_MODEL))),
    }


def _exif_text(value):
    """Return an EXIF ASCII value as text; UTF-8 written there comes out right."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return ""
    value = value.split("\x00", 1)[0]
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value
