"""Identifiers: the length asked for, Crockford base32 in lower case, every character equally
likely."""

from __future__ import annotations

from collections import Counter

from stageflow.ids import new_id

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def test_ids_have_the_length_and_alphabet_asked_for() -> None:
    for length in (1, 4, 12, 26):
        made = new_id(length)
        assert len(made) == length
        assert set(made) <= set(ALPHABET)


def test_every_character_turns_up_about_as_often_in_every_position() -> None:
    ids = [new_id() for _ in range(6400)]
    assert len(set(ids)) == len(ids)
    for position in (0, 5, 11):
        counts = Counter(i[position] for i in ids)
        assert set(counts) == set(ALPHABET)
        # 200 expected per character; 100 or 300 would be 7 standard deviations out
        assert min(counts.values()) > 100
        assert max(counts.values()) < 300
