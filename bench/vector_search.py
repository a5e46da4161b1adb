"""Semantic-search latency over 100k vectors in local Qdrant, by collection layout.

Random unit vectors (384-d, like all-MiniLM-L6-v2's) spread over 10 tenants and 6 record kinds; each
layout gets the same points and the same queries, every query filtered by tenant_id as the product
does. Layouts:
- shared      one collection for every tenant (the issue's plain reading)
- per-kind    one collection per record kind; an all-kinds search asks each of them
- per-tenant  one collection per tenant (what local mode uses), through the product's VectorStore

    .venv/bin/python bench/vector_search.py [--vectors 100000] [--queries 200] [--layouts ...]

Prints upload time, query p50/p95 (all kinds and one kind), the time to reopen the store (local mode
loads every point at start), and the product's per-record write cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from qdrant_client import QdrantClient
from qdrant_client.http import models

from binelek.search.vectors import DIMENSIONS, VectorStore, point_id, tenant_filter

KINDS = ("document", "task", "customer", "product", "competitor", "security_issue")
TENANTS = 10
BATCH = 1_000
FETCH = 70  # what the product asks for a 10-hit search (limit * 5 + 20)

warnings.filterwarnings("ignore", message="Local mode is not recommended")


def unit_vectors(count: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, DIMENSIONS), dtype=np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


class Dataset:
    def __init__(self, count: int, queries: int) -> None:
        self.tenants = [uuid.UUID(int=index + 1) for index in range(TENANTS)]
        self.vectors = unit_vectors(count, seed=7)
        self.tenant_of = [self.tenants[index % TENANTS] for index in range(count)]
        self.kind_of = [KINDS[(index // TENANTS) % len(KINDS)] for index in range(count)]
        self.queries = unit_vectors(queries, seed=11)
        self.query_tenants = [self.tenants[index % TENANTS] for index in range(queries)]

    def point(self, index: int) -> models.PointStruct:
        tenant, kind, entity = self.tenant_of[index], self.kind_of[index], f"record-{index}"
        return models.PointStruct(
            id=point_id(tenant, kind, entity, 0),
            vector=self.vectors[index].tolist(),
            payload={
                "tenant_id": str(tenant),
                "kind": kind,
                "entity_id": entity,
                "chunk": 0,
                "version": 1,
                "title": f"Record {index}",
                "url": f"/records/{index}",
                "text": "A short passage standing in for a record's text, about as long as a snippet.",
            },
        )


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def upload(client: QdrantClient, data: Dataset, collection_of: Callable[[int], str]) -> float:
    start = time.perf_counter()
    created: set[str] = set()
    pending: dict[str, list[models.PointStruct]] = {}
    for index in range(len(data.vectors)):
        name = collection_of(index)
        if name not in created:
            client.create_collection(
                name, vectors_config=models.VectorParams(size=DIMENSIONS, distance=models.Distance.COSINE)
            )
            created.add(name)
        pending.setdefault(name, []).append(data.point(index))
        if len(pending[name]) == BATCH:
            client.upsert(name, pending.pop(name))
    for name, points in pending.items():
        client.upsert(name, points)
    return time.perf_counter() - start


def query_times(
    client: QdrantClient, data: Dataset, collections_for: Callable[[uuid.UUID, str | None], list[str]]
) -> dict[str, tuple[float, float]]:
    figures = {}
    for label, kind in (("all kinds", None), ("one kind", "document")):
        samples = []
        for vector, tenant in zip(data.queries, data.query_tenants, strict=True):
            conditions = (
                [models.FieldCondition(key="kind", match=models.MatchAny(any=[kind]))] if kind else []
            )
            query_filter = tenant_filter(tenant, *conditions)
            start = time.perf_counter()
            hits: list[models.ScoredPoint] = []
            for name in collections_for(tenant, kind):
                hits += client.query_points(
                    name, query=vector.tolist(), query_filter=query_filter, limit=FETCH, with_payload=True
                ).points
            hits.sort(key=lambda hit: hit.score, reverse=True)
            samples.append(time.perf_counter() - start)
            assert hits and all(hit.payload and hit.payload["tenant_id"] == str(tenant) for hit in hits)
        figures[label] = percentiles(samples)
    return figures


def bench_raw_layout(
    name: str,
    data: Dataset,
    root: Path,
    collection_of: Callable[[int], str],
    collections_for: Callable[[uuid.UUID, str | None], list[str]],
) -> dict[str, object]:
    path = root / name
    client = QdrantClient(path=str(path))
    upload_seconds = upload(client, data, collection_of)
    figures = query_times(client, data, collections_for)
    client.close()
    reopen = timed(lambda: QdrantClient(path=str(path)).close())
    shutil.rmtree(path)
    return {"layout": name, "upload": upload_seconds, "reopen": reopen, **figures}


def bench_product_layout(data: Dataset, root: Path) -> dict[str, object]:
    """The chosen layout through the product's store: its collection names, its executor hop."""
    path = root / "per-tenant"
    store = VectorStore(path=path)
    client = QdrantClient(path=str(path))
    upload_seconds = upload(client, data, lambda index: store.collection_for(data.tenant_of[index]))
    client.close()
    reopen = timed(lambda: QdrantClient(path=str(path)).close())

    async def measure() -> dict[str, object]:
        figures: dict[str, object] = {}
        await store.count(data.tenants[0])  # opens the store (loads every collection)
        for label, kinds in (("all kinds", None), ("one kind", ["document"])):
            samples = []
            for vector, tenant in zip(data.queries, data.query_tenants, strict=True):
                start = time.perf_counter()
                hits = await store.query(tenant, vector, kinds=kinds, limit=FETCH)
                samples.append(time.perf_counter() - start)
                assert hits
            figures[label] = percentiles(samples)
        writes = unit_vectors(500, seed=13)
        start = time.perf_counter()
        for index, vector in enumerate(writes):
            await store.upsert_record(
                data.tenants[index % TENANTS],
                "document",
                f"new-{index}",
                version=1,
                title="New record",
                url="/documents/new",
                chunks=["A freshly written record."],
                vectors=vector[None, :],
            )
        figures["write ms/record"] = (time.perf_counter() - start) / len(writes) * 1000
        await store.close()
        return figures

    figures = asyncio.run(measure())
    shutil.rmtree(path)
    return {"layout": "per-tenant", "upload": upload_seconds, "reopen": reopen, **figures}


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--layouts",
        nargs="+",
        default=["per-tenant", "shared", "per-kind"],
        choices=["per-tenant", "shared", "per-kind"],
    )
    args = parser.parse_args()
    data = Dataset(args.vectors, args.queries)
    print(f"{args.vectors:,} vectors of {DIMENSIONS} d, {TENANTS} tenants, {len(KINDS)} kinds")
    print(f"{args.queries} queries per figure, each filtered by tenant_id, {FETCH} results asked")
    print(f"machine: {machine()}")
    results = []
    with tempfile.TemporaryDirectory(prefix="binelek-vector-bench-") as directory:
        root = Path(directory)
        for layout in args.layouts:
            if layout == "per-tenant":
                results.append(bench_product_layout(data, root))
            elif layout == "shared":
                results.append(
                    bench_raw_layout(
                        "shared", data, root, lambda index: "records", lambda tenant, kind: ["records"]
                    )
                )
            else:
                results.append(
                    bench_raw_layout(
                        "per-kind",
                        data,
                        root,
                        lambda index: f"records_{data.kind_of[index]}",
                        lambda tenant, kind: [f"records_{kind}"] if kind else [f"records_{k}" for k in KINDS],
                    )
                )
            print_row(results[-1])


def print_row(result: dict[str, object]) -> None:
    all_kinds = result["all kinds"]
    one_kind = result["one kind"]
    assert isinstance(all_kinds, tuple) and isinstance(one_kind, tuple)
    line = (
        f"{result['layout']:<10}  upload {result['upload']:7.1f} s  reopen {result['reopen']:6.1f} s  "
        f"all kinds p50 {all_kinds[0]:7.1f} ms p95 {all_kinds[1]:7.1f} ms  "
        f"one kind p50 {one_kind[0]:7.1f} ms p95 {one_kind[1]:7.1f} ms"
    )
    if "write ms/record" in result:
        line += f"  write {result['write ms/record']:.2f} ms/record"
    print(line, flush=True)


if __name__ == "__main__":
    main()
