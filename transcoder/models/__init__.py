"""mediahub's models, one module per concern; import them from here."""

from transcoder.models.assets import (
    Asset,
    DeletedAsset,
    RenditionState,
    TrashedAsset,
)
from transcoder.models.collections import (
    Collection,
    GroupCollectionPermission,
    collection_at,
    root_collection,
)
from transcoder.models.jobs import Job
from transcoder.models.keys import ApiRateWindow, ApiToken, SiteKey
from transcoder.models.presets import Fit, Preset, Rendition, RenditionStatus
from transcoder.models.tags import TaggedAsset
from transcoder.models.totals import CollectionTotals, TagTotals
from transcoder.models.uploads import ScheduledCursor, UploadRefusal
from transcoder.models.usage import UsageDay
from transcoder.models.versions import AssetHashBand, AssetVersion
from transcoder.models.widget import UploadWidgetKey, WidgetUpload, WidgetUploadState

__all__ = [
    "ApiRateWindow",
    "ApiToken",
    "Asset",
    "AssetHashBand",
    "AssetVersion",
    "Collection",
    "CollectionTotals",
    "DeletedAsset",
    "Fit",
    "GroupCollectionPermission",
    "Job",
    "Preset",
    "Rendition",
    "RenditionState",
    "RenditionStatus",
    "ScheduledCursor",
    "SiteKey",
    "UploadRefusal",
    "UploadWidgetKey",
    "WidgetUpload",
    "WidgetUploadState",
    "UsageDay",
    "collection_at",
    "root_collection",
    "TaggedAsset",
    "TagTotals",
    "TrashedAsset",
]
