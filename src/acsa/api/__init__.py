"""The REST API (FastAPI): routers per resource over the same services as the CLI; the routes
of the user actions come from the command table (routers/commands.py)."""
