"""Route sheets built in memory, as long as a test needs them: the printing
tests need no database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from fulfilment.campaigns.models import StorageZone
from fulfilment.routing.documents.sheets import PickItem, RouteSheet, SheetStop, ZonePick

START = datetime(2026, 11, 23, 22, tzinfo=UTC)


def long_sheet(
    stops: int = 20,
    items: Callable[[int], int] = lambda n: 12,
    zones: tuple[StorageZone, ...] = (StorageZone.AMBIENT, StorageZone.CHILLED),
) -> RouteSheet:
    """A route of ``stops`` stops with long names and addresses (they wrap),
    each with ``items(position)`` products in each of ``zones``."""
    return RouteSheet(
        1,
        1,
        date(2026, 11, 24),
        "中心仓",
        "Truck 1号",
        START,
        START + timedelta(hours=6),
        42_000,
        99_000,
        24,
        [
            SheetStop(
                position=n,
                name="桃子湖社区团购自提点" * (n % 3 + 1),
                address="长沙市岳麓区麓山南路" * 2,
                leader="王小明",
                phone="13800138000",
                window_start=time(7),
                window_end=time(11),
                arrival=START + timedelta(minutes=20 * n),
                totes=3,
                weight_g=12_500,
                zones=[
                    ZonePick(
                        zone,
                        2,
                        [
                            PickItem("特级赣南脐橙" * (i % 4 + 1), "5kg/箱", i + 1)
                            for i in range(items(n))
                        ],
                    )
                    for zone in zones
                ],
            )
            for n in range(1, stops + 1)
        ],
    )
