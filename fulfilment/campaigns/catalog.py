"""Suppliers, their user accounts, and products."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.costs import EARLIEST
from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import (
    Product,
    ProductCost,
    StorageZone,
    Supplier,
    SupplierMember,
)
from kernel.accounts import Role, User, create_user
from kernel.db import keyset_page
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.validation import clean_phone, clean_text


async def create_supplier(
    session: AsyncSession, *, name: str, contact_name: str, contact_phone: str
) -> Supplier:
    """Register a supplier; names are unique."""
    name = clean_text(name, ["name"], max_len=100)
    taken = await session.execute(select(Supplier.id).where(Supplier.name == name))
    if taken.first() is not None:
        raise DomainError(
            CampaignErrorCode.DUPLICATE_NAME, f"A supplier named {name!r} exists.", ["name"]
        )
    supplier = Supplier(
        name=name,
        contact_name=clean_text(contact_name, ["contactName"], max_len=100),
        contact_phone=clean_phone(contact_phone, ["contactPhone"]),
    )
    session.add(supplier)
    await session.flush()
    return supplier


async def create_supplier_user(
    session: AsyncSession, *, supplier_id: int, name: str, secret: str, phone: str | None = None
) -> tuple[User, str]:
    """A user account acting for the supplier, and its first token (shown once)."""
    if await session.get(Supplier, supplier_id) is None:
        raise NotFound("Supplier", ["supplierId"])
    user, token = await create_user(
        session, name=name, role=Role.SUPPLIER, secret=secret, phone=phone
    )
    session.add(SupplierMember(user_id=user.id, supplier_id=supplier_id))
    await session.flush()
    return user, token


async def supplier_of_user(session: AsyncSession, user_id: int) -> int | None:
    """The supplier a supplier account acts for."""
    return (
        await session.execute(
            select(SupplierMember.supplier_id).where(SupplierMember.user_id == user_id)
        )
    ).scalar_one_or_none()


@dataclass(frozen=True)
class ProductDraft:
    supplier_id: int
    name: str
    category: str
    unit: str
    weight_g: int
    volume_ml: int
    case_pack: int
    cost_fen: int
    storage_zone: StorageZone


def _non_negative(value: int, field: str) -> int:
    if value < 0:
        raise DomainError(CommonErrorCode.INVALID, "Must not be negative.", [field])
    return value


async def create_product(session: AsyncSession, draft: ProductDraft) -> Product:
    """Add a product to a supplier's catalogue."""
    if await session.get(Supplier, draft.supplier_id) is None:
        raise NotFound("Supplier", ["supplierId"])
    if draft.case_pack < 1:
        raise DomainError(CommonErrorCode.INVALID, "A case holds at least 1 unit.", ["casePack"])
    product = Product(
        supplier_id=draft.supplier_id,
        name=clean_text(draft.name, ["name"], max_len=100),
        category=clean_text(draft.category, ["category"], max_len=50),
        unit=clean_text(draft.unit, ["unit"], max_len=30),
        weight_g=_non_negative(draft.weight_g, "weightG"),
        volume_ml=_non_negative(draft.volume_ml, "volumeMl"),
        case_pack=draft.case_pack,
        cost_fen=_non_negative(draft.cost_fen, "costFen"),
        storage_zone=draft.storage_zone,
    )
    session.add(product)
    await session.flush()
    # Its cost schedule starts with the cost it was created with (costs.py).
    session.add(
        ProductCost(product_id=product.id, effective_from=EARLIEST, cost_fen=product.cost_fen)
    )
    await session.flush()
    return product


async def list_suppliers(
    session: AsyncSession, *, after_id: int | None, limit: int
) -> Sequence[Supplier]:
    stmt = keyset_page(select(Supplier), Supplier.id, after_id, limit)
    return (await session.execute(stmt)).scalars().all()


async def list_products(
    session: AsyncSession, *, supplier_id: int | None, after_id: int | None, limit: int
) -> Sequence[Product]:
    stmt = select(Product)
    if supplier_id is not None:
        stmt = stmt.where(Product.supplier_id == supplier_id)
    stmt = keyset_page(stmt, Product.id, after_id, limit)
    return (await session.execute(stmt)).scalars().all()


async def set_webhook(session: AsyncSession, supplier_id: int, url: str) -> tuple[Supplier, str]:
    """Point a supplier's purchase order notifications at ``url`` with a new
    signing secret (returned once, for the supplier's receiver)."""
    supplier = await session.get(Supplier, supplier_id)
    if supplier is None:
        raise NotFound("Supplier", ["supplierId"])
    parsed = urlsplit(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        raise DomainError(CommonErrorCode.INVALID, "Give an http(s) URL.", ["url"])
    supplier.webhook_url = url.strip()
    supplier.webhook_secret = "whsec_" + secrets.token_urlsafe(32)
    await session.flush()
    return supplier, supplier.webhook_secret


async def products_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, Product]:
    """The products of ``ids``, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    found = await session.execute(select(Product).where(Product.id.in_(wanted)))
    return {p.id: p for p in found.scalars()}
