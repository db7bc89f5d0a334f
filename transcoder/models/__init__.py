"""mediahub's models, one module per concern; import them from here."""

from transcoder.models.assets import (
    Asset,
    DeletedAsset,
    RenditionState,
    TrashedAsset,
)
from transcoder.models.changes import (
    Change,
    DeliveryStatus,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)
from transcoder.models.collections import (
    Collection,
    GroupCollectionPermission,
    collection_at,
    root_collection,
)
from transcoder.models.jobs import Job
from transcoder.models.keys import ApiToken, PublishableKey, RateWindow, SiteKey
from transcoder.models.presets import Fit, Preset, Rendition, RenditionStatus
from transcoder.models.tags import TaggedAsset
from transcoder.models.totals import CollectionTotals, TagTotals
from transcoder.models.uploads import ScheduledCursor, UploadRefusal
from transcoder.models.usage import UsageDay
from transcoder.models.versions import AssetHashBand, AssetLookalike, AssetVersion
from transcoder.models.widget import UploadWidgetKey, WidgetUpload, WidgetUploadState

__all__ = [
    "ApiToken",
    "Asset",
    "AssetHashBand",
    "AssetLookalike",
    "AssetVersion",
    "Change",
    "Collection",
    "DeliveryStatus",
    "Event",
    "CollectionTotals",
    "DeletedAsset",
    "Fit",
    "GroupCollectionPermission",
    "Job",
    "Preset",
    "PublishableKey",
    "RateWindow",
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
    "WebhookDelivery",
    "WebhookEndpoint",
    "collection_at",
    "root_collection",
    "TaggedAsset",
    "TagTotals",
    "TrashedAsset",
]
