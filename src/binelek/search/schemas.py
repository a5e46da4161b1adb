from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from binelek.search.models import BODY_MAX, TITLE_MAX

# What modules index. `member` is the team (identity); the rest are their modules' records.
EntityKind = Literal["document", "task", "customer", "product", "competitor", "security_issue", "member"]
ENTITY_KINDS: tuple[str, ...] = get_args(EntityKind)
QUERY_MAX = 200
SEARCH_LIMIT_MAX = 50
TAGS_MAX = 20

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class DocumentIn(BaseModel):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX)]
    body: str = Field(default="", max_length=BODY_MAX)
    tags: list[Tag] = Field(default_factory=list, max_length=TAGS_MAX)

    @field_validator("title", "body")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        # PostgreSQL's text and JSONB (the index event) cannot hold U+0000.
        if "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value

    @field_validator("tags")
    @classmethod
    def _distinct_tags(cls, tags: list[str]) -> list[str]:
        seen: set[str] = set()
        distinct = []
        for tag in tags:
            if "\x00" in tag:
                raise ValueError("must not contain NUL characters")
            if tag.casefold() not in seen:
                seen.add(tag.casefold())
                distinct.append(tag)
        return distinct


class DocumentSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    tags: list[str]
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class DocumentOut(DocumentSummary):
    body: str


class SearchHit(BaseModel):
    kind: str
    id: str
    title: str
    snippet: str
    url: str = Field(description="The web app's route for the record.")
    score: float = Field(description="Cosine similarity of the best-matching part, -1 to 1.")


class SearchResults(BaseModel):
    items: list[SearchHit]
    query: str
