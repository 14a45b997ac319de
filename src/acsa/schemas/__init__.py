"""Wire shapes: what the API, the CLI's --json, the remote client and the exports read and
write (Pydantic models), one module per area. The domain never imports them."""
