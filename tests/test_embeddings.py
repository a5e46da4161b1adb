"""The offline embedding model: equal to sentence-transformers' all-MiniLM-L6-v2 output."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from binelek.ai.embeddings import DIMENSIONS, get_embedder

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())


def test_matches_the_reference_model_within_1e_5():
    vectors = get_embedder().embed(REFERENCE["sentences"])
    reference = np.array(REFERENCE["embeddings"], dtype=np.float32)
    assert vectors.shape == (len(REFERENCE["sentences"]), DIMENSIONS)
    assert float(np.abs(vectors - reference).max()) < 1e-5  # measured: 3.4e-7


def test_vectors_are_unit_length_and_order_is_kept():
    texts = [
        "a much longer sentence about roasting single-origin coffee beans at home",
        "short",
        "medium text",
    ]
    vectors = get_embedder().embed(texts)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for text, vector in zip(texts, vectors, strict=True):  # batched == one by one
        assert np.allclose(get_embedder().embed([text])[0], vector, atol=1e-5)
    assert get_embedder().embed([]).shape == (0, DIMENSIONS)


def test_related_texts_are_closer_than_unrelated_ones():
    invoice, reminder, cat = get_embedder().embed(
        ["The invoice is overdue", "Payment reminder for unpaid bill", "A cat sat on the mat"]
    )
    assert float(invoice @ reminder) > 0.4 > 0.1 > float(invoice @ cat)
