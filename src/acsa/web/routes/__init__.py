"""The pages, one module per area of the site."""
