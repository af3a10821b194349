"""How the sandbox answers, as WeChat Pay v3 does: every answer signed with
the platform key (payments, refunds and transfers alike)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from starlette.responses import Response

from api.sandbox.state import SandboxState
from kernel.wechatpay import crypto


def signed(state: SandboxState, status: int, data: Any = None) -> Response:
    """An answer signed with the platform key, as every v3 answer is."""
    body = b"" if data is None else json.dumps(data, ensure_ascii=False).encode()
    headers = crypto.signed_headers(
        state.keys.platform_key, state.keys.platform_serial, body, int(time.time())
    )
    headers["Request-ID"] = secrets.token_hex(16)
    media = "application/json" if body else None
    return Response(body, status_code=status, headers=headers, media_type=media)
