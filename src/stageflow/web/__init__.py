"""The web front door: the REST API (and, later, the console pages)."""
