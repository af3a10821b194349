"""Running a hypothesis example on a database of its own: a copy of the
migrated SQLite template, so examples never see each other's rows."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from kernel.db import create_engine, create_sessionmaker
from tests.conftest import TestDB
from tests.conftest import test_settings as settings_for


def on_sqlite_copy(
    template: Path, tmp_path_factory: Any, check: Callable[[TestDB], Awaitable[None]]
) -> None:
    """Run ``check`` on a fresh copy of ``template``, to the end."""
    path = tmp_path_factory.mktemp("example") / f"{uuid.uuid4().hex}.db"
    shutil.copy(template, path)
    url = f"sqlite+aiosqlite:///{path}"

    async def run() -> None:
        engine = create_engine(url)
        try:
            await check(
                TestDB("sqlite", url, settings_for(url), engine, create_sessionmaker(engine))
            )
        finally:
            await engine.dispose()

    asyncio.run(run())
