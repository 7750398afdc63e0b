"""The admin views, one module per concern."""
