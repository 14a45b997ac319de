"""The REST API (FastAPI): routers per resource over the same services as the CLI."""
