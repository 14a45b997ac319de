"""The rules of source documents, as pure functions: a file's type read from its bytes, its name
cleaned, a step named, the shape of an attachment document's body."""

from __future__ import annotations

import io
import zipfile

import pytest

from acsa.domain import limits
from acsa.domain.attachments import (
    FileType,
    Step,
    StepKind,
    ascii_name,
    clean_name,
    examine,
    parse_required,
    parse_step,
    served_name,
    sha256,
    sniff,
)
from acsa.domain.documents import Kind, body_violations
from acsa.domain.errors import AcsaError


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


XLSX = _zip("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml")
DOCX = _zip("[Content_Types].xml", "word/document.xml")


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.7\n...", FileType.PDF),
        (b"\x89PNG\r\n\x1a\n....", FileType.PNG),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", FileType.JPEG),
        (XLSX, FileType.XLSX),
        (b"line,qty\n1,12\n2,400\n", FileType.CSV),
        ("\ufeffline;qté\n1;12\n".encode(), FileType.CSV),
        (DOCX, None),  # a ZIP archive, not a workbook
        (b"PK\x03\x04 not a zip at all", None),
        (b"<!doctype html><script>alert(1)</script>", None),
        (b"  <svg onload=alert(1)>", None),
        (b"MZ\x90\x00\x03\x00", None),  # a Windows program
        (b"\x7fELF\x02\x01\x01", None),
        (b"a,b\x00c\n", None),  # a NUL is no text
        (bytes([0xC3, 0x28]), None),  # not UTF-8
        (b"", None),
    ],
)
def test_the_type_is_read_from_the_bytes(content: bytes, kind: FileType | None) -> None:
    assert sniff(content) is kind


def test_names_are_cleaned_and_bounded() -> None:
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\x\\scan.pdf") == "scan.pdf"
    assert clean_name('a"b;c<d>e|f.pdf') == "a_b_c_d_e_f.pdf"
    assert clean_name("...hidden.csv") == "hidden.csv"
    assert clean_name("bell\x07.pdf") == "bell_.pdf"
    assert clean_name("") == "file"
    assert clean_name("受領書.pdf") == "受領書.pdf"
    long = clean_name("x" * 500 + ".pdf")
    assert len(long) == limits.ATTACHMENT_NAME_CHARS_MAX
    assert long.endswith(".pdf")
    assert ascii_name("受領書 2026.pdf") == "2026.pdf"
    assert served_name("scan", FileType.PDF) == "scan.pdf"
    assert served_name("photo.jpeg", FileType.JPEG) == "photo.jpeg"


def test_steps_are_named_by_kind_and_reference() -> None:
    assert parse_step("step", "receipt:5") == Step(StepKind.RECEIPT, "5")
    assert parse_step("step", "invoice:JPN-2026-000001") == Step(
        StepKind.INVOICE, "JPN-2026-000001"
    )
    assert parse_step("step", None) is None
    assert parse_step("step", "") is None
    for wrong in ("receipt", "receipt:0", "receipt:x", "refund:1", "invoice:", "payment:-1"):
        with pytest.raises(AcsaError) as refused:
            parse_step("step", wrong)
        assert refused.value.codes == ["INVALID_FIELD"], wrong
    assert parse_required("r", "receipt, invoice") == {StepKind.RECEIPT, StepKind.INVOICE}
    assert parse_required("r", "") == frozenset()
    with pytest.raises(AcsaError):
        parse_required("r", "receipt,refund")


@pytest.mark.parametrize(
    ("name", "declared", "content", "code"),
    [
        ("a.pdf", "application/pdf", b"%PDF-1.4 x", None),
        ("a", None, b"%PDF-1.4 x", None),
        ("a.PDF", "application/octet-stream", b"%PDF-1.4 x", None),
        ("a.csv", "text/csv; charset=utf-8", b"a,b\n", None),
        ("a.jpg", "image/jpg", b"\xff\xd8\xff\xdb", None),
        ("a.pdf", "text/html", b"%PDF-1.4 x", "ATTACHMENT_TYPE_MISMATCH"),
        ("a.exe", None, b"%PDF-1.4 x", "ATTACHMENT_TYPE_MISMATCH"),
        ("a.pdf", None, b"<html></html>", "ATTACHMENT_TYPE_MISMATCH"),
        ("a.png", "image/png", b"\xff\xd8\xff\xdb", "ATTACHMENT_TYPE_MISMATCH"),
        ("a.pdf", None, b"", "ATTACHMENT_TYPE_MISMATCH"),
        ("a.pdf", None, b"%PDF-" + bytes(100), "ATTACHMENT_TOO_LARGE"),
    ],
)
def test_a_file_is_taken_only_as_what_it_is(
    name: str, declared: str | None, content: bytes, code: str | None
) -> None:
    if code is None:
        kept = examine(name, declared, content, 100)
        assert kept.sha256 == sha256(content)
        assert kept.size == len(content)
        return
    with pytest.raises(AcsaError) as refused:
        examine(name, declared, content, 100)
    assert refused.value.codes == [code]
    assert refused.value.violations[0].field == "file"


def test_an_attachment_document_s_body_is_bounded() -> None:
    good = {
        "sha256": "a" * 64,
        "type": "application/pdf",
        "size": 4,
        "name": "x.pdf",
        "step": "receipt:5",
        "content": "JVBERg==",
    }
    assert body_violations(Kind.ATTACHMENT, good) == []
    assert body_violations(Kind.ATTACHMENT, {**good, "step": None}) == []
    for field, value in [
        ("sha256", "A" * 64),
        ("size", 0),
        ("size", limits.ATTACHMENT_BYTES_CEILING + 1),
        ("content", "not base64!"),
        ("content", 12),
        ("name", ""),
        ("name", "x" * 500),
    ]:
        found = body_violations(Kind.ATTACHMENT, {**good, field: value})
        assert [v.field for v in found] == [f"body.{field}"], (field, value)
    extra = body_violations(Kind.ATTACHMENT, {**good, "url": "http://x"})
    assert extra
