"""The API's documentation page (/docs), served whole by acsa: Swagger UI's script and style
come from the ``fastapi-offline`` package, never from a CDN, so the page works on a network
with no way out (and asks nothing of any other host)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Swagger UI 5 (it renders OpenAPI 3.1, which FastAPI writes), as the package ships it.
ASSETS = Path(str(files("fastapi_offline") / "static"))
#: Where acsa serves those files.
ASSETS_URL = "/docs-assets"


def install(app: FastAPI, openapi_url: str, docs_url: str = "/docs") -> None:
    """Serve Swagger UI at ``docs_url`` over the document at ``openapi_url``, with every file it
    loads from this server (add before the pages' catch-all mount at /)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get(docs_url, include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API",
            oauth2_redirect_url=None,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            # No badge asking validator.swagger.io about the document.
            swagger_ui_parameters={"validatorUrl": None},
        )
