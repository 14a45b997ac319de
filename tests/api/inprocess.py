"""The API served in this process by uvicorn on 127.0.0.1, for tests that reach into its engine
(fault injection with SQLAlchemy events) while talking to it over real HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from sqlalchemy import Engine

from acsa.api.app import create_app
from tests.api.server import free_port


@contextmanager
def served(engine: Engine, timeout_s: float = 20.0) -> Iterator[str]:
    """``create_app(engine)`` on a free port in a background thread; yields its base URL and
    stops it (``should_exit``) on the way out."""
    config = uvicorn.Config(
        app=create_app(engine), host="127.0.0.1", port=free_port(), log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-in-process", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout_s)
