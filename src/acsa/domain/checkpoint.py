"""Signed checkpoints of the audit chain's head, kept outside the database.

A checkpoint states how long the chain was (its head record and that record's hash) at a
moment, signed by this installation's key. Anyone who rewrites the database can recompute every
hash of the chain, or cut its tail, and the chain still checks; a checkpoint kept elsewhere (a
file, the partner nation's node) does not move with it: fewer records than it counted is a cut
tail, another hash at its head record is a rewritten chain.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from acsa.domain.audit import GENESIS, canonical
from acsa.domain.errors import AcsaError, Code
from acsa.domain.messages import Message, t

FORMAT = "acsa-audit-checkpoint"
VERSION = 1
#: The largest checkpoint file read (a checkpoint is a few hundred bytes).
CHECKPOINT_BYTES_MAX = 16_384


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The audit chain's head at a moment, as signed.

    Attributes:
        seq: the head record's position (0: the chain was empty).
        hash: the head record's hash (GENESIS for an empty chain).
        count: how many records the chain held.
        at: when the checkpoint was taken (UTC).
        database: which database's chain (a digest of where it is, not the place itself).
        signer: ``node:JPN`` (a national node's key) or ``installation``.
        key: the signer's public key (``ed25519:...``).
        signature: base64 Ed25519 signature of :meth:`signed_bytes`; empty before signing.
    """

    seq: int
    hash: str
    count: int
    at: datetime
    database: str
    signer: str
    key: str
    signature: str = ""

    def signed_bytes(self) -> bytes:
        body = self.as_dict()
        body.pop("signature")
        return canonical(body)

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["at"] = self.at.isoformat()
        return {"format": FORMAT, "version": VERSION, **body}

    def text(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True, indent=2) + "\n"

    def signed(self, signature: str) -> Checkpoint:
        return replace(self, signature=signature)


def _invalid(at: str, why: str, **params: object) -> AcsaError:
    """CHECKPOINT_INVALID naming the field ``at``: ``why`` (marked ``t``) with ``params``."""
    return AcsaError.single(
        Code.CHECKPOINT_INVALID, at, "not an audit checkpoint: {why}", why=Message(why, params)
    )


def parse_checkpoint(text: str | bytes) -> Checkpoint:
    """A checkpoint from its JSON text, or CHECKPOINT_INVALID naming the field at fault."""
    data = _checkpoint_object(text)
    fields: dict[str, Any] = {**_numbers(data), **_texts(data)}
    return Checkpoint(at=_moment(data), **fields)


def _checkpoint_object(text: str | bytes) -> Mapping[str, Any]:
    """The JSON object of ``text``, of this format and version."""
    if len(text) > CHECKPOINT_BYTES_MAX:
        raise _invalid("checkpoint", t("larger than {most} bytes"), most=CHECKPOINT_BYTES_MAX)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise _invalid("checkpoint", t("not JSON")) from None
    if not isinstance(data, Mapping):
        raise _invalid("checkpoint", t("not a JSON object"))
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise _invalid(
            "format",
            t("format must be {format} version {version}"),
            format=repr(FORMAT),
            version=VERSION,
        )
    return data


def _numbers(data: Mapping[str, Any]) -> dict[str, int]:
    """``seq`` and ``count``: whole numbers from 0."""
    fields: dict[str, int] = {}
    for name in ("seq", "count"):
        value = data.get(name)
        if type(value) is not int or not 0 <= value <= 2**62:
            raise _invalid(name, t("{field} must be a whole number from 0"), field=name)
        fields[name] = value
    return fields


def _texts(data: Mapping[str, Any]) -> dict[str, str]:
    """``hash``, ``database``, ``signer``, ``key`` and ``signature``: short printable text;
    the hash 64 lowercase hex digits."""
    fields: dict[str, str] = {}
    for name in ("hash", "database", "signer", "key", "signature"):
        value = data.get(name)
        if not isinstance(value, str) or not value.isprintable() or len(value) > 200:
            raise _invalid(
                name,
                t("{field} must be printable text of at most {most} characters"),
                field=name,
                most=200,
            )
        fields[name] = value
    if len(fields["hash"]) != len(GENESIS) or any(
        c not in "0123456789abcdef" for c in fields["hash"]
    ):
        raise _invalid("hash", t("hash must be 64 lowercase hex digits"))
    return fields


def _moment(data: Mapping[str, Any]) -> datetime:
    """``at``: an ISO 8601 moment with its UTC offset."""
    try:
        at = datetime.fromisoformat(str(data.get("at")))
    except ValueError:
        raise _invalid("at", t("at must be an ISO 8601 moment")) from None
    if at.tzinfo is None:
        raise _invalid("at", t("at must carry its UTC offset"))
    return at


def head_problems(checkpoint: Checkpoint, count: int, hash_at_seq: str | None) -> list[str]:
    """What the chain as stored (``count`` records; ``hash_at_seq``, the hash of its record at
    the checkpoint's ``seq``, None if there is none) contradicts in ``checkpoint``."""
    problems: list[str] = []
    taken = checkpoint.at.isoformat(timespec="seconds")
    if count < checkpoint.count:
        problems.append(
            f"the chain holds {count} records but the checkpoint of {taken} counted "
            f"{checkpoint.count}: its last {checkpoint.count - count} were cut off"
        )
    if checkpoint.seq > 0 and hash_at_seq is not None and hash_at_seq != checkpoint.hash:
        problems.append(
            f"record {checkpoint.seq} no longer has the hash the checkpoint of {taken} "
            "signed: the chain was rewritten"
        )
    if checkpoint.seq == 0 and count == 0 and checkpoint.hash != GENESIS:
        problems.append("the checkpoint names an empty chain with another hash")
    return problems
