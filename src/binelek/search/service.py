"""Semantic search over every module's records, and the tenant's knowledge documents.

Modules index a record by calling `request_index` (or `request_removal`) from their service, in the
transaction that changes the record: it bumps the record's version and emits an outbox event, so the
index follows committed changes only. The search jobs embed and write the record off the request path
(`apply_index` / `apply_removal`), and versions keep concurrent events for one record from undoing
each other. Long texts are indexed in overlapping word windows; a hit names its record once, with
its best window's most query-like sentences as the snippet.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import structlog
from numpy.typing import NDArray
from sqlalchemy.ext.asyncio import AsyncSession

from binelek.ai.embeddings import get_embedder
from binelek.audit import service as audit
from binelek.kit import outbox
from binelek.kit.auth import Principal
from binelek.kit.db import Database
from binelek.kit.errors import ProblemError, ValidationFailed
from binelek.kit.pagination import PageParams
from binelek.kit.request_meta import RequestMeta
from binelek.kit.tools import Source, ToolContext, ToolResult
from binelek.search import repository
from binelek.search.models import BODY_MAX, ENTITY_ID_MAX, Document
from binelek.search.repository import DocumentRepository
from binelek.search.schemas import ENTITY_KINDS, DocumentIn, SearchHit, SearchResults
from binelek.search.vectors import MAX_CHUNKS, ChunkHit, VectorIndex

log = structlog.get_logger(__name__)

INDEX_REQUESTED = "search.index_requested"
REMOVAL_REQUESTED = "search.removal_requested"

# Who may see a kind of record in search results: the permission its own module's list needs
# (a module that indexes a new kind adds it here and to schemas.EntityKind).
KIND_PERMISSIONS = {
    "document": "documents:read",
    "member": "team:read",
    "task": "ops:read",
    "customer": "foundry:read",
    "product": "marketplace:read",
    "competitor": "marketplace:read",
    "security_issue": "security:read",
}

WINDOW_WORDS = 200  # all-MiniLM-L6-v2 reads 256 tokens; ~200 English words fill them
WINDOW_OVERLAP = 40  # a passage cut by a window edge is whole in the next window
TITLE_MAX = 300
SNIPPET_CHARS = 240
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"\w+")
# Query words that say nothing about the subject ("find anything about invoices").
STOP_WORDS = frozenset(
    "the and for with about any anything all find show what which who how when where our your are "  # noqa: SIM905
    "was were this that from into has have had not can does did get give list me".split()
)
# Cosine similarity below which a window is not about the query at all (unrelated texts score
# about -0.1..0.15 with this model; a one-word query against a relevant passage ~0.3 and up).
MIN_SCORE = 0.2


class SearchUnavailable(ProblemError):
    status, code = 503, "SEARCH_UNAVAILABLE"


# -- indexing requests (called by every module, in its own transaction) ---------------------------


async def request_index(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    kind: str,
    entity_id: uuid.UUID | str,
    title: str,
    text: str,
    url: str,
) -> None:
    """Index (or re-index) a record once the caller's transaction commits."""
    entity = str(entity_id)
    _check_record(kind, entity)
    version = await repository.next_index_version(session, tenant_id, kind, entity, removed=False)
    payload = {
        "kind": kind,
        "entity_id": entity,
        "version": version,
        # PostgreSQL's JSONB cannot hold U+0000.
        "title": title[:TITLE_MAX].replace("\x00", ""),
        "text": text[:BODY_MAX].replace("\x00", ""),
        "url": url,
    }
    outbox.emit(session, INDEX_REQUESTED, payload, tenant_id)


async def request_removal(
    session: AsyncSession, tenant_id: uuid.UUID, kind: str, entity_id: uuid.UUID | str
) -> None:
    """Take a record out of the index once the caller's transaction commits."""
    entity = str(entity_id)
    _check_record(kind, entity)
    version = await repository.next_index_version(session, tenant_id, kind, entity, removed=True)
    outbox.emit(
        session, REMOVAL_REQUESTED, {"kind": kind, "entity_id": entity, "version": version}, tenant_id
    )


def _check_record(kind: str, entity_id: str) -> None:
    if kind not in ENTITY_KINDS:
        raise ValueError(f"unknown search kind {kind!r}; add it to search.schemas.EntityKind")
    if not 0 < len(entity_id) <= ENTITY_ID_MAX:
        raise ValueError(f"a record id has 1 to {ENTITY_ID_MAX} characters")


# -- applying requests (the outbox subscribers in jobs.py) ----------------------------------------


@dataclass(frozen=True, slots=True)
class IndexRequest:
    tenant_id: uuid.UUID
    kind: str
    entity_id: str
    version: int
    title: str = ""
    text: str = ""
    url: str = ""

    @classmethod
    def from_event(cls, tenant_id: uuid.UUID | None, payload: dict[str, Any]) -> IndexRequest:
        if tenant_id is None:
            raise ValueError("a search event belongs to a tenant")
        return cls(
            tenant_id=tenant_id,
            kind=str(payload["kind"]),
            entity_id=str(payload["entity_id"]),
            version=int(payload["version"]),
            title=str(payload.get("title", "")),
            text=str(payload.get("text", "")),
            url=str(payload.get("url", "")),
        )


async def apply_index(db: Database, store: VectorIndex, request: IndexRequest) -> bool:
    """Embed and write one record; False when a newer request made this one moot. Safe to repeat."""
    if await _newer_request_exists(db, request):
        return False
    chunks = chunk_text(request.text)
    vectors = await embed([f"{request.title}\n{chunk}" if chunk else request.title for chunk in chunks])
    await store.upsert_record(
        request.tenant_id,
        request.kind,
        request.entity_id,
        version=request.version,
        title=request.title,
        url=request.url,
        chunks=chunks,
        vectors=vectors,
    )
    # A newer request that arrived while this one embedded owns the record: take back what this
    # one wrote (a newer write is never overwritten, but this one's extra windows would linger).
    if await _newer_request_exists(db, request):
        await store.delete_record(
            request.tenant_id, request.kind, request.entity_id, below_version=request.version + 1
        )
        return False
    await _mark_indexed(db, request)
    return True


async def apply_removal(db: Database, store: VectorIndex, request: IndexRequest) -> None:
    """Remove what requests before this one wrote; a newer index request's points stay."""
    await store.delete_record(
        request.tenant_id, request.kind, request.entity_id, below_version=request.version
    )
    await _mark_indexed(db, request)


async def _newer_request_exists(db: Database, request: IndexRequest) -> bool:
    async with db.session(tenant_id=request.tenant_id) as session:
        latest = await repository.requested_version(
            session, request.tenant_id, request.kind, request.entity_id
        )
    return latest > request.version


async def _mark_indexed(db: Database, request: IndexRequest) -> None:
    async with db.session(tenant_id=request.tenant_id) as session:
        await repository.mark_indexed(
            session, request.tenant_id, request.kind, request.entity_id, request.version
        )


async def pending_index_requests(session: AsyncSession, tenant_id: uuid.UUID) -> int:
    """Records of the tenant whose latest change the index has not applied yet."""
    return await repository.pending_count(session, tenant_id)


async def forget_tenant(store: VectorIndex, tenant_id: uuid.UUID) -> None:
    """Drop everything indexed for a tenant (its index entries go with the tenant's rows)."""
    await store.delete_tenant(tenant_id)


def chunk_text(text: str) -> list[str]:
    """Overlapping windows of WINDOW_WORDS words; one empty chunk for an empty text, so the record's
    title is still indexed."""
    words = text.split()
    if len(words) <= WINDOW_WORDS:
        return [" ".join(words)]
    step = WINDOW_WORDS - WINDOW_OVERLAP
    starts = range(0, len(words) - WINDOW_OVERLAP, step)
    return [" ".join(words[start : start + WINDOW_WORDS]) for start in starts][:MAX_CHUNKS]


async def embed(texts: list[str]) -> NDArray[np.float32]:
    """The model runs for tens of milliseconds per text: keep it off the event loop."""
    return await asyncio.to_thread(get_embedder().embed, texts)


# -- searching ------------------------------------------------------------------------------------


def parse_kinds(raw: Sequence[str] | None) -> list[str] | None:
    """`?kinds=a,b` or `?kinds=a&kinds=b`; None for every kind."""
    if not raw:
        return None
    kinds = [part.strip() for value in raw for part in value.split(",") if part.strip()]
    unknown = [kind for kind in kinds if kind not in ENTITY_KINDS]
    if unknown:
        raise ValidationFailed(
            f"Unknown kind {unknown[0]!r}; use one of {', '.join(ENTITY_KINDS)}.",
            errors=[{"loc": ["query", "kinds"], "msg": f"unknown kind {unknown[0]!r}", "type": "enum"}],
        )
    return list(dict.fromkeys(kinds)) or None


def readable_kinds(principal: Principal) -> list[str]:
    readable = []
    for kind, permission in KIND_PERMISSIONS.items():
        scope = permission.partition(":")[0]
        if principal.module_enabled(scope) and principal.can(permission):
            readable.append(kind)
    return readable


async def search(
    store: VectorIndex | None, principal: Principal, query: str, kinds: Sequence[str] | None, limit: int
) -> SearchResults:
    """The caller's tenant's records closest in meaning to `query`, one hit per record."""
    readable = readable_kinds(principal)
    wanted = [kind for kind in (kinds or ENTITY_KINDS) if kind in readable]
    if not wanted or not query.strip():
        return SearchResults(items=[], query=query)
    if store is None:
        raise SearchUnavailable("Search is not available in this process.")
    vector = (await embed([query]))[0]
    try:
        chunks = await store.query(
            principal.tenant_id,
            vector,
            kinds=None if set(wanted) >= set(ENTITY_KINDS) else wanted,
            # Several windows of one long record may lead; fetch enough to fill `limit` records.
            limit=limit * 5 + 20,
            min_score=MIN_SCORE,
        )
    except Exception as exc:
        log.exception("search_failed", error=type(exc).__name__)
        raise SearchUnavailable("Search is unavailable right now; try again shortly.") from exc
    return SearchResults(items=_best_per_record(chunks, query, limit), query=query)


def _best_per_record(chunks: list[ChunkHit], query: str, limit: int) -> list[SearchHit]:
    hits: dict[tuple[str, str], SearchHit] = {}
    for chunk in chunks:  # best first
        key = (chunk.kind, chunk.entity_id)
        if key in hits:
            continue
        hits[key] = SearchHit(
            kind=chunk.kind,
            id=chunk.entity_id,
            title=chunk.title,
            snippet=snippet(chunk.text, query),
            url=chunk.url,
            score=round(chunk.score, 4),
        )
        if len(hits) == limit:
            break
    return list(hits.values())


def snippet(text: str, query: str = "") -> str:
    """The part of a window to show: from the sentence sharing most words with the query (by their
    first five letters, so "certification" finds "certificate"), else from the start."""
    sentences = SENTENCE_END.split(text)
    terms = _terms(query)
    start = 0
    if terms and len(sentences) > 1:
        overlaps = [len(terms & _terms(sentence)) for sentence in sentences]
        best = max(range(len(sentences)), key=lambda index: overlaps[index])
        if overlaps[best]:
            start = best
    shown = " ".join(sentences[start:])
    prefix = "…" if start else ""
    if len(shown) <= SNIPPET_CHARS:
        return prefix + shown
    cut = shown[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return prefix + cut.rstrip(" ,.;:") + "…"


def _terms(text: str) -> set[str]:
    return {word[:5] for word in WORD.findall(text.lower()) if len(word) > 2 and word not in STOP_WORDS}


async def search_tool(
    context: ToolContext, query: str, kinds: Sequence[str] | None, limit: int
) -> ToolResult:
    results = await search(context.state.vectors, context.principal, query, kinds, limit)
    hits = results.items
    if not hits:
        summary = f"No matches for “{query}”."
    else:
        titles = ", ".join(hit.title for hit in hits[:3]) + (", …" if len(hits) > 3 else "")
        summary = f"{len(hits)} match{'es' if len(hits) != 1 else ''} for “{query}”: {titles}"
    return ToolResult(
        summary=summary,
        data=[hit.model_dump() for hit in hits],
        sources=[Source(kind=hit.kind, id=hit.id, title=hit.title, url=hit.url) for hit in hits],
    )


# -- documents ------------------------------------------------------------------------------------


def document_url(document_id: uuid.UUID) -> str:
    return f"/documents/{document_id}"


async def _index_document(session: AsyncSession, document: Document) -> None:
    await request_index(
        session,
        document.tenant_id,
        "document",
        document.id,
        document.title,
        _document_text(document),
        document_url(document.id),
    )


def _document_text(document: Document) -> str:
    tags = f"\nTags: {', '.join(document.tags)}" if document.tags else ""
    return document.body + tags


async def add_document(
    session: AsyncSession, tenant_id: uuid.UUID, data: DocumentIn, created_by: uuid.UUID | None
) -> Document:
    """Store and index a document (also used to seed the demo tenant, before anyone signs in)."""
    document = Document(
        tenant_id=tenant_id, title=data.title, body=data.body, tags=list(data.tags), created_by=created_by
    )
    session.add(document)
    await session.flush()
    await _index_document(session, document)
    return document


async def list_documents(session: AsyncSession, params: PageParams) -> tuple[list[Document], int]:
    documents = DocumentRepository(session)
    return await documents.page(documents.listing(), params)


async def get_document(session: AsyncSession, document_id: uuid.UUID) -> Document:
    return await DocumentRepository(session).get_or_404(document_id)


async def create_document(
    session: AsyncSession, principal: Principal, data: DocumentIn, meta: RequestMeta
) -> Document:
    document = await add_document(session, principal.tenant_id, data, principal.user_id)
    audit.record_for(
        session, principal, "document.created", meta, document_id=str(document.id), title=document.title
    )
    return document


async def update_document(
    session: AsyncSession, principal: Principal, document_id: uuid.UUID, data: DocumentIn, meta: RequestMeta
) -> Document:
    document = await DocumentRepository(session).get_or_404(document_id)
    document.title, document.body, document.tags = data.title, data.body, list(data.tags)
    await session.flush()
    await _index_document(session, document)
    audit.record_for(
        session, principal, "document.updated", meta, document_id=str(document.id), title=document.title
    )
    return document


async def delete_document(
    session: AsyncSession, principal: Principal, document_id: uuid.UUID, meta: RequestMeta
) -> None:
    documents = DocumentRepository(session)
    document = await documents.get_or_404(document_id)
    await documents.delete(document)
    await request_removal(session, principal.tenant_id, "document", document_id)
    audit.record_for(
        session, principal, "document.deleted", meta, document_id=str(document_id), title=document.title
    )
