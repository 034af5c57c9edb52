"""Persistence with SQLAlchemy 2: store functions take a Core Connection and never commit."""
