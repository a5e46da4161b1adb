"""List endpoints answer `{items, total, limit, offset}` for `?limit=&offset=`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

MAX_LIMIT = 200
MAX_OFFSET = 2**31 - 1  # far past any real list, and inside every database's integer range
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Paging = Annotated[PageParams, Depends(page_params)]


SchemaT = TypeVar("SchemaT", bound=BaseModel)


def page_of(schema: type[SchemaT], rows: Iterable[Any], total: int, params: PageParams) -> Page[SchemaT]:
    """A page answer with each row (an ORM object or mapping) read into the response schema."""
    items = [schema.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=params.limit, offset=params.offset)


async def paginate(
    session: AsyncSession, statement: Select[Any], params: PageParams
) -> tuple[list[Any], int]:
    """Entities of one page plus the total count of the unpaged statement."""
    rows, total = await paginate_rows(session, statement, params)
    return [row[0] for row in rows], total


async def paginate_rows(
    session: AsyncSession, statement: Select[Any], params: PageParams
) -> tuple[list[tuple[Any, ...]], int]:
    """Rows (all selected columns) of one page and the total, in one round trip: the total rides
    along as a window count. Only a page past the end needs a second query for it."""
    counted = statement.add_columns(func.count().over().label("_total"))
    rows = (await session.execute(counted.limit(params.limit).offset(params.offset))).all()
    if rows:
        return [tuple(row[:-1]) for row in rows], int(rows[0][-1])
    return [], (await count(session, statement)) if params.offset else 0


async def count(session: AsyncSession, statement: Select[Any]) -> int:
    counted = select(func.count()).select_from(statement.order_by(None).subquery())
    return int((await session.execute(counted)).scalar_one())
