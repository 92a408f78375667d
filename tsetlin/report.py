"""A self-contained HTML report of one explanation, written for a clinician.

The page shows the document with the words that voted for the predicted class in green
and those that voted against it in red (hover a word to see its rules), every class's
score, the rules that fired for each class and, when the model's rules are given, the
strongest rules of each class. It is one file with inline CSS, no script and no external
asset (a Content-Security-Policy forbids loading any), so it can be mailed or archived
with a patient record and opens offline; every piece of text is HTML-escaped.

Words are found with the featurizer's own analysis (tokenizer, lower-casing, stop words,
n-grams), so a highlighted word is exactly a feature the rules read; each word of an
n-gram feature is highlighted.

>>> from tsetlin.explain import Explanation, FiredClause, Rule
>>> e = Explanation("flu", {"allergy": 0, "flu": 3},
...                 [FiredClause("flu", 3, Rule("flu", "for", 3, ("fever",)))])
>>> page = render_html(e, "High FEVER since Monday.")
>>> '<mark class="vote-for" data-vote="+3" data-features="fever"' in page
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from structnlp._version import __version__
from structnlp.errors import StructNLPError
from structnlp.params import check_int
from tsetlin.explain import Explanation, FiredClause, Rule

__all__ = ["feature_spans", "render_html"]

Span = tuple[int, int]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 2rem auto;
       max-width: 60rem; padding: 0 1rem; color: #1f2328; background: #fff; line-height: 1.5; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; }
.predicted { font-size: 1.1rem; }
.predicted strong { background: #ddf4ff; padding: .1rem .4rem; border-radius: .25rem; }
.document { white-space: pre-wrap; border: 1px solid #d0d7de; border-radius: .4rem; padding: 1rem;
            background: #f6f8fa; font-size: 1.05rem; }
mark { padding: 0 .1rem; border-radius: .2rem; color: inherit; cursor: help; }
mark.vote-for { background: #aceebb; border-bottom: 2px solid #1a7f37; }
mark.vote-against { background: #ffcecb; border-bottom: 2px dashed #cf222e; }
mark.vote-mixed { background: #fff1a8; border-bottom: 2px dotted #9a6700; }
.legend { display: flex; gap: 1.5rem; flex-wrap: wrap; margin: .75rem 0; font-size: .95rem; }
.note { color: #59636e; font-size: .9rem; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.winner td { font-weight: 600; }
.bar { display: inline-block; height: .8rem; border-radius: .15rem; vertical-align: middle; }
.bar.pos { background: #2da44e; } .bar.neg { background: #cf222e; }
td.barcell { width: 10rem; }
.chip { display: inline-block; font-size: .85rem; padding: 0 .35rem; margin: .1rem 0; border-radius: .6rem; }
.chip.pos { background: #dafbe1; color: #116329; } .chip.neg { background: #ffebe9; color: #a40e26; }
.chip.zero { background: #eaeef2; }
details { margin: .5rem 0; } summary { cursor: pointer; font-weight: 600; }
.rule { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; }
footer { margin-top: 2.5rem; color: #59636e; font-size: .85rem; }
"""


def _lowered(text: str) -> tuple[str, list[int] | None]:
    """``text.lower()`` (what the featurizer tokenizes) and, when lower-casing changed its length
    (``'İ'`` becomes two characters), the index in ``text`` of each lowered character."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered, None
    origin = [i for i, ch in enumerate(text) for _ in ch.lower()]
    return lowered, origin if len(origin) == len(lowered) else None


def feature_spans(text: str, featurizer: Any = None) -> dict[str, list[Span]]:
    """Every feature of ``text`` as ``featurizer`` makes it, with the character spans of its words.

    ``featurizer`` is a :class:`~structnlp.features.BooleanBagOfWords` (or
    ``CountBagOfWords``), fitted or not; by default ``BooleanBagOfWords()``. Its tokenizer
    runs on the (lower-cased) text and each token is located in it, so the spans point into
    the original text whatever its case; an n-gram feature lists the span of each of its
    words, at each place it occurs. Tokens a tokenizer rewrites (e.g. quotes) have no span.

    >>> from structnlp.features import BooleanBagOfWords
    >>> spans = feature_spans("Fever, then RASH and fever.", BooleanBagOfWords(ngram_range=(1, 2)))
    >>> spans["fever"], spans["then rash"]
    ([(0, 5), (21, 26)], [(7, 11), (12, 16)])
    """
    from structnlp.features import BooleanBagOfWords, CountBagOfWords, resolve_tokenizer, stop_word_set

    if not isinstance(text, str):
        raise StructNLPError(f"expected the document as str, got {type(text).__name__}")
    bow = BooleanBagOfWords() if featurizer is None else featurizer
    if not isinstance(bow, (BooleanBagOfWords, CountBagOfWords)):  # a CountVectorizer analyses otherwise
        raise StructNLPError(
            f"featurizer must be a BooleanBagOfWords or CountBagOfWords, got {type(bow).__name__}"
        )
    source, origin = _lowered(text) if bow.lowercase else (text, None)
    tokens = resolve_tokenizer(bow.tokenizer, type(bow).__name__)(source)
    stop = stop_word_set(bow.stop_words)
    kept: list[tuple[str, Span | None]] = []
    position = 0
    for token in tokens:
        start = source.find(token, position)
        span = None
        if start >= 0 and token:
            position = start + len(token)
            span = (start, position) if origin is None else (origin[start], origin[position - 1] + 1)
        if token not in stop:  # stop words are dropped before n-grams, as the featurizer does
            kept.append((token, span))
    low, high = (int(n) for n in bow.ngram_range)
    out: dict[str, list[Span]] = {}
    for n in range(low, high + 1):
        for i in range(len(kept) - n + 1):
            words = kept[i : i + n]
            spans = out.setdefault(" ".join(word for word, _ in words), [])
            spans.extend(span for _, span in words if span is not None)
    return out


def _word_votes(
    explanation: Explanation, spans: dict[str, list[Span]]
) -> tuple[dict[Span, list[FiredClause]], list[str]]:
    """The predicted class's fired clauses behind each word span, and the rule words not found."""
    by_span: dict[Span, list[FiredClause]] = {}
    missing: list[str] = []
    for fired in explanation.clauses:
        if fired.class_ != explanation.predicted:
            continue
        for feature in fired.rule.positive:
            found = spans.get(feature, [])
            if not found and feature not in missing:
                missing.append(feature)
            for span in found:
                clauses = by_span.setdefault(span, [])
                if not any(c is fired for c in clauses):  # a clause counts once per word
                    clauses.append(fired)
    return by_span, missing


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _title(clauses: list[FiredClause], net: int, predicted: Any, max_literals: int | None) -> str:
    """Hover text of a highlighted word: its net vote and each rule behind it, one a line."""
    direction = "for" if net > 0 else "against" if net < 0 else "for and against (cancelling)"
    lines = [f"voted {direction} {predicted}: {net:+d}"]
    lines += [f"{c.vote:+d}  {c.rule.to_text(max_literals)}" for c in clauses]
    return _e("\n".join(lines)).replace("\n", "&#10;")


def _highlighted(
    text: str, by_span: dict[Span, list[FiredClause]], predicted: Any, max_literals: int | None
) -> str:
    out: list[str] = []
    end = 0
    for (start, stop), clauses in sorted(by_span.items()):
        if start < end:  # overlapping spans cannot come from one tokenization; keep the first
            continue
        net = sum(c.vote for c in clauses)
        kind = "for" if net > 0 else "against" if net < 0 else "mixed"
        features = sorted({f for c in clauses for f in c.rule.positive if f})
        out.append(_e(text[end:start]))
        out.append(
            f'<mark class="vote-{kind}" data-vote="{net:+d}" data-features="{_e(" | ".join(features))}"'
            f' title="{_title(clauses, net, predicted, max_literals)}">{_e(text[start:stop])}</mark>'
        )
        end = stop
    out.append(_e(text[end:]))
    return "".join(out)


def _class_words(explanation: Explanation, label: Any) -> list[tuple[str, int]]:
    """The present words (positive literals) behind a class's fired rules, with their net votes."""
    votes: dict[str, int] = {}
    for fired in explanation.clauses:
        if fired.class_ == label:
            for feature in fired.rule.positive:
                votes[feature] = votes.get(feature, 0) + fired.vote
    return sorted(votes.items(), key=lambda item: (-abs(item[1]), item[0]))


def _scores_table(explanation: Explanation, max_words: int = 8) -> list[str]:
    scale = max((abs(s) for s in explanation.scores.values()), default=0) or 1
    rows = [
        '<table class="scores">',
        '<tr><th>class</th><th class="num">score</th><th></th><th>words behind the score</th></tr>',
    ]
    for label, score in explanation.scores.items():
        winner = ' class="winner"' if label == explanation.predicted else ""
        width = round(100 * abs(score) / scale, 1)
        sign = "pos" if score >= 0 else "neg"
        words = _class_words(explanation, label)
        chips = " ".join(
            f'<span class="chip {"pos" if v > 0 else "neg" if v < 0 else "zero"}">{_e(w)} {v:+d}</span>'
            for w, v in words[:max_words]
        )
        if len(words) > max_words:
            chips += f' <span class="note">+{len(words) - max_words} more</span>'
        rows.append(
            f'<tr{winner}><td>{_e(label)}</td><td class="num">{score:+d}</td>'
            f'<td class="barcell"><span class="bar {sign}" style="width: {width}%"></span></td>'
            f"<td>{chips}</td></tr>"
        )
    rows.append("</table>")
    return rows


def _fired_tables(explanation: Explanation, max_literals: int | None, max_clauses: int | None) -> list[str]:
    out: list[str] = []
    for label, score in explanation.scores.items():
        fired = [f for f in explanation.clauses if f.class_ == label]
        is_open = " open" if label == explanation.predicted else ""
        plural = "" if len(fired) == 1 else "s"
        out.append(
            f'<details{is_open} class="fired" data-class="{_e(label)}"><summary>{_e(label)}: score '
            f"{score:+d} from {len(fired)} rule{plural}</summary>"
        )
        if not fired:
            out.append('<p class="note">No rule of this class fired.</p></details>')
            continue
        shown = fired if max_clauses is None else fired[:max_clauses]
        out.append('<table><tr><th class="num">vote</th><th>rule</th></tr>')
        out += [
            f'<tr><td class="num">{f.vote:+d}</td>'
            f'<td class="rule">{_e(f.rule.to_text(max_literals))}</td></tr>'
            for f in shown
        ]
        out.append("</table>")
        if len(shown) < len(fired):
            rest = fired[len(shown) :]
            total = sum(f.vote for f in rest)
            out.append(f'<p class="note">... and {len(rest)} more rules voting {total:+d} in all.</p>')
        out.append("</details>")
    return out


def _top_rules(rules: Sequence[Rule], classes: Sequence[Any], n: int, max_literals: int | None) -> list[str]:
    out = ['<p class="note">The heaviest rules voting <em>for</em> each class, over the whole model.</p>']
    for label in classes:
        best = sorted(
            (r for r in rules if r.class_ == label and r.polarity == "for" and r.n_literals),
            key=lambda r: (-r.weight, r.n_literals),
        )[:n]
        out.append(f"<h3>{_e(label)}</h3>")
        if not best:
            out.append('<p class="note">No rule.</p>')
            continue
        out.append('<table class="top-rules"><tr><th class="num">weight</th><th>rule</th></tr>')
        out += [
            f'<tr><td class="num">{r.weight}</td><td class="rule">{_e(r.to_text(max_literals))}</td></tr>'
            for r in best
        ]
        out.append("</table>")
    return out


def render_html(
    explanation: Explanation,
    text: str,
    *,
    featurizer: Any = None,
    rules: Sequence[Rule] | None = None,
    top_rules: int = 5,
    max_literals: int | None = 12,
    max_clauses: int | None = 25,
    title: str | None = None,
) -> str:
    """The HTML page explaining how ``text`` got its class (see the module docstring).

    ``explanation`` comes from ``classifier.explain`` or :func:`~tsetlin.explain_pipeline`
    for the same ``text``; ``featurizer`` is the one that made its features (default:
    ``BooleanBagOfWords()``), so that the highlighted words are the rules' features.
    ``rules`` (``classifier.rules(names)``) adds the ``top_rules`` heaviest rules of each
    class (none with 0). ``max_literals`` shortens long rules and ``max_clauses`` caps the fired rules
    listed per class (the rest is summed); ``None`` shows everything.
    """
    if not isinstance(explanation, Explanation):
        raise StructNLPError(f"render_html takes an Explanation, got {type(explanation).__name__}")
    check_int("top_rules", top_rules, 0)  # negative caps would slice from the end, dropping rows silently
    check_int("max_literals", max_literals, 0, allow_none=True)
    check_int("max_clauses", max_clauses, 0, allow_none=True)
    spans = feature_spans(text, featurizer)
    by_span, missing = _word_votes(explanation, spans)
    predicted = explanation.predicted
    heading = title if title is not None else f"Why this document was classified as {predicted}"
    body = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(heading)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(heading)}</h1>",
        f'<p class="predicted">Predicted class: <strong id="predicted">{_e(predicted)}</strong></p>',
        "<h2>Document</h2>",
        '<div class="legend">'
        f'<span><mark class="vote-for">word</mark> voted for {_e(predicted)}</span>'
        f'<span><mark class="vote-against">word</mark> voted against {_e(predicted)}</span>'
        '<span><mark class="vote-mixed">word</mark> for and against, cancelling</span></div>',
        '<p class="note">Hover a highlighted word to see the rules it appears in and their votes.</p>',
        f'<div class="document" id="document">{_highlighted(text, by_span, predicted, max_literals)}</div>',
    ]
    if missing:
        body.append(
            '<p class="note">Words of fired rules not found in the text (were the features made by '
            f"another featurizer?): {_e(', '.join(missing))}</p>"
        )
    body += ["<h2>Class scores</h2>"]
    body += [
        '<p class="note">A class\'s score is the sum of the votes of its rules that fired on this '
        "document; the highest score wins. The words are those the fired rules require present, with "
        "the votes of their rules (a rule of several words counts for each); every vote is listed below.</p>"
    ]
    body += _scores_table(explanation)
    body += ["<h2>Rules that fired</h2>"]
    body += _fired_tables(explanation, max_literals, max_clauses)
    if rules is not None and top_rules > 0:  # 0 leaves the section out rather than saying "No rule."
        body += ["<h2>Strongest rules of each class</h2>"]
        body += _top_rules(rules, list(explanation.scores), top_rules, max_literals)
    body += [
        f"<footer>Tsetlin Machine explanation by structnlp {_e(__version__)}. Rules read "
        "<em>IF words THEN class</em>; <em>NOT word</em> means the word is absent.</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(body) + "\n"
