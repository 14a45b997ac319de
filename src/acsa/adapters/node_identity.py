"""Which nation this installation is a node of, and its private key (read once per process)."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path

from acsa.adapters.db.courier_repository import (
    NODE_KEY_FILE,
    NODE_NATION,
    NODE_PUBLIC_KEY,
    NodeRecord,
)
from acsa.adapters.db.repository import SettingsRepository
from acsa.adapters.signing import NodeKey, fingerprint
from acsa.domain.errors import AcsaError, Code
from acsa.services.ports import NodeIdentity

#: Overrides the key file the database names (a team's servers may keep it elsewhere).
ENV_NODE_KEY = "ACSA_NODE_KEY"

_keys: dict[Path, NodeKey] = {}
#: A public key's fingerprint (every unit of work reads the node; the key seldom changes).
_fingerprint = functools.lru_cache(maxsize=64)(fingerprint)
_lock = threading.Lock()


def node_record(settings: SettingsRepository) -> NodeRecord | None:
    """This node as the database records it, or None when ``acsa node init`` has not run."""
    found = settings.get_many((NODE_NATION, NODE_PUBLIC_KEY, NODE_KEY_FILE))
    nation = found.get(NODE_NATION)
    public = found.get(NODE_PUBLIC_KEY)
    key_file = found.get(NODE_KEY_FILE)
    if not nation or not public or not key_file:
        return None
    override = os.environ.get(ENV_NODE_KEY)
    return NodeRecord(nation, public, _fingerprint(public), Path(override or key_file))


def node_key(record: NodeIdentity) -> NodeKey:
    """The node's private key, loaded from its file once per process."""
    with _lock:
        key = _keys.get(record.key_file)
        if key is None:
            key = NodeKey.load(record.key_file)
            if key.public_text != record.public_key:
                raise AcsaError.single(
                    Code.INVALID_KEY,
                    "key_file",
                    "{path} holds another key than the node's (fingerprint {fingerprint}, the "
                    "node's is {expected})",
                    path=str(record.key_file),
                    fingerprint=key.fingerprint,
                    expected=record.fingerprint,
                )

            _keys[record.key_file] = key
        return key
