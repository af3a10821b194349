"""Editing products and warehouses (productUpdate, warehouseUpdate).

Every edit names the version it was made from (kernel/versioning.py): one
made from a version another edit has replaced is refused with STALE, and an
accepted one bumps the version and is kept in ``setup_changes``. Only the
fields given change; a broken rule refuses the whole edit.

A product's cost is not edited here: it changes from a date on
(fulfilment/purchasing/costs.py). Purchase orders already made keep the
case pack and cost on their lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Product, StorageZone, Warehouse
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.geo import LatLon
from kernel.validation import clean_text
from kernel.versioning import apply_versioned, check_version, snapshot

MAX_IMAGES = 10
MAX_URL = 500


@dataclass(frozen=True)
class ProductChanges:
    """The fields of a product to change; None leaves one as it is."""

    name: str | None = None
    category: str | None = None
    unit: str | None = None
    weight_g: int | None = None
    volume_ml: int | None = None
    case_pack: int | None = None
    storage_zone: StorageZone | None = None
    image_urls: Sequence[str] | None = None


PRODUCT_FIELDS = tuple(f.name for f in fields(ProductChanges))

# (field, API path, lowest, highest) of the whole-number fields.
_BOUNDS = (
    ("weight_g", "weightG", 0, 1_000_000),
    ("volume_ml", "volumeMl", 0, 10_000_000),
    ("case_pack", "casePack", 1, 10_000),
)

_TEXTS = (("name", "name", 100), ("category", "category", 50), ("unit", "unit", 30))


def clean_image_urls(urls: Sequence[str], field: str = "imageUrls") -> list[str]:
    """At most ten http(s) URLs, each with a host and without spaces; errors
    name ``field`` (and the URL's place in it)."""
    if len(urls) > MAX_IMAGES:
        raise DomainError(CommonErrorCode.INVALID, f"At most {MAX_IMAGES} images.", [field])
    cleaned = []
    for index, raw in enumerate(urls):
        url = raw.strip()
        parts = urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or len(url) > MAX_URL
            or any(c.isspace() for c in url)
        ):
            raise DomainError(
                CommonErrorCode.INVALID,
                f"Give an http(s) URL of at most {MAX_URL} characters.",
                [field, str(index)],
            )
        cleaned.append(url)
    return cleaned


def _checked(changes: ProductChanges) -> dict[str, object]:
    out: dict[str, object] = {}
    for attr, path, max_len in _TEXTS:
        value = getattr(changes, attr)
        if value is not None:
            out[attr] = clean_text(value, [path], max_len=max_len)
    for attr, path, low, high in _BOUNDS:
        value = getattr(changes, attr)
        if value is not None:
            if not low <= value <= high:
                raise DomainError(
                    CommonErrorCode.INVALID, f"Must be between {low} and {high}.", [path]
                )
            out[attr] = value
    if changes.storage_zone is not None:
        out["storage_zone"] = changes.storage_zone
    if changes.image_urls is not None:
        out["image_urls"] = clean_image_urls(changes.image_urls)
    return out


async def update_product(
    session: AsyncSession,
    product_id: int,
    changes: ProductChanges,
    *,
    expected_version: int,
    actor_id: int,
    now: datetime,
) -> Product:
    """Change some of a product's fields, made from ``expected_version``."""
    checked = _checked(changes)
    product = await session.get(Product, product_id, with_for_update=True)
    if product is None:
        raise NotFound("Product", ["id"])
    check_version(product.version, expected_version, "product")
    before = snapshot(product, PRODUCT_FIELDS)
    for attr, value in checked.items():
        setattr(product, attr, value)
    await apply_versioned(
        session,
        product,
        entity_type="Product",
        names=PRODUCT_FIELDS,
        before=before,
        actor_id=actor_id,
        now=now,
    )
    await session.flush()
    return product


WAREHOUSE_FIELDS = ("name", "address", "lat", "lon")


async def update_warehouse(
    session: AsyncSession,
    warehouse_id: int,
    *,
    name: str | None,
    address: str | None,
    location: LatLon | None,
    expected_version: int,
    actor_id: int,
    now: datetime,
) -> Warehouse:
    """Rename or move a warehouse (``location`` already WGS-84: converted or
    geocoded by the caller). Names stay unique. Route plans already made keep
    the depot they were planned from."""
    warehouse = await session.get(Warehouse, warehouse_id, with_for_update=True)
    if warehouse is None:
        raise NotFound("Warehouse", ["id"])
    check_version(warehouse.version, expected_version, "warehouse")
    before = snapshot(warehouse, WAREHOUSE_FIELDS)
    if name is not None:
        name = clean_text(name, ["name"], max_len=100)
        taken = await session.execute(
            select(Warehouse.id).where(Warehouse.name == name, Warehouse.id != warehouse.id)
        )
        if taken.first() is not None:
            raise DomainError(
                CampaignErrorCode.DUPLICATE_NAME,
                f"A warehouse named {name!r} exists already.",
                ["name"],
            )
        warehouse.name = name
    if address is not None:
        warehouse.address = clean_text(address, ["address"], max_len=300)
    if location is not None:
        warehouse.lat, warehouse.lon = location.lat, location.lon
    await apply_versioned(
        session,
        warehouse,
        entity_type="Warehouse",
        names=WAREHOUSE_FIELDS,
        before=before,
        actor_id=actor_id,
        now=now,
    )
    await session.flush()
    return warehouse
