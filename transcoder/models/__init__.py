"""mediahub's models, one module per concern; import them from here."""

from transcoder.models.assets import Asset, DeletedAsset
from transcoder.models.bulk import BulkJob
from transcoder.models.jobs import RebuildJob
from transcoder.models.keys import ApiRateWindow, ApiToken, SiteKey
from transcoder.models.presets import Fit, Preset, Rendition, RenditionStatus
from transcoder.models.tags import TaggedAsset

__all__ = [
    "ApiRateWindow",
    "ApiToken",
    "Asset",
    "BulkJob",
    "DeletedAsset",
    "Fit",
    "Preset",
    "RebuildJob",
    "Rendition",
    "RenditionStatus",
    "SiteKey",
    "TaggedAsset",
]
