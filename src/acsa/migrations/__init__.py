"""Alembic migrations for acsa's schema; ``acsa init`` runs them."""
