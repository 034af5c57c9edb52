"""Identifiers: short, random, URL-safe, sortable enough to read in a terminal."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def new_id(length: int = 12) -> str:
    # one read of the system's random source, 5 bits a character (secrets.choice would read
    # it once per character)
    bits = int.from_bytes(secrets.token_bytes((5 * length + 7) // 8))
    return "".join(_ALPHABET[(bits >> (5 * i)) & 31] for i in range(length))
