"""mediahub's models, one module per concern; import them from here."""

from transcoder.models.assets import Asset, DeletedAsset, RenditionState
from transcoder.models.jobs import RebuildJob
from transcoder.models.keys import ApiRateWindow, ApiToken, SiteKey
from transcoder.models.presets import Fit, Preset, Rendition, RenditionStatus

__all__ = [
    "ApiRateWindow",
    "ApiToken",
    "Asset",
    "DeletedAsset",
    "Fit",
    "Preset",
    "RebuildJob",
    "Rendition",
    "RenditionState",
    "RenditionStatus",
    "SiteKey",
]
