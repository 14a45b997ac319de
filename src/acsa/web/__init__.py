"""The web pages acsa serves (Jinja2, rendered on the server, in English or Japanese): the
dashboard, orders and their whole lifecycle, settlement, the ledger and reports, the registry,
users, the audit log and the node's courier. Forms build the same commands as the CLI and the
API and hand them to one ``handle``."""
