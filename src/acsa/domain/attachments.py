"""Source documents: files attached to an order or to one of its steps, as pure values and rules.

A file is kept by its content: the SHA-256 of its bytes names it, so the same file attached
twice is stored once. It is taken only when it is one of the types acsa serves (``TYPES``: PDF,
PNG, JPEG, XLSX, CSV), recognised by its first bytes rather than by what its name or the
sender says; a file whose name or declared type says one thing and whose bytes another (an
HTML page named ``scan.pdf``, a program named ``photo.jpg``) is ATTACHMENT_TYPE_MISMATCH. Its
size is bounded (ATTACHMENT_TOO_LARGE), its original name kept cleaned and bounded.

A file names the step it backs (``Step``): ``delivery:N`` and ``receipt:N`` name the order's
history event N (``orders show`` lists them), ``invoice:NUMBER`` an invoice of the order,
``payment:N`` and ``settlement:N`` the order's N-th payment and N-th settlement in kind, in the
order they were recorded. These are the same on both nations' nodes, so a partner's node reads
the step of a file its document names as this node does.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from acsa.domain import limits
from acsa.domain.errors import AcsaError, Code, Violation
from acsa.domain.messages import t


class FileType(StrEnum):
    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    XLSX = "xlsx"
    CSV = "csv"


#: The one media type each taken type is stored and served as (the allow-list).
TYPES: Mapping[FileType, str] = {
    FileType.PDF: "application/pdf",
    FileType.PNG: "image/png",
    FileType.JPEG: "image/jpeg",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.CSV: "text/csv",
}
BY_MEDIA_TYPE: Mapping[str, FileType] = {v: k for k, v in TYPES.items()}
#: File name endings and the type each names.
EXTENSIONS: Mapping[str, FileType] = {
    "pdf": FileType.PDF,
    "png": FileType.PNG,
    "jpg": FileType.JPEG,
    "jpeg": FileType.JPEG,
    "xlsx": FileType.XLSX,
    "csv": FileType.CSV,
}
#: The ending a served file's name gets for its type.
ENDING: Mapping[FileType, str] = {
    FileType.PDF: "pdf",
    FileType.PNG: "png",
    FileType.JPEG: "jpg",
    FileType.XLSX: "xlsx",
    FileType.CSV: "csv",
}


class StepKind(StrEnum):
    DELIVERY = "delivery"
    RECEIPT = "receipt"
    INVOICE = "invoice"
    PAYMENT = "payment"
    SETTLEMENT = "settlement"


_SHA256 = re.compile(r"[0-9a-f]{64}")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,39}")
_DIGITS = re.compile(r"[1-9][0-9]{0,8}")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def is_sha256(text: str) -> bool:
    return bool(_SHA256.fullmatch(text))


def _invalid_field(field: str, template: str, **params: object) -> AcsaError:
    return AcsaError(
        [Violation(Code.INVALID_FIELD, field, template, params={"field": field, **params})]
    )


def check_sha256(field: str, text: str) -> str:
    """``text`` when it is a SHA-256 in 64 lower-case hex digits; INVALID_FIELD otherwise."""
    if not is_sha256(text):
        raise _invalid_field(field, t("{field} must be a SHA-256 in 64 lower-case hex digits"))
    return text


@dataclass(frozen=True, slots=True)
class Step:
    """The step of an order a file backs: its kind and its reference (see the module)."""

    kind: StepKind
    ref: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.ref}"


def parse_step(field: str, text: str | None) -> Step | None:
    """The step ``text`` names (``receipt:4``, ``invoice:JPN-2026-000001``), None for none;
    INVALID_FIELD naming ``field`` for anything else."""
    if text is None or text == "":
        return None
    kind, _, ref = text.partition(":")
    try:
        step_kind = StepKind(kind)
    except ValueError:
        step_kind = None
    numbered = step_kind is not None and step_kind is not StepKind.INVOICE
    if step_kind is None or not (_DIGITS if numbered else _REF).fullmatch(ref):
        raise _invalid_field(
            field,
            t(
                "{field} {value}: name a step as delivery:N or receipt:N (the order's history "
                "event), invoice:NUMBER, payment:N or settlement:N"
            ),
            value=repr(text[:60]),
        )
    return Step(step_kind, ref)


# --- what a file is ---------------------------------------------------------------------------

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_PDF = b"%PDF-"
_ZIP = b"PK\x03\x04"
#: Control characters a CSV file may not hold (tab and line breaks it may).
_CSV_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def sniff(content: bytes) -> FileType | None:
    """The type ``content`` is, read from its bytes (None: none acsa takes). A spreadsheet is
    a ZIP archive holding a workbook (``xl/``); a CSV file is UTF-8 text without control
    characters that is not markup (no text starting with ``<``)."""
    if content.startswith(_PDF):
        return FileType.PDF
    if content.startswith(_PNG):
        return FileType.PNG
    if content.startswith(_JPEG):
        return FileType.JPEG
    if content.startswith(_ZIP):
        return FileType.XLSX if _is_workbook(content) else None
    return FileType.CSV if _is_csv(content) else None


def _is_workbook(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _is_csv(content: bytes) -> bool:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    if not text.strip() or _CSV_CONTROL.search(text):
        return False
    return not text.lstrip().startswith("<")


_UNSAFE_NAME = re.compile(r'[\x00-\x1f\x7f-\x9f"\\/:*?<>|;%`$]')


def clean_name(name: str) -> str:
    """The original file name as kept: its last path part, without control characters, quotes,
    slashes and the characters a shell or a header would read, no leading dots or spaces, at
    most ATTACHMENT_NAME_CHARS_MAX characters (its ending kept); "file" when nothing is
    left."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1]
    cleaned = _UNSAFE_NAME.sub("_", base).strip().lstrip(". ")
    most = limits.ATTACHMENT_NAME_CHARS_MAX
    if len(cleaned) > most:
        stem, dot, ending = cleaned.rpartition(".")
        if dot and 0 < len(ending) <= 8:
            cleaned = stem[: most - len(ending) - 1] + "." + ending
        else:
            cleaned = cleaned[:most]
    return cleaned or "file"


def ascii_name(name: str) -> str:
    """``name`` in ASCII letters, digits and ``._-`` (the filename a header's plain form
    carries; the UTF-8 form carries the whole)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._") or "file"
    return plain[: limits.ATTACHMENT_NAME_CHARS_MAX]


def served_name(name: str, kind: FileType) -> str:
    """The name a file is downloaded under: its cleaned name, ending as its type does."""
    cleaned = clean_name(name)
    _stem, dot, ending = cleaned.rpartition(".")
    if dot and EXTENSIONS.get(ending.lower()) is kind:
        return cleaned
    return f"{cleaned}.{ENDING[kind]}"


@dataclass(frozen=True, slots=True)
class Examined:
    """A file found to be what it says: its type, media type, size, hash and kept name."""

    kind: FileType
    media_type: str
    size: int
    sha256: str
    name: str


def _mismatch(template: str, **params: object) -> AcsaError:
    return AcsaError([Violation(Code.ATTACHMENT_TYPE_MISMATCH, "file", template, params=params)])


def examine(name: str, declared: str | None, content: bytes, most: int) -> Examined:
    """``content`` as a file to keep, or the refusal: larger than ``most`` bytes
    (ATTACHMENT_TOO_LARGE), empty, of no type taken, or of another type than its name's ending
    or ``declared`` (a media type or a type's word) say (ATTACHMENT_TYPE_MISMATCH)."""
    size = len(content)
    if size > most:
        raise AcsaError.single(
            Code.ATTACHMENT_TOO_LARGE,
            "file",
            "the file is {size} bytes; at most {most} bytes are taken (nothing was saved)",
            size=Decimal(size),
            most=Decimal(most),
        )
    kept = clean_name(name)
    limits.check_text("file_name", kept, multiline=False)
    if size == 0:
        raise _mismatch(t("the file is empty; nothing was saved"))
    found = sniff(content)
    taken = tuple(sorted(TYPES.values()))
    if found is None:
        raise _mismatch(
            t("the file's content is none of the types taken ({types}); nothing was saved"),
            types=taken,
        )
    said = _declared(declared)
    if said is not None and said is not found:
        raise _mismatch(
            t("the file is declared {declared} but its content is {found}; nothing was saved"),
            declared=repr((declared or "")[:80]),
            found=TYPES[found],
        )
    _, dot, ending = kept.rpartition(".")
    if dot:
        by_name = EXTENSIONS.get(ending.lower())
        if by_name is not found:
            raise _mismatch(
                t("the file is named {name} but its content is {found}; nothing was saved"),
                name=repr(kept),
                found=TYPES[found],
            )
    return Examined(found, TYPES[found], size, sha256(content), kept)


def _declared(declared: str | None) -> FileType | None:
    """The type a sender declared (a media type, maybe with parameters, or a type's word);
    None when it declared none, or only that it does not know (``application/octet-stream``).
    A type not taken is a type of its own, which the content cannot match."""
    if declared is None:
        return None
    word = declared.split(";", 1)[0].strip().lower()
    if word in ("", "application/octet-stream"):
        return None
    if word in BY_MEDIA_TYPE:
        return BY_MEDIA_TYPE[word]
    aliases = {"image/jpg": FileType.JPEG, "application/csv": FileType.CSV}
    if word in aliases:
        return aliases[word]
    try:
        return FileType(word)
    except ValueError:
        raise _mismatch(
            t("the file is declared {declared}, a type not taken ({types}); nothing was saved"),
            declared=repr(word[:80]),
            types=tuple(sorted(TYPES.values())),
        ) from None


# --- which steps need which files -------------------------------------------------------------


def parse_required(field: str, text: str) -> frozenset[StepKind]:
    """A nation's setting of the steps that need a source document: their words, separated by
    commas (``receipt,invoice``; empty: none)."""
    words = [w.strip() for w in text.split(",") if w.strip()]
    found: set[StepKind] = set()
    for word in words:
        try:
            found.add(StepKind(word))
        except ValueError:
            raise _invalid_field(
                field,
                t("{field}: {word} is no step; choose among {steps}"),
                word=repr(word[:40]),
                steps=tuple(k.value for k in StepKind),
            ) from None
    return frozenset(found)
