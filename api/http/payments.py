"""The payment provider's callback, ``POST /payments/wechat/notify``; the
protocol itself is ``api/payments.py``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.payments import process_notification


async def wechat_notify(request: Request) -> Response:
    app_state: Any = request.app.state
    answer = await process_notification(
        app_state.settings, app_state.sessions, await request.body(), request.headers
    )
    return JSONResponse({"code": answer.code, "message": answer.message}, answer.status)
