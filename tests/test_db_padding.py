"""IN lists are padded to a few lengths, so PostgreSQL connections cache a few statements per query
rather than one per list length (the soak's growing API memory: docs/benchmarks.md)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from binelek.kit.db import padded
from binelek.ops.models import Task


def test_padding_repeats_the_last_item_up_to_a_power_of_two() -> None:
    assert padded([]) == []
    assert padded([1]) == [1] * 8
    assert padded([1, 2, 3]) == [1, 2, 3] + [3] * 5
    assert padded(range(9)) == [*range(9)] + [8] * 7
    assert padded(range(16)) == list(range(16))


def test_lists_of_every_length_up_to_200_make_six_statements() -> None:
    ids = [uuid.uuid4() for _ in range(200)]
    statements = {
        str(
            select(Task.id)
            .where(Task.id.in_(padded(ids[:length])))
            .compile(dialect=postgresql.asyncpg.dialect(), compile_kwargs={"render_postcompile": True})
        )
        for length in range(1, 201)
    }
    assert len(statements) == 6  # 8, 16, 32, 64, 128 and 256 placeholders
