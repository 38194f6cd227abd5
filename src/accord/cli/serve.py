"""`accord serve`: the web pages, the public register and the JSON API on one port."""

from __future__ import annotations

import typer

from accord.cli._context import console, settings


def serve_command(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Send cookies over HTTPS only (behind a TLS proxy)."
    ),
) -> None:
    """Serve the workspace: sign in, agreements, approvals, and the public register."""
    import uvicorn

    from accord.server.app import create_app

    ws = settings(ctx).workspace()
    app = create_app(ws, secure_cookies=secure_cookies)
    console().print(f"accord is serving {ws.root} at http://{host}:{port}/ (Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="info")
