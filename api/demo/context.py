"""What every step of the demo's day works with."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.demo.region import Region
from api.demo.steps import Steps
from api.demo.timeline import Timeline
from kernel.settings import Settings


@dataclass(frozen=True)
class Day:
    sessions: async_sessionmaker[AsyncSession]
    settings: Settings
    region: Region
    timeline: Timeline
    rng: random.Random  # seeded: the same seed, the same day
    steps: Steps
