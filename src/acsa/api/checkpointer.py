"""The server's audit checkpointer: a thread that signs the audit chain's head every
ACSA_CHECKPOINT_INTERVAL seconds (default 3600) when it moved, keeps it in the checkpoint
directory and, on a node, sends it to every partner node (which keeps the latest it received)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping

from sqlalchemy import Engine

from acsa.domain.errors import AcsaError, Code
from acsa.domain.limits import (
    CHECKPOINT_INTERVAL_S_DEFAULT,
    CHECKPOINT_INTERVAL_S_MAX,
    CHECKPOINT_INTERVAL_S_MIN,
)
from acsa.services.audit import checkpoint_if_moved

log = logging.getLogger("acsa.audit")

ENV_CHECKPOINT_INTERVAL = "ACSA_CHECKPOINT_INTERVAL"


def checkpoint_interval_s(environ: Mapping[str, str] | None = None) -> float:
    """ACSA_CHECKPOINT_INTERVAL in seconds (0: no periodic checkpoints), or INVALID_INPUT
    naming it and its bounds."""
    env = os.environ if environ is None else environ
    given = env.get(ENV_CHECKPOINT_INTERVAL, "").strip()
    if not given:
        return float(CHECKPOINT_INTERVAL_S_DEFAULT)
    value = int(given[:12]) if given.isascii() and given.isdigit() else -1
    if value != 0 and not CHECKPOINT_INTERVAL_S_MIN <= value <= CHECKPOINT_INTERVAL_S_MAX:
        raise AcsaError.single(
            Code.INVALID_INPUT,
            ENV_CHECKPOINT_INTERVAL,
            "{name} must be whole seconds from {low} to {high}, or 0 for none",
            name=ENV_CHECKPOINT_INTERVAL,
            low=CHECKPOINT_INTERVAL_S_MIN,
            high=CHECKPOINT_INTERVAL_S_MAX,
        )
    return float(value)


class Checkpointer:
    def __init__(self, engine: Engine, interval_s: float | None = None) -> None:
        self.engine = engine
        self.interval_s = checkpoint_interval_s() if interval_s is None else interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="acsa-checkpoint", daemon=True)

    def start(self) -> None:
        if self.interval_s > 0:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)

    def _run(self) -> None:
        # The first pass at once: a server that starts anchors the chain as it finds it.
        while not self._stop.is_set():
            try:
                taken = checkpoint_if_moved(self.engine)
                if taken is not None:
                    log.info("audit checkpoint of record %d: %s", taken.seq, taken.file)
            except Exception:  # keep checkpointing whatever one pass met
                log.exception("audit checkpoint failed")
            self._stop.wait(self.interval_s)
