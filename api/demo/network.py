"""``tuangou demo --network two-tier``: the day through a central warehouse
and its grid warehouses. The region, the evening and the night are the
single-tier demo's (sorting's one job also sorts stage one, per grid); this
adds the network to the region and runs the morning in two tiers: the
central's own plan and the trunk, the grids' last-mile plans, the grid
operators' handovers, the grids' deliveries. The central's own deliveries,
pickups, after-sale and settlement then run as in one tier, over every
point."""

from __future__ import annotations

import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.demo.context import Day
from api.demo.network_handover import Handovers, deliver_last_mile, sign_handovers
from api.demo.network_region import TIER_SCALES, GridNetwork, build_network
from api.demo.network_routes import TierPlans, plan_two_tiers
from api.demo.network_summary import TierFigures, collect_tiers
from api.demo.region import Region
from api.demo.sizes import SCALES, Network, Scale, Size
from api.demo.steps import Steps
from fulfilment.routing.models import RoutePlan
from kernel.settings import Settings


def demo_scale(size: Size, tiers: Network) -> Scale:
    """The region's size: a two-tier region has more points (600+ at medium)."""
    return TIER_SCALES[size].scale if tiers is Network.TWO_TIER else SCALES[size]


@dataclass
class TwoTiers:
    """The network of a two-tier demo, and its morning once run."""

    network: GridNetwork
    plans: TierPlans | None = None
    handovers: Handovers | None = None

    @classmethod
    async def build(
        cls,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        region: Region,
        size: Size,
        rng: random.Random,
        steps: Steps,
    ) -> TwoTiers:
        """The grids, operators and fleets added to a built region."""
        return cls(await build_network(sessions, settings, region, TIER_SCALES[size], rng, steps))

    async def morning(self, day: Day, time_limit_s: int) -> RoutePlan:
        """Plans in both tiers published, the grids' handovers signed and their
        vans delivered; the central's own plan, which the day goes on with."""
        self.plans = await plan_two_tiers(day, self.network, time_limit_s)
        self.handovers = await sign_handovers(day, self.network, self.plans)
        await deliver_last_mile(day, self.plans)
        return self.plans.own

    async def figures(self, session: AsyncSession, zone: ZoneInfo) -> TierFigures:
        """The summary's two-tier figures, once the morning has run."""
        assert self.plans is not None and self.handovers is not None
        return await collect_tiers(session, self.network, self.plans, self.handovers, zone)
