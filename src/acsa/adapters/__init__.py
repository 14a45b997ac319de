"""Adapters at the edge: database, registry files, and later documents, exports, rates."""
