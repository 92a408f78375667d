"""What every parser of the package shares with its users: results, evaluation, loading.

* :class:`ParseResult` — one parsed sentence: its tokens, a binary :class:`nltk.Tree` whose
  leaves are exactly those tokens, and dependency heads (1-based, 0 = root; ``None`` for a
  parser that induces no dependencies), written out as brackets, CoNLL-U or JSON;
* :func:`evaluate_trees` — unlabeled bracket F1 by the Kim et al. (2019) protocol and
  directed/undirected attachment, from :mod:`structnlp.metrics`;
* :func:`load_parser` — read any parser saved by ``save()`` (StructFormer or ReCAT), or the
  parsers shipped with the package (``"default"``, ``"default-recat"``).

This module imports nltk (for :class:`nltk.Tree`) but not torch.
"""

from __future__ import annotations

import importlib
import json
import numbers
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nltk import Tree

from structnlp.errors import ModelFileError, StructNLPError
from structnlp.modelio import read_model_class
from structnlp.trees import clean_ptb_tree, from_brackets, to_brackets

__all__ = ["MODELS_DIR", "SHIPPED_MODELS", "ParseResult", "evaluate_trees", "load_parser", "model_path"]

#: Folder of the parsers shipped with the package.
MODELS_DIR = Path(__file__).resolve().parent / "models"
#: Names accepted by :func:`load_parser` for the shipped parsers, and their folders.
SHIPPED_MODELS = {"default": "structformer-default", "default-recat": "recat-default"}
#: ``model_class`` recorded in a saved parser -> (module, class) that loads it.
PARSER_CLASSES = {
    "StructFormerParser": ("parsing.structformer", "StructFormerParser"),
    "ReCATParser": ("parsing.recat", "ReCATParser"),
}
#: How brackets inside tokens are written in bracket strings (the treebank convention).
_BRACKET_ESCAPES = str.maketrans({"(": "-LRB-", ")": "-RRB-"})


@dataclass
class ParseResult:
    """One parsed sentence.

    ``tokens`` are the sentence's tokens as given (or as the tokenizer cut a string);
    ``tree`` is a binary :class:`nltk.Tree` labelled ``"X"`` whose leaves are exactly
    ``tokens``, in order; ``heads[i]`` is the 1-based index of the head of token ``i + 1``,
    0 for the single root, or ``heads`` is ``None`` for a parser without dependencies.

    >>> r = ParseResult(["the", "cat", "sat"], from_brackets("((the cat) sat)"), [2, 3, 0])
    >>> r.to_brackets()
    '((the cat) sat)'
    >>> print(r.to_conllu(), end="")
    # text = the cat sat
    # tree = ((the cat) sat)
    1	the	_	_	_	_	2	_	_	_
    2	cat	_	_	_	_	3	_	_	_
    3	sat	_	_	_	_	0	root	_	_
    <BLANKLINE>
    >>> ParseResult.from_dict(r.to_dict()) == r
    True
    """

    tokens: list[str]
    tree: Tree
    heads: list[int] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.tokens, str) or not all(isinstance(t, str) and t for t in self.tokens):
            raise StructNLPError("ParseResult.tokens must be a list of non-empty str")
        self.tokens = list(self.tokens)
        if not isinstance(self.tree, Tree):
            raise StructNLPError(f"ParseResult.tree must be an nltk.Tree, got {type(self.tree).__name__}")
        if self.tree.leaves() != self.tokens:
            raise StructNLPError("ParseResult.tree: its leaves must be exactly the tokens, in order")
        if self.heads is not None:
            heads = list(self.heads)
            if not all(isinstance(h, numbers.Integral) and not isinstance(h, bool) for h in heads):
                raise StructNLPError(f"ParseResult.heads must be ints, got {self.heads!r}")
            heads = [int(h) for h in heads]
            n = len(self.tokens)
            if len(heads) != n or any(not 0 <= h <= n or h == i for i, h in enumerate(heads, 1)):
                raise StructNLPError(f"ParseResult.heads must hold one head in 0..{n} per token, not itself")
            if heads.count(0) != 1:
                raise StructNLPError("ParseResult.heads must have exactly one root (head 0)")
            cycle = _cycle(heads)
            if cycle:
                raise StructNLPError(f"ParseResult.heads form a cycle (tokens {cycle}), not a tree")
            self.heads = heads

    def __len__(self) -> int:
        return len(self.tokens)

    def to_brackets(self) -> str:
        """The tree on one line, unlabeled: ``((the cat) sat)``.

        Brackets are written ``-LRB-`` and ``-RRB-`` as in treebanks, also inside a token
        (``f(x)`` -> ``f-LRB-x-RRB-``, ``:)`` -> ``:-RRB-``), so that pre-tokenized text, URLs
        and emoticons can always be written; :meth:`from_dict` gets the tokens back from
        ``tokens``.

        >>> ParseResult(["(", "hi", ")"], Tree("X", [Tree("X", ["(", "hi"]), ")"])).to_brackets()
        '((-LRB- hi) -RRB-)'
        """
        tree = self.tree.copy(deep=True)
        for position in tree.treepositions("leaves"):
            tree[position] = tree[position].translate(_BRACKET_ESCAPES)
        return to_brackets(tree)

    def to_conllu(self, sent_id: str | None = None) -> str:
        """The sentence as a CoNLL-U block (ID, FORM, HEAD and ``root`` filled in), blank line included.

        The tree goes into a ``# tree = ...`` comment. Without heads, HEAD and DEPREL are ``_``.
        """
        if sent_id is not None and any(c in str(sent_id) for c in "\n\r"):
            raise StructNLPError(f"sent_id {sent_id!r} holds a line break; a CoNLL-U comment is one line")
        lines = [] if sent_id is None else [f"# sent_id = {sent_id}"]
        lines += [f"# text = {' '.join(self.tokens)}", f"# tree = {self.to_brackets()}"]
        for i, token in enumerate(self.tokens, start=1):
            if self.heads is None:
                head, rel = "_", "_"
            else:
                head, rel = str(self.heads[i - 1]), "root" if self.heads[i - 1] == 0 else "_"
            lines.append("\t".join((str(i), token, "_", "_", "_", "_", head, rel, "_", "_")))
        return "\n".join(lines) + "\n\n"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``tokens``, ``tree`` (bracket string) and ``heads`` (or None)."""
        return {"tokens": list(self.tokens), "tree": self.to_brackets(), "heads": self.heads}

    def to_json(self) -> str:
        """:meth:`to_dict` as a one-line JSON string."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParseResult:
        """Rebuild a result from :meth:`to_dict` (the tree's leaves are the tokens again)."""
        try:
            tokens, brackets, heads = data["tokens"], data["tree"], data.get("heads")
        except (KeyError, TypeError, AttributeError) as exc:
            raise StructNLPError(f"not a parse result dict (needs tokens, tree, heads): {exc!r}") from None
        if not isinstance(tokens, (list, tuple)) or not isinstance(brackets, str):
            raise StructNLPError(
                "a parse result dict holds tokens as a list and tree as a bracket string, got "
                f"{type(tokens).__name__} and {type(brackets).__name__}"
            )
        tokens = list(tokens)
        tree = from_brackets(brackets)
        for position, token in zip(tree.treepositions("leaves"), tokens, strict=False):
            tree[position] = token
        return cls(tokens, tree, heads)


def _cycle(heads: list[int]) -> list[int]:
    """The tokens (1-based) of a cycle of ``heads``, or ``[]`` when every token reaches the root."""
    reaches_root = [True] + [False] * len(heads)
    for start in range(1, len(heads) + 1):
        path: list[int] = []
        on_path: set[int] = set()
        node = start
        while not reaches_root[node]:
            if node in on_path:
                return sorted(path[path.index(node) :])
            path.append(node)
            on_path.add(node)
            node = heads[node - 1]
        for node in path:
            reaches_root[node] = True
    return []


# --------------------------------------------------------------------------- evaluation


def _as_tree(item: Any, k: int) -> Tree:
    if isinstance(item, ParseResult):
        return item.tree
    if isinstance(item, Tree):
        return item
    raise StructNLPError(
        f"predicted sentence {k}: expected a ParseResult or an nltk.Tree, got {type(item).__name__}"
    )


def _gold_heads_of(item: Any, k: int) -> list[int]:
    heads = getattr(item, "heads", item)
    if isinstance(heads, (str, bytes)) or not isinstance(heads, Sequence):
        raise StructNLPError(
            f"gold sentence {k}: expected heads (a list of ints, a CoNLL-U Sentence or a .dp sentence),"
            f" got {type(item).__name__}"
        )
    return list(heads)


def _check_same_words(predicted: list[str] | None, gold: Any, k: int) -> None:
    """Refuse a prediction over other words than its gold sentence (evalb's "words mismatch").

    Sentences of different lengths are left to the metrics, which name both lengths; equal
    lengths with other words mean misaligned inputs, which would otherwise be scored silently.
    """
    gold_words = gold.leaves() if isinstance(gold, Tree) else getattr(gold, "words", None)
    if predicted is None or gold_words is None or len(predicted) != len(gold_words):
        return
    for i, (word, gold_word) in enumerate(zip(predicted, gold_words, strict=True), start=1):
        if word != gold_word:
            raise StructNLPError(
                f"predicted sentence {k} is not over the words of gold sentence {k}: word {i} is {word!r},"
                f" gold {gold_word!r}; parse the gold words (punctuation removed) in the gold order"
            )


def evaluate_trees(
    predicted: Sequence[ParseResult | Tree],
    gold: Sequence[Any] | None = None,
    *,
    gold_heads: Sequence[Any] | None = None,
) -> dict[str, float]:
    """Score parses against gold trees and/or gold dependency heads.

    ``gold`` holds one item per sentence: an :class:`nltk.Tree` (constituency; cleaned with
    :func:`structnlp.trees.clean_ptb_tree` first, which leaves a clean tree unchanged) or, for
    dependencies only, a head list / CoNLL-U :class:`~structnlp.corpus.Sentence` / ``.dp``
    sentence. ``gold_heads`` gives heads beside gold trees. Predicted parses must be over the
    same words as the (cleaned) gold sentences, or :class:`StructNLPError` names the first
    difference: to follow the Kim et al. (2019) protocol, parse the words that remain after
    punctuation is removed.

    Returns the keys of :func:`structnlp.metrics.bracket_f1` (``sentence_f1``, ``corpus_f1``,
    ...) when the gold items are trees, and ``directed``, ``undirected`` and ``n_words`` of
    :func:`structnlp.metrics.attachment_score` when gold heads are given and the predictions
    have heads. All scores are fractions in [0, 1].

    >>> gold = [from_brackets("((the cat) (sat (on (the mat))))")]
    >>> pred = [ParseResult("the cat sat on the mat".split(),
    ...                     from_brackets("(the (cat (sat (on (the mat)))))"), [2, 3, 0, 3, 6, 4])]
    >>> scores = evaluate_trees(pred, gold, gold_heads=[[2, 3, 0, 3, 6, 4]])
    >>> round(scores["sentence_f1"], 2), scores["directed"], scores["undirected"]
    (0.75, 1.0, 1.0)
    """
    from structnlp.metrics import attachment_score, bracket_f1

    if isinstance(predicted, (Tree, ParseResult, str)):
        raise StructNLPError("predicted must be a sequence of parses (one per sentence)")
    predicted = list(predicted)
    if gold is None and gold_heads is None:
        raise StructNLPError("evaluate_trees needs gold trees or gold_heads")
    scores: dict[str, float] = {}
    if gold is not None:
        if isinstance(gold, (Tree, str)):
            raise StructNLPError("gold must be a sequence of sentences (one tree or head list each)")
        gold = list(gold)
        if gold and all(isinstance(g, Tree) for g in gold):
            trees = [_as_tree(p, k) for k, p in enumerate(predicted)]
            cleaned = [clean_ptb_tree(g) for g in gold]
            for k, (tree, gold_tree) in enumerate(zip(trees, cleaned, strict=False)):
                _check_same_words(tree.leaves(), gold_tree, k)
            scores.update(bracket_f1(trees, cleaned))
        elif gold_heads is None:
            gold_heads = gold
        else:
            raise StructNLPError("gold holds non-tree items and gold_heads is given too; pass one of them")
    if gold_heads is not None:
        gold_heads = list(gold_heads)
        gold_list = [_gold_heads_of(g, k) for k, g in enumerate(gold_heads)]
        missing = [k for k, p in enumerate(predicted) if not isinstance(p, ParseResult) or p.heads is None]
        if missing:
            raise StructNLPError(
                f"gold heads given but predicted sentence {missing[0]} has no heads "
                "(a ParseResult with heads is needed for attachment scores)"
            )
        for k, (p, g) in enumerate(zip(predicted, gold_heads, strict=False)):
            _check_same_words(p.tokens, g, k)
        scores.update(attachment_score([p.heads for p in predicted], gold_list))
    return scores


# --------------------------------------------------------------------------- loading


def model_path(name: str | os.PathLike) -> Path:
    """The model directory that ``name`` designates: a shipped name or a path.

    >>> model_path("default").name
    'structformer-default'
    """
    if isinstance(name, str) and name in SHIPPED_MODELS:
        path = MODELS_DIR / SHIPPED_MODELS[name]
        if not (path / "config.json").is_file():
            raise ModelFileError(
                f"the shipped parser {name!r} is not installed (no {path}); reinstall structnlp, or"
                " train one with `structnlp parse train` and pass its directory"
            )
        return path
    if not isinstance(name, (str, os.PathLike)) or name == "":
        raise StructNLPError(f"expected a model directory or one of {sorted(SHIPPED_MODELS)}, got {name!r}")
    path = Path(name)
    if not path.exists():
        shipped = ", ".join(map(repr, SHIPPED_MODELS))
        raise ModelFileError(f"{name}: no such model directory (the shipped parsers are {shipped})")
    return path


def load_parser(path_or_name: str | os.PathLike = "default", *, device: str | None = None) -> Any:
    """Load a parser saved by ``save()`` (StructFormer or ReCAT), or a shipped one by name.

    ``"default"`` is the StructFormer parser shipped with the package, ``"default-recat"``
    the ReCAT one; ``device`` overrides the saved device setting (``"cpu"``, ``"cuda"``).

    >>> p = load_parser("default", device="cpu")
    >>> type(p).__name__, p.parse("the cat sat on the mat").tokens
    ('StructFormerParser', ['the', 'cat', 'sat', 'on', 'the', 'mat'])
    """
    if device is not None and not isinstance(device, str):
        raise StructNLPError(f"device must be None or a string such as 'cpu' or 'cuda', got {device!r}")
    path = model_path(path_or_name)
    model_class = read_model_class(path)
    if model_class not in PARSER_CLASSES:
        raise ModelFileError(
            f"{path}: holds a {model_class!r} model, not a parser ({', '.join(sorted(PARSER_CLASSES))})"
        )
    module, name = PARSER_CLASSES[model_class]
    cls = getattr(importlib.import_module(module), name)
    return cls.load(path, device=device)
