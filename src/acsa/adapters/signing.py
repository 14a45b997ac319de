"""Ed25519 keys of a national node: make, store (owner-only), load, sign and verify.

A public key travels as text: ``ed25519:`` and the 32 raw key bytes in base64. Its fingerprint,
for reading aloud over the telephone, is the SHA-256 of those bytes, the first 16 bytes as hex
in groups of four (``3f2a:91c0:...``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from acsa.config import PRIVATE_FILE_MODE, private_directory
from acsa.domain.errors import AcsaError, Code

PREFIX = "ed25519:"


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_text(public: Ed25519PublicKey) -> str:
    return PREFIX + base64.b64encode(_raw(public)).decode()


def parse_public(text: str, field: str = "key") -> Ed25519PublicKey:
    """A public key from its text form, or INVALID_KEY naming ``field``."""
    body = text.strip()
    if body.startswith(PREFIX):
        body = body[len(PREFIX) :]
    try:
        raw = base64.b64decode(body, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError):
        raise AcsaError.single(
            Code.INVALID_KEY,
            field,
            "not an Ed25519 public key: give '{prefix}' and 32 bytes in base64 "
            "(as `acsa node show` prints it)",
            prefix=PREFIX,
        ) from None


def fingerprint(public: Ed25519PublicKey | str) -> str:
    key = parse_public(public) if isinstance(public, str) else public
    hexed = hashlib.sha256(_raw(key)).hexdigest()[:32]
    return ":".join(hexed[i : i + 4] for i in range(0, 32, 4))


def verify(public: Ed25519PublicKey, data: bytes, signature: str) -> bool:
    try:
        public.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


class NodeKey:
    """The node's private key; it never leaves this process except into its owner-only file."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()

    @classmethod
    def generate(cls) -> NodeKey:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_text(self) -> str:
        return public_text(self.public)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    def sign(self, data: bytes) -> str:
        return base64.b64encode(self._private.sign(data)).decode()

    def save(self, path: Path) -> None:
        """Write the key as PKCS#8 PEM to a new file readable by its owner only (0600); a
        missing directory is made owner-only (0700), an existing one is left as it is."""
        private_directory(path.parent)
        pem = self._private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        os.chmod(path, PRIVATE_FILE_MODE)

    @classmethod
    def load(cls, path: Path) -> NodeKey:
        try:
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise AcsaError.single(
                Code.INVALID_KEY,
                "key_file",
                "cannot read the node key {path}: {reason}",
                path=str(path),
                reason=str(error),
            ) from None
        if not isinstance(private, Ed25519PrivateKey):
            raise AcsaError.single(
                Code.INVALID_KEY,
                "key_file",
                "{path} does not hold an Ed25519 private key",
                path=str(path),
            )

        return cls(private)
