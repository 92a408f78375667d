"""Word vectors for ctx-DocNADEe: word2vec text files and PPMI-SVD vectors against a dense reference."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from structnlp.errors import CorpusFormatError, StructNLPError
from topics.embeddings import ppmi_svd_embeddings, read_word2vec_text


def dense_ppmi(docs: list[list[int]], n_words: int, window: int, alpha: float) -> np.ndarray:
    """PPMI by the definition, with loops: co-occurrence within `window` positions, both directions."""
    counts = np.zeros((n_words, n_words))
    for doc in docs:
        for i, w in enumerate(doc):
            for j in range(max(0, i - window), min(len(doc), i + window + 1)):
                if j != i:
                    counts[w, doc[j]] += 1
    context = counts.sum(axis=0) ** alpha
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(counts * context.sum() / (counts.sum(axis=1, keepdims=True) * context))
    return np.where(counts > 0, np.maximum(pmi, 0), 0.0)


def reference_vectors(ppmi: np.ndarray, dim: int) -> np.ndarray:
    u, s, _ = np.linalg.svd(ppmi)
    vectors = u[:, :dim] * np.sqrt(s[:dim])
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def test_ppmi_svd_matches_the_definition():
    docs = [[0, 1, 2, 0, 3], [1, 2, 4], [3, 4, 5, 5], [0, 2]]
    dense = dense_ppmi(docs, 6, window=2, alpha=0.75)
    vectors = ppmi_svd_embeddings(docs, 6, 3, window=2)
    expected = reference_vectors(dense, 3)
    # Singular vectors are defined up to sign: compare the (sign-free) Gram matrices.
    np.testing.assert_allclose(vectors @ vectors.T, expected @ expected.T, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 7), max_size=9), min_size=1, max_size=8),
    st.integers(1, 3),
    st.integers(1, 10),
)
def test_vectors_are_unit_length_or_zero_and_zero_exactly_for_isolated_words(docs, window, dim):
    vectors = ppmi_svd_embeddings(docs, 8, dim, window=window)
    assert vectors.shape == (8, dim) and vectors.dtype == np.float32
    norms = np.linalg.norm(vectors, axis=1)
    assert np.all((np.abs(norms - 1) < 1e-4) | (norms == 0))
    ppmi = dense_ppmi(docs, 8, window, 0.75)
    assert np.all(norms[ppmi.sum(axis=1) == 0] == 0)
    if dim >= 8:  # no truncation: every word that co-occurs keeps a direction
        assert np.all(norms[ppmi.sum(axis=1) > 0] > 0)


def test_a_vocabulary_no_larger_than_dim_keeps_every_direction():
    """The rank was capped at n_words - 1, so one of two unrelated word pairs lost its vectors."""
    vectors = ppmi_svd_embeddings([[0, 1], [2, 3]], n_words=4, dim=8)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(ppmi_svd_embeddings([[0, 1]], n_words=2, dim=4), axis=1), 1.0)


def test_ppmi_svd_rejects_bad_arguments():
    with pytest.raises(StructNLPError, match="word ids must lie in range"):
        ppmi_svd_embeddings([[0, 9]], 5, 2)
    with pytest.raises(StructNLPError, match="dim must be an int >= 1"):
        ppmi_svd_embeddings([[0, 1]], 5, 0)
    assert not ppmi_svd_embeddings([[0], [1]], 3, 2).any()  # nothing co-occurs


def test_read_word2vec_text_formats(tmp_path):
    glove = tmp_path / "glove.txt"  # no header line
    glove.write_text("the 0.1 0.2\nfruit 1 -1\nthe 9 9\n", encoding="utf-8")
    vectors, found = read_word2vec_text(glove, ["fruit", "the", "zebra"])
    np.testing.assert_allclose(vectors, [[1, -1], [0.1, 0.2], [0, 0]], rtol=1e-6)  # first "the" wins
    assert found.tolist() == [True, True, False]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no word vectors"),
        ("apple\n", "line 1: a word without numbers"),
        ("apple 1 x\n", "line 1: not a number in the vector of 'apple'"),
        ("apple 1 nan\n", "line 1: the vector of 'apple' holds NaN"),
    ],
)
def test_read_word2vec_text_errors_name_the_line(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusFormatError, match=message):
        read_word2vec_text(path, ["apple"])


def test_non_utf8_vector_files_name_file_and_line(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("apple 1 2\ncaf\xe9 3 4\n".encode("latin-1"))
    with pytest.raises(CorpusFormatError, match="latin1.txt, line 2"):
        read_word2vec_text(path, ["apple"])


def test_the_vector_script_writes_a_file_ctx_docnade_reads(shared_data, tmp_path):
    repo = Path(__file__).resolve().parent.parent
    out = tmp_path / "vectors.txt.gz"
    run = subprocess.run(
        [sys.executable, "scripts/make_word_vectors.py", "--out", str(out), "--root", str(shared_data),
         "--max-articles", "300", "--max-words", "400", "--dim", "16"],
        capture_output=True, text=True, cwd=repo,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    vectors, found = read_word2vec_text(out, ["the", "of", "zzzz-not-a-word"])
    assert found.tolist() == [True, True, False] and vectors.shape == (3, 16)
    assert abs(float(vectors[0] @ vectors[0]) - 1.0) < 1e-3  # unit-length rows
