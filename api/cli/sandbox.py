"""``tuangou payments sandbox``: a local WeChat Pay API v3 server for
development (api/sandbox/wechatpay.py, docs/wechatpay.md). It makes fresh
keys at every start and writes the PEM files and the settings that point
the platform at it, so nothing needs a real merchant account."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.app import out, payments_app


@payments_app.command("sandbox")
def payments_sandbox(
    host: str = typer.Option("127.0.0.1", help="The address to listen on."),
    port: int = typer.Option(8090, help="The port to listen on."),
    keys_dir: Path = typer.Option(
        Path("./wechatpay-sandbox"), help="Where to write the PEM files and sandbox.env."
    ),
    mchid: str = typer.Option("1900000109", help="The merchant number it serves."),
    appid: str = typer.Option("wxd678efh567hg6787", help="The app id it accepts."),
) -> None:
    """Run a local WeChat Pay v3 sandbox: signed answers, encrypted
    notifications, POST /sandbox/pay/{out_trade_no} to pay, POST
    /sandbox/faults to misbehave."""
    import uvicorn

    from api.sandbox.state import SandboxKeys, SandboxState
    from api.sandbox.wechatpay import create_app

    keys = SandboxKeys.generate(mchid=mchid, appid=appid)
    env = keys.write(keys_dir, base_url=f"http://{host}:{port}")
    out.print(f"WeChat Pay sandbox keys in {keys_dir.resolve()} (sandbox.env):")
    for name, value in env.items():
        out.print(f"{name}={value}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"Pay an order: curl -X POST http://{host}:{port}/sandbox/pay/<out_trade_no>")
    uvicorn.run(create_app(SandboxState(keys)), host=host, port=port, log_level="warning")
