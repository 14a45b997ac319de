"""The annual report and the order form on the in-memory unit of work: every scenario of
tests/integration/test_annual_report.py (a year of orders built through handle(), each figure
worked out by hand there), run here on the fake; the database runs them as the parity suite."""

from tests.integration.test_annual_report import *  # noqa: F403
