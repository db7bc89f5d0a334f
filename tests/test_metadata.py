"""Reading XMP, IPTC and EXIF (transcoder.imaging.decode.metadata): real files from a
camera and an agency workflow, precedence, encodings, bounds, hostile packets."""

import io
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL import Image, PngImagePlugin

from tests.photo_metadata import (
    GPS_TEXTS,
    exif_block,
    iptc_segment,
    photo,
    real,
    xmp_packet,
)
from transcoder.imaging.decode import metadata
from transcoder.imaging.decode.metadata import Metadata, read_bytes

REAL_FILES = [
    (
        # A Nokia N70 phone photo, keyworded in IPTC by its owner.
        "nokia-n70-iptc-keywords.jpg",
        Metadata(
            keywords=("HvK", "2006", "summer", "July", "holiday", "Hungary",
                      "Budapest"),
            captured_at=datetime(2006, 7, 8, 21, 14, 45),
            camera="Nokia N70-1",
        ),
    ),
    (
        # A photographer's file from Photoshop CC 2019: the by-line in IPTC
        # (UTF-8 declared), XMP and EXIF alike, and an EXIF block with
        # malformed resolution tags.
        "photoshop-agency-creator.jpg",
        Metadata(
            creator="JOE STEMMER PHOTO",
            captured_at=datetime(2016, 12, 3, 11, 17, 43),
        ),
    ),
    # Photoshop CC 2017: a corrupt EXIF block and an XMP packet of no interest.
    ("photoshop-corrupt-exif.jpg", Metadata()),
    # GPS in EXIF: read nothing of it; the camera fields are its writer's dummies.
    ("exif-gps.jpg", Metadata(captured_at=datetime(2099, 9, 29, 10, 10, 10),
                              camera="Make XXX-XXX")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "expected"), REAL_FILES, ids=[r[0] for r in REAL_FILES]
)
def test_real_files_read_as_expected(name, expected):
    """Each real file gives exactly the fields it carries, nothing more."""
    assert read_bytes(real(name), "jpeg") == expected


EVERYWHERE = dict(
    xmp=xmp_packet(
        title="XMP title",
        description="XMP caption",
        creator=["Ana Ruiz", "Bo Li"],
        rights="© XMP",
        subject=["New York", "beach"],
        credit="XMP credit",
        date_original="2024-05-01T10:20:30+02:00",
    ),
    iptc=iptc_segment(
        {
            (2, 5): b"IPTC title",
            (2, 120): b"IPTC caption",
            (2, 80): b"IPTC creator",
            (2, 110): b"IPTC credit",
            (2, 116): b"IPTC copyright",
            (2, 25): [b"iptc-one", b"iptc-two"],
            (2, 55): b"20230102",
            (2, 60): b"030405+0100",
        }
    ),
    exif=exif_block(
        make="NIKON CORPORATION",
        model="NIKON D750",
        description="EXIF caption",
        artist="EXIF artist",
        copyright="EXIF copyright",
        taken="2022:01:02 03:04:05",
    ),
)
XMP_WINS = Metadata(
    title="XMP title",
    caption="XMP caption",
    creator="Ana Ruiz; Bo Li",
    credit="XMP credit",
    copyright="© XMP",
    keywords=("New York", "beach"),
    captured_at=datetime(2024, 5, 1, 10, 20, 30, tzinfo=timezone(timedelta(hours=2))),
    camera="NIKON D750",
)
IPTC_WINS = Metadata(
    title="IPTC title",
    caption="IPTC caption",
    creator="IPTC creator",
    credit="IPTC credit",
    copyright="IPTC copyright",
    keywords=("iptc-one", "iptc-two"),
    captured_at=datetime(2023, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=1))),
    camera="NIKON D750",
)
EXIF_ONLY = Metadata(
    caption="EXIF caption",
    creator="EXIF artist",
    copyright="EXIF copyright",
    captured_at=datetime(2022, 1, 2, 3, 4, 5),
    camera="NIKON D750",
)
PRECEDENCE = [
    ("xmp-iptc-exif", ("xmp", "iptc", "exif"), XMP_WINS),
    ("iptc-exif", ("iptc", "exif"), IPTC_WINS),
    ("exif", ("exif",), EXIF_ONLY),
]


@pytest.mark.parametrize(("blocks", "expected"), [p[1:] for p in PRECEDENCE],
                         ids=[p[0] for p in PRECEDENCE])  # fmt: skip
def test_xmp_then_iptc_then_exif(blocks, expected):
    """Where several blocks carry a field, XMP wins, then IPTC, then EXIF."""
    data = photo(**{k: EVERYWHERE[k] for k in blocks})
    assert read_bytes(data, "jpeg") == expected


def test_fields_fill_in_from_lower_blocks():
    """A field XMP leaves out comes from IPTC, one both leave out from EXIF."""
    data = photo(
        xmp=xmp_packet(title="Only a title"),
        iptc=iptc_segment({(2, 110): b"Agency"}),
        exif=exif_block(copyright="EXIF copyright", make="Canon", model="EOS R5"),
    )
    found = read_bytes(data, "jpeg")
    assert (found.title, found.credit, found.copyright, found.camera) == (
        "Only a title",
        "Agency",
        "EXIF copyright",
        "Canon EOS R5",
    )


IPTC_TEXT = [
    ("utf8-declared", "Zürich — Łódź".encode(), True, "Zürich — Łódź"),
    ("utf8-undeclared", "Café Ørsted".encode(), False, "Café Ørsted"),
    ("cp1252", "Ålesund – café".encode("cp1252"), False, "Ålesund – café"),
    ("latin-1", "Señor Müller".encode("latin-1"), False, "Señor Müller"),
    ("bad-utf8-declared", b"caf\xe9", True, "caf\ufffd"),
]


@pytest.mark.parametrize(("raw", "utf8", "expected"), [c[1:] for c in IPTC_TEXT],
                         ids=[c[0] for c in IPTC_TEXT])  # fmt: skip
def test_iptc_text_decodes_right(raw, utf8, expected):
    """IPTC is UTF-8 when 1:90 says so or the bytes are UTF-8, else Windows-1252."""
    data = photo(iptc=iptc_segment({(2, 120): raw, (2, 25): [raw]}, utf8=utf8))
    found = read_bytes(data, "jpeg")
    assert (found.caption, found.keywords) == (expected, (expected,))


def test_language_alternatives_prefer_x_default():
    """dc:title in several languages gives the x-default one."""
    packet = xmp_packet(title="Default").replace(
        b"<rdf:Alt>", b'<rdf:Alt><rdf:li xml:lang="de-DE">Deutsch</rdf:li>'
    )
    assert read_bytes(photo(xmp=packet), "jpeg").title == "Default"


def test_xmp_in_png_and_webp_is_read():
    """XMP in a PNG iTXt chunk and in a WebP XMP chunk reads like JPEG's."""
    packet = xmp_packet(title="In a PNG", credit="PNG credit")
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode())
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG", pnginfo=info)
    assert read_bytes(buffer.getvalue(), "png").title == "In a PNG"
    webp = photo(xmp=xmp_packet(title="In a WebP"), fmt="WEBP")
    assert read_bytes(webp, "webp").title == "In a WebP"


def test_gps_is_never_read():
    """GPS in EXIF and in XMP appears in no field."""
    data = photo(
        xmp=xmp_packet(title="Eiffel", gps=True),
        exif=exif_block(make="Canon", gps=True),
    )
    found = read_bytes(data, "jpeg")
    assert found.title == "Eiffel"
    assert not any(text in repr(found) for text in GPS_TEXTS)
    assert "gps" not in {name.lower() for name in metadata.FIELDS}


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
)
HOSTILE_XMP = [
    ("not-xml", b"<x:xmpmeta <<< not xml"),
    ("entities", xmp_packet(title="&b;", doctype=BILLION_LAUGHS)),
    ("dtd-only", xmp_packet(title="t", doctype='<!DOCTYPE x SYSTEM "file:///etc/passwd">')),
    ("control-character", xmp_packet(title="bell \x07")),
]  # fmt: skip


@pytest.mark.parametrize(
    "packet", [h[1] for h in HOSTILE_XMP], ids=[h[0] for h in HOSTILE_XMP]
)
def test_a_bad_xmp_packet_is_ignored_with_a_log_line(packet, caplog):
    """A malformed or hostile XMP packet is skipped (logged); IPTC still reads."""
    data = photo(xmp=packet, iptc=iptc_segment({(2, 5): b"From IPTC"}))
    with caplog.at_level(logging.INFO, logger="transcoder.imaging.decode.metadata"):
        found = read_bytes(data, "jpeg")
    assert found.title == "From IPTC"
    assert "Ignoring malformed metadata (_from_xmp)" in caplog.text


def test_an_oversized_xmp_packet_is_not_parsed(monkeypatch, caplog):
    """A packet over MAX_XMP_BYTES is skipped before any parsing."""
    monkeypatch.setattr(metadata, "MAX_XMP_BYTES", 500)
    packet = xmp_packet(title="t" * 600)
    with caplog.at_level(logging.INFO, logger="transcoder.imaging.decode.metadata"):
        assert read_bytes(photo(xmp=packet), "jpeg").title == ""
    assert "over the limit" in caplog.text


def test_an_unreadable_file_gives_empty_metadata(caplog):
    """Bytes Pillow cannot open give an empty Metadata and a log line."""
    with caplog.at_level(logging.INFO, logger="transcoder.imaging.decode.metadata"):
        assert read_bytes(b"\xff\xd8\xff garbage", "jpeg") == Metadata()
    assert "unreadable jpeg" in caplog.text


def test_fields_are_bounded_and_cleaned():
    """Long text is cut to its field, keywords are capped, controls are dropped."""
    data = photo(
        iptc=iptc_segment({(2, 5): b"T\x07itle  with\tspaces"}),
        xmp=xmp_packet(
            description="line one\n\n\n\nline two " + "x" * 5000,
            subject=[f"kw{i}" for i in range(200)] + ["y" * 101],
        ),
    )
    found = read_bytes(data, "jpeg")
    assert found.title == "Title with spaces"
    assert found.caption.startswith("line one\n\nline two x")
    assert len(found.caption) == metadata.LIMITS["caption"]
    assert found.keywords == tuple(f"kw{i}" for i in range(metadata.MAX_KEYWORDS))


def test_keywords_are_distinct_ignoring_case():
    """ "Beach" and "beach" are one keyword; the first spelling is kept."""
    data = photo(xmp=xmp_packet(subject=["Beach", "beach", " BEACH ", "sea"]))
    assert read_bytes(data, "jpeg").keywords == ("Beach", "sea")


CAMERA_NOISE = [
    ("placeholder", dict(description="OLYMPUS DIGITAL CAMERA"), "caption", ""),
    ("padded", dict(description="  SONY DSC  "), "caption", ""),
    ("nul-padded", dict(artist="Jo Doe\x00\x00\x00"), "creator", "Jo Doe"),
    ("utf8-bytes", dict(artist="Zoë Ñ".encode()), "creator", "Zoë Ñ"),
    ("make-once", dict(make="Canon", model="Canon EOS R5"), "camera", "Canon EOS R5"),
    ("make-model", dict(make="FUJIFILM", model="X-T4"), "camera", "FUJIFILM X-T4"),
]


@pytest.mark.parametrize(("exif", "field", "expected"), [c[1:] for c in CAMERA_NOISE],
                         ids=[c[0] for c in CAMERA_NOISE])  # fmt: skip
def test_exif_text_is_cleaned(exif, field, expected):
    """Camera placeholders are no caption; NUL padding and doubled makes go."""
    data = photo(exif=exif_block(**exif))
    assert getattr(read_bytes(data, "jpeg"), field) == expected


DATES = [
    ("exif-offset", exif_block(taken="2024:02:29 23:59:59", offset="-05:00"),
     datetime(2024, 3, 1, 4, 59, 59, tzinfo=UTC)),
    ("exif-naive", exif_block(taken="2024:02:29 23:59:59"),
     datetime(2024, 2, 29, 23, 59, 59)),
    ("exif-zero", exif_block(taken="0000:00:00 00:00:00"), None),
    ("exif-garbage", exif_block(taken="yesterday"), None),
    ("exif-before-photography", exif_block(taken="1700:01:01 00:00:00"), None),
    ("exif-bad-offset", exif_block(taken="2024:01:01 00:00:00", offset="+99:00"),
     datetime(2024, 1, 1)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("exif", "expected"), [d[1:] for d in DATES], ids=[d[0] for d in DATES]
)
def test_capture_dates(exif, expected):
    """A capture date is real or None; a valid offset makes it aware."""
    assert read_bytes(photo(exif=exif), "jpeg").captured_at == expected
