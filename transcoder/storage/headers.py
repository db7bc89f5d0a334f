"""Headers every delivered rendition carries, wherever it is served from."""

from transcoder.imaging.specs import FORMATS

IMMUTABLE = "public, max-age=31536000, immutable"
MIME_BY_EXT = {f.ext: f.mime for f in FORMATS.values()}
# Served bytes are images only: nothing in them may run or be framed elsewhere.
SERVED_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
