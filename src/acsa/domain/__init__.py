"""The pure domain: agreements, orders, rules and money. No SQL, HTTP or files here."""
