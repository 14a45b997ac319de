"""How a source document is served, by the API and the pages alike: always as a download
(``Content-Disposition: attachment`` with a safe file name), as the one media type of its type
on the allow-list (anything else as ``application/octet-stream``), ``nosniff``, and a
Content-Security-Policy under which nothing in it runs, even if a browser showed it."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.responses import Response

from acsa.domain.attachments import BY_MEDIA_TYPE, ascii_name, served_name

#: What a served file may do: nothing (no script, no style, no frame, no form), sandboxed.
FILE_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def file_response(name: str, media_type: str, digest: str, content: bytes) -> Response:
    kind = BY_MEDIA_TYPE.get(media_type)
    served = "application/octet-stream" if kind is None else media_type
    filename = name if kind is None else served_name(name, kind)
    disposition = (
        f'attachment; filename="{ascii_name(filename)}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )
    return Response(
        content,
        media_type=served,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": FILE_CSP,
            "Cache-Control": "private, no-store",
            "ETag": f'"{digest}"',
            "Cross-Origin-Resource-Policy": "same-origin",
        },
    )
