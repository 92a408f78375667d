"""The induced parse in spaCy: a pipeline component that adds trees and heads to a ``Doc``.

Importing this module registers the factory ``"structnlp_parser"`` and these extensions:

* ``Doc._.induced_parses`` — one :class:`parsing.ParseResult` per sentence (``doc.sents``
  when the pipeline sets sentence boundaries, else the whole ``Doc`` as one sentence), over
  the sentence's tokens without whitespace tokens; a token holding spaces (an entity merged
  by ``merge_entities``, say) is passed as its words joined by ``_`` (``New_York``);
* ``Span._.induced_tree`` — for a sentence span, its binary :class:`nltk.Tree` (leaves are the
  token texts);
* ``Token._.induced_head`` — the token's head (a :class:`spacy.tokens.Token`); the root is its
  own head, as in spaCy; whitespace tokens get ``None``.

spaCy's own ``token.head`` / ``token.dep_`` are left alone, so the component can sit beside a
trained dependency parser for comparison.

>>> import spacy
>>> from parsing.spacy_component import add_to_pipeline
>>> nlp = spacy.blank("en")
>>> _ = add_to_pipeline(nlp, model="default")
>>> doc = nlp("The cat sat on the mat.")
>>> doc._.induced_parses[0].tree.leaves() == [t.text for t in doc]
True
>>> sum(t._.induced_head == t for t in doc)    # one root
1
"""

from __future__ import annotations

import os
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from parsing.api import ParseResult

__all__ = ["StructNLPParserComponent", "add_to_pipeline"]

FACTORY = "structnlp_parser"


#: ``doc.user_data`` keys of the results: plain lists and dicts, so that ``doc.to_bytes()``,
#: ``DocBin(store_user_data=True)`` and ``nlp.pipe(n_process=2)`` (which ships docs as bytes) work.
_PARSES_KEY = ("structnlp", "induced_parses")
_HEADS_KEY = ("structnlp", "induced_heads")


def _doc_parses(doc: Doc) -> list[ParseResult] | None:
    stored = doc.user_data.get(_PARSES_KEY)
    return None if stored is None else [ParseResult.from_dict(d) for d in stored]


def _span_tree(span: Span) -> Any:
    stored = span.doc.user_data.get(_PARSES_KEY) or []
    starts = [s.start for s in _sentences(span.doc) if any(not t.is_space for t in s)]
    for start, data in zip(starts, stored, strict=False):
        if start == span.start:
            return ParseResult.from_dict(data).tree
    return None


def _token_head(token: Token) -> Token | None:
    index = token.doc.user_data.get(_HEADS_KEY, {}).get(token.i)
    return None if index is None else token.doc[index]


for _cls, _name, _kwargs in (
    (Doc, "induced_parses", {"getter": _doc_parses}),
    (Span, "induced_tree", {"getter": _span_tree}),
    (Token, "induced_head", {"getter": _token_head}),
):
    if not _cls.has_extension(_name):
        _cls.set_extension(_name, **_kwargs)


def _sentences(doc: Doc) -> list[Span]:
    return list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]


class StructNLPParserComponent:
    """Runs a structnlp parser over each sentence of a ``Doc`` (see the module docstring)."""

    def __init__(self, nlp: Language, name: str, model: str, batch_size: int, device: str):
        from parsing.api import load_parser

        self.name = name
        self.parser = load_parser(model, device=device)
        self.batch_size = batch_size
        self._pid = os.getpid()

    def __call__(self, doc: Doc) -> Doc:
        if os.getpid() != self._pid:
            # A process forked by nlp.pipe(n_process=N) inherits torch's OpenMP thread pool
            # in a state that hangs its first parallel region; one thread per process is what
            # N processes want anyway, and it never enters that pool.
            import torch

            torch.set_num_threads(1)
            self._pid = os.getpid()
        spans, token_lists, indices = [], [], []
        for sent in _sentences(doc):
            kept = [t for t in sent if not t.is_space]
            if kept:
                spans.append(sent)
                token_lists.append(["_".join(t.text.split()) for t in kept])
                indices.append([t.i for t in kept])
        results = self.parser.parse_many(token_lists, batch_size=self.batch_size) if token_lists else []
        heads: dict[int, int] = {}
        for result, positions in zip(results, indices, strict=True):
            if result.heads is None:
                continue
            for position, head in zip(positions, result.heads, strict=True):
                heads[position] = position if head == 0 else positions[head - 1]
        doc.user_data[_PARSES_KEY] = [result.to_dict() for result in results]
        doc.user_data[_HEADS_KEY] = heads
        return doc


@Language.factory(FACTORY, default_config={"model": "default", "batch_size": 64, "device": "cpu"})
def make_component(
    nlp: Language, name: str, model: str, batch_size: int, device: str
) -> StructNLPParserComponent:
    """spaCy factory of :class:`StructNLPParserComponent` (``nlp.add_pipe("structnlp_parser")``)."""
    return StructNLPParserComponent(nlp, name, model, batch_size, device)


def add_to_pipeline(
    nlp: Language, model: str | os.PathLike = "default", *, batch_size: int = 64, device: str = "cpu"
) -> StructNLPParserComponent:
    """Append the induced parser to ``nlp`` (after the sentence splitter, if any) and return it."""
    return nlp.add_pipe(FACTORY, config={"model": str(model), "batch_size": batch_size, "device": device})
