"""Persistence with SQLAlchemy 2: store functions take a session and never commit."""
