"""The web pages acsa serves: read-only views of the agreements and orders for now."""
