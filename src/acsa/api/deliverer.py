"""The server's outbox deliverer: a thread that sends queued documents to partner nodes, woken
when a commit queues one (or a document is resent) and otherwise every few seconds (retries
wait out their backoff; see ``deliver_pending`` for what is refused and what is set aside)."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

from acsa.adapters.db import unit_of_work
from acsa.adapters.transport import http_sender
from acsa.services.courier import deliver_pending

log = logging.getLogger("acsa.exchange")

#: Longest sleep between two passes when nothing wakes the deliverer (seconds).
IDLE = 2.0


class Deliverer:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="acsa-outbox", daemon=True)
        self._send = http_sender()

    def start(self) -> None:
        unit_of_work.on_documents_queued.append(self._wake.set)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._wake.set in unit_of_work.on_documents_queued:
            unit_of_work.on_documents_queued.remove(self._wake.set)
        self._thread.join(timeout=15)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                result = deliver_pending(self.engine, self._send)
                if result.delivered or result.refused or result.set_aside:
                    log.info(
                        "outbox: %d delivered, %d refused, %d set aside",
                        result.delivered,
                        result.refused,
                        result.set_aside,
                    )
            except Exception:  # keep delivering whatever one pass met
                log.exception("outbox pass failed")
            self._wake.wait(IDLE)
