"""Readable rules and per-document explanations of a Tsetlin Machine.

A clause is a conjunction of literals: features that must be present (``rash``) and
features that must be absent (``NOT fever``). Each clause belongs to a class and votes
*for* it or *against* it with an integer weight. :class:`Rule` is that clause in words;
:class:`Explanation` lists the clauses that fired on one document with their signed votes,
whose per-class sums are exactly the class sums the classifier computed, so a clinician
can check every point of a score.

>>> rule = Rule(class_="allergy", polarity="for", weight=7, positive=("rash", "penicillin"),
...             negated=("fever",))
>>> print(rule)
IF rash AND penicillin AND NOT fever THEN allergy  (for, weight 7)
>>> print(Rule(class_="allergy", polarity="against", weight=2, positive=("fever",)))
IF fever THEN NOT allergy  (against, weight 2)
"""

from __future__ import annotations

import html
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from structnlp.errors import StructNLPError
from structnlp.params import check_int

__all__ = ["Explanation", "FiredClause", "Rule", "explain_pipeline"]

#: How an empty clause (no literal included) is written; it never fires at prediction.
EMPTY_CONDITION = "<empty clause: never fires>"


def plain_value(value: Any) -> Any:
    """A numpy scalar (a class label, a cell of X) as a plain Python value, for JSON and messages.

    >>> import numpy as np
    >>> plain_value(np.int64(3)), plain_value(np.str_("allergy"))
    (3, 'allergy')
    """
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class Rule:
    """One clause as a rule: ``IF <literals> THEN [NOT] <class>  (<polarity>, weight <w>)``.

    ``positive`` are the features the clause requires present, ``negated`` those it
    requires absent; ``weight`` is the magnitude of its vote, ``polarity`` ``"for"`` or
    ``"against"`` its class. ``clause`` is its index among the class's clauses (the first
    half vote for the class). An empty clause is written with :data:`EMPTY_CONDITION`.
    """

    class_: Any
    polarity: str
    weight: int
    positive: tuple[str, ...] = ()
    negated: tuple[str, ...] = ()
    clause: int | None = None

    @property
    def n_literals(self) -> int:
        """Number of literals in the conjunction.

        >>> Rule("a", "for", 1, ("x",), ("y", "z")).n_literals
        3
        """
        return len(self.positive) + len(self.negated)

    @property
    def vote(self) -> int:
        """The signed vote the clause casts for its class when it fires.

        >>> Rule("a", "against", 3, ("x",)).vote
        -3
        """
        return self.weight if self.polarity == "for" else -self.weight

    def condition(self, max_literals: int | None = None) -> str:
        """The ``IF`` part; with ``max_literals`` the rest is summarized as ``(+N more)``.

        Text clauses often include many negated words; a cap keeps a rule on one line.

        >>> Rule("a", "for", 1, ("x",), ("y", "z")).condition(max_literals=2)
        'x AND NOT y AND ... (+1 more)'
        >>> Rule("a", "for", 1).condition()
        '<empty clause: never fires>'
        """
        check_int("max_literals", max_literals, 0, allow_none=True)  # a negative cap miscounts the rest
        terms = list(self.positive) + [f"NOT {name}" for name in self.negated]
        if not terms:
            return EMPTY_CONDITION
        if max_literals is not None and len(terms) > max_literals:
            hidden = len(terms) - max_literals
            terms = terms[:max_literals] + [f"... (+{hidden} more)"]
        return " AND ".join(terms)

    def to_text(self, max_literals: int | None = None) -> str:
        """The rule on one line (``str(rule)`` shows every literal).

        >>> Rule("flu", "for", 4, ("fever", "cough")).to_text()
        'IF fever AND cough THEN flu  (for, weight 4)'
        """
        then = self.class_ if self.polarity == "for" else f"NOT {self.class_}"
        return f"IF {self.condition(max_literals)} THEN {then}  ({self.polarity}, weight {self.weight})"

    def __str__(self) -> str:
        return self.to_text()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields of the rule.

        >>> Rule("flu", "for", 4, ("fever",), clause=0).to_dict()["positive"]
        ['fever']
        """
        return {
            "class": plain_value(self.class_),
            "polarity": self.polarity,
            "weight": int(self.weight),
            "positive": list(self.positive),
            "negated": list(self.negated),
            "clause": None if self.clause is None else int(self.clause),
        }


@dataclass(frozen=True)
class FiredClause:
    """A clause that fired on a document: its class, its signed vote and its rule."""

    class_: Any
    vote: int
    rule: Rule


@dataclass
class Explanation:
    """Why a document got its class: every class's score and the clauses behind it.

    ``scores`` maps each class to its class sum; ``clauses`` are the clauses that fired,
    grouped by class (in the classifier's class order) and, within a class, by decreasing
    absolute vote. For every class, the votes of its fired clauses sum exactly to its score.
    ``decision`` is the value of ``decision_function`` for the document (for two classes,
    the score of the second class minus that of the first; otherwise the list of scores).

    >>> r1 = Rule("flu", "for", 3, ("fever",)); r2 = Rule("cold", "against", 1, ("fever",))
    >>> e = Explanation("flu", {"cold": -1, "flu": 3},
    ...                 [FiredClause("cold", -1, r2), FiredClause("flu", 3, r1)], decision=4)
    >>> print(e.to_text())
    predicted: flu
    scores: cold -1, flu 3
    cold: -1
      -1  IF fever THEN NOT cold  (against, weight 1)
    flu: +3
      +3  IF fever THEN flu  (for, weight 3)
    """

    predicted: Any
    scores: dict[Any, int]
    clauses: list[FiredClause] = field(default_factory=list)
    decision: Any = None

    def votes_by_class(self) -> dict[Any, int]:
        """Sum of the fired clauses' votes per class (equal to :attr:`scores`).

        >>> Explanation("a", {"a": 0, "b": 0}).votes_by_class()
        {'a': 0, 'b': 0}
        """
        totals = {c: 0 for c in self.scores}
        for fired in self.clauses:
            totals[fired.class_] += fired.vote
        return totals

    def to_text(self, max_literals: int | None = 12) -> str:
        """Plain text: the prediction, the scores, then each class's fired clauses."""
        lines = [
            f"predicted: {self.predicted}",
            "scores: " + ", ".join(f"{c} {s}" for c, s in self.scores.items()),
        ]
        for c, score in self.scores.items():
            lines.append(f"{c}: {score:+d}")
            for fired in self.clauses:
                if fired.class_ == c:
                    lines.append(f"  {fired.vote:+d}  {fired.rule.to_text(max_literals)}")
        return "\n".join(lines)

    def to_markdown(self, max_literals: int | None = 12) -> str:
        """Markdown: a score table, then one table of fired clauses per class.

        >>> e = Explanation("flu", {"flu": 2}, [FiredClause("flu", 2, Rule("flu", "for", 2, ("fever",)))])
        >>> print(e.to_markdown())
        **Predicted:** flu
        <BLANKLINE>
        | class | score |
        |---|---:|
        | flu | 2 |
        <BLANKLINE>
        ### flu (score 2)
        <BLANKLINE>
        | vote | rule |
        |---:|---|
        | +2 | IF fever THEN flu  (for, weight 2) |
        """
        out = [f"**Predicted:** {markdown_text(self.predicted)}", "", "| class | score |", "|---|---:|"]
        out += [f"| {markdown_text(c)} | {s} |" for c, s in self.scores.items()]
        for c, score in self.scores.items():
            fired = [f for f in self.clauses if f.class_ == c]
            out += ["", f"### {markdown_text(c)} (score {score})", ""]
            if not fired:
                out.append("No clause fired.")
                continue
            out += ["| vote | rule |", "|---:|---|"]
            out += [f"| {f.vote:+d} | {markdown_text(f.rule.to_text(max_literals))} |" for f in fired]
        return "\n".join(out)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (every literal included).

        >>> Explanation("a", {"a": 1, "b": 0}).to_dict()["scores"]
        [{'class': 'a', 'score': 1}, {'class': 'b', 'score': 0}]
        """
        decision = self.decision
        if isinstance(decision, (np.ndarray, list, tuple)):
            decision = [plain_value(v) for v in decision]
        else:
            decision = plain_value(decision)
        return {
            "predicted": plain_value(self.predicted),
            "decision": decision,
            "scores": [{"class": plain_value(c), "score": int(s)} for c, s in self.scores.items()],
            "clauses": [
                {
                    "class": plain_value(f.class_),
                    "vote": int(f.vote),
                    "rule": f.rule.to_dict(),
                    "text": str(f.rule),
                }
                for f in self.clauses
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The :meth:`to_dict` content as a JSON string (UTF-8 text, not ASCII-escaped).

        >>> import json
        >>> json.loads(Explanation("a", {"a": 1}).to_json())["predicted"]
        'a'
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_html(self, document: str, **options: Any) -> str:
        """A self-contained HTML report of ``document`` for a clinician.

        The words that voted for / against the predicted class are highlighted; ``options``
        go to :func:`tsetlin.report.render_html` (``featurizer``, ``rules``, ``title``, ...).

        >>> e = Explanation("flu", {"flu": 2}, [FiredClause("flu", 2, Rule("flu", "for", 2, ("fever",)))])
        >>> page = e.to_html("Fever <b>today</b>")
        >>> '<mark class="vote-for"' in page, "&lt;b&gt;today&lt;/b&gt;" in page
        (True, True)
        """
        from tsetlin.report import render_html

        return render_html(self, document, **options)


def markdown_text(value: Any) -> str:
    """Markdown-safe text: HTML such as ``<script>`` in a label or word is shown, never rendered,
    and ``|``, ``*``, ``_``, backticks and brackets neither break a table cell nor make markup.

    >>> print(markdown_text("<b>a|b</b> *x*"))
    &lt;b&gt;a\\|b&lt;/b&gt; \\*x\\*
    """
    text = html.escape(str(value), quote=False)  # entities: shown as text by every Markdown flavour
    for char in "\\`*_[]|":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")


def explain_pipeline(pipeline: Any, document: Any) -> Explanation:
    """Explain one raw document through a fitted ``make_pipeline(featurizer..., tsetlin)``.

    The feature names come from the steps before the classifier
    (``get_feature_names_out``), so the rules read in words.

    >>> from sklearn.pipeline import make_pipeline
    >>> from structnlp.features import BooleanBagOfWords
    >>> from tsetlin import TsetlinMachineClassifier
    >>> docs = ["fever cough", "rash itch", "fever cough ache", "rash itch red"] * 5
    >>> pipe = make_pipeline(BooleanBagOfWords(), TsetlinMachineClassifier(
    ...     n_clauses=4, threshold=4, specificity=3.0, n_epochs=5, random_state=0))
    >>> pipe = pipe.fit(docs, ["flu", "allergy", "flu", "allergy"] * 5)
    >>> explain_pipeline(pipe, "fever and cough").predicted
    'flu'
    """
    if not isinstance(document, str):
        raise StructNLPError(f"explain_pipeline explains one document (a str), got {type(document).__name__}")
    steps = getattr(pipeline, "steps", None)
    if not steps or len(steps) < 2:
        raise StructNLPError(
            "explain_pipeline needs a fitted Pipeline of featurizer step(s) then the classifier"
        )
    features, classifier = pipeline[:-1], pipeline[-1]
    if not hasattr(classifier, "explain"):
        raise StructNLPError(f"the last pipeline step ({type(classifier).__name__}) has no explain method")
    try:
        names = features.get_feature_names_out()
    except AttributeError as exc:  # a step without feature names (e.g. a FunctionTransformer)
        warnings.warn(
            f"explain_pipeline: the feature names are unknown ({exc}); rules name features x0, x1, ...",
            stacklevel=2,
        )
        names = None
    return classifier.explain(features.transform([document]), feature_names=names)


def feature_names_or_default(
    feature_names: Sequence[str] | None, n_features: int, fitted_names: Any
) -> list[str]:
    """The names to write in rules: given ones (checked), the fitted ones, or ``x0, x1, ...``.

    >>> feature_names_or_default(None, 3, None)
    ['x0', 'x1', 'x2']
    """
    if feature_names is None:
        if fitted_names is not None:
            return [str(n) for n in fitted_names]
        return [f"x{i}" for i in range(n_features)]
    if isinstance(feature_names, str):
        raise StructNLPError("feature_names must be a sequence of names, got a single str")
    names = [str(n) for n in feature_names]
    if len(names) != n_features:
        raise StructNLPError(
            f"feature_names has {len(names)} names but the classifier was fitted on {n_features} features"
        )
    return names
