"""The event loop the command line runs on."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on uvloop, the loop uvicorn serves the API
    on, where it is installed; on asyncio's own loop otherwise. For the
    demo's load, whose requests and the sandbox's answers spent a fifth of
    its samples in asyncio's selector loop."""
    try:
        import uvloop
    except ImportError:  # not on every platform: uvicorn[standard] skips it on Windows
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
