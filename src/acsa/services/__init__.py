"""Use cases: one handler per command (handlers.py is the table), each in one unit of work, and
the read services; they depend on the unit of work's port (ports.py), not on SQL."""
