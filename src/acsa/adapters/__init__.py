"""Adapters at the edge: the database (db/), files (the registry, rates, history, books),
exports (CSV, XLSX, PDF, charts), signing, the courier's HTTP transport."""
