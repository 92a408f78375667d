"""The spaCy component: results survive serialisation and line up with the sentences."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

spacy = pytest.importorskip("spacy")

from spacy.tokens import Doc, DocBin  # noqa: E402

from parsing.spacy_component import add_to_pipeline  # noqa: E402


@pytest.fixture(scope="module")
def nlp():
    nlp = spacy.blank("en")
    add_to_pipeline(nlp, model="default")
    return nlp


def test_parsed_docs_serialise_like_any_doc(nlp):
    """``nlp.pipe(n_process=2)`` and ``DocBin`` ship docs as ``doc.to_bytes()``: the results must survive."""
    doc = nlp("The cat sat on the mat.")
    again = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert again._.induced_parses == doc._.induced_parses
    assert [t._.induced_head.i for t in again] == [t._.induced_head.i for t in doc]
    bin_ = DocBin(store_user_data=True, docs=[doc])
    (back,) = DocBin(store_user_data=True).from_bytes(bin_.to_bytes()).get_docs(nlp.vocab)
    assert back[:]._.induced_tree == doc[:]._.induced_tree


def test_n_process_works_with_linux_fork_after_the_parent_has_parsed():
    """Forked workers used to hang in torch's inherited OpenMP pool (the parent had parsed)."""
    script = textwrap.dedent(
        """
        import multiprocessing, spacy
        from parsing.spacy_component import add_to_pipeline
        multiprocessing.set_start_method("fork", force=True)
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        add_to_pipeline(nlp)
        alone = [t._.induced_head.i for t in nlp("The cat sat on the mat. It was happy.")]
        docs = list(nlp.pipe(["The cat sat on the mat. It was happy."] * 8, n_process=2, batch_size=2))
        assert all([t._.induced_head.i for t in d] == alone for d in docs)
        print("parsed", len(docs))
        """
    )
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root,
        start_new_session=True,  # so that a hang can be ended with its forked workers
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("nlp.pipe(n_process=2) under fork hung for 180 s")
    assert proc.returncode == 0, err[-2000:]
    assert out.split() == ["parsed", "8"]


def test_a_whitespace_sentence_does_not_shift_the_trees(nlp):
    doc = Doc(nlp.vocab, words=["a", "dog", "\n\n", "cats", "sleep"], sent_starts=[1, 0, 1, 1, 0])
    doc = nlp(doc)
    assert len(doc._.induced_parses) == 2
    sentences = list(doc.sents)
    assert sentences[0]._.induced_tree.leaves() == ["a", "dog"]
    assert sentences[1]._.induced_tree is None  # whitespace only: not parsed
    assert sentences[2]._.induced_tree.leaves() == ["cats", "sleep"]


def test_empty_doc(nlp):
    doc = nlp("")
    assert doc._.induced_parses == [] and doc[:]._.induced_tree is None


def test_merged_tokens_holding_spaces_are_parsed(nlp):
    """``merge_entities`` makes tokens such as 'New York': the pipeline must not fail on them."""
    doc = nlp.make_doc("I love New York today")
    with doc.retokenize() as retokenizer:
        retokenizer.merge(doc[2:4])
    doc = nlp(doc)
    assert doc._.induced_parses[0].tokens == ["I", "love", "New_York", "today"]
    assert doc[2]._.induced_head is not None
