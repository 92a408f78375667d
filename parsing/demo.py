"""The parsing section of ``structnlp demo``: a sentence by by the shipped StructFormer and ReCAT parsers."""

from __future__ import annotations

import time

SENTENCE = "The old man who lived by the sea sold his boat to a young fisherman in the spring."


def draw(tree) -> str:
    """The tree as an indented ASCII outline, one node a line, children below their parent.

    >>> from structnlp.trees import from_brackets
    >>> print(draw(from_brackets("((the cat) sat)")))
    X
    +-- X
    |   +-- the
    |   `-- cat
    `-- sat
    """
    lines = [tree.label()]
    stack = [(child, "", i == len(tree) - 1) for i, child in reversed(list(enumerate(tree)))]
    while stack:
        node, prefix, last = stack.pop()
        text = node if isinstance(node, str) else node.label()
        lines.append(f"{prefix}{'`-- ' if last else '+-- '}{text}")
        if not isinstance(node, str):
            inner = prefix + ("    " if last else "|   ")
            stack.extend((child, inner, i == len(node) - 1) for i, child in reversed(list(enumerate(node))))
    return "\n".join(lines)


def run(quiet: bool = False) -> None:
    """Parse :data:`SENTENCE` with ``load_parser("default")``, print its tree, brackets and heads,
    then ReCAT's tree (``load_parser("default-recat")``).

    ``quiet`` is accepted for the demo interface (parsing shows no progress bar).
    """
    from parsing import load_parser

    start = time.perf_counter()
    parser = load_parser("default", device="cpu")
    result = parser.parse(SENTENCE)
    seconds = time.perf_counter() - start
    n_parameters = sum(p.numel() for p in parser.module_.parameters())
    print(
        f"Shipped parser: StructFormer, {n_parameters / 1e6:.1f}M parameters, {len(parser.vocabulary_)}"
        f" words, trained without any treebank (masked language modelling on raw text); parsed in"
        f" {seconds:.1f} s."
    )
    print(f"\n{SENTENCE}\n\nInduced constituency tree (punctuation re-attached after parsing):")
    print(draw(result.tree))
    print(f"\nBrackets: {result.to_brackets()}")
    print("\nInduced dependencies (head <- word):")
    for token, head in zip(result.tokens, result.heads, strict=True):
        print(f"  {token:<10} <- {'ROOT' if head == 0 else result.tokens[head - 1]}")
    _show_recat()


def _show_recat() -> None:
    """The same sentence by the shipped ReCAT parser, beside StructFormer's brackets."""
    from parsing import load_parser
    from structnlp.errors import StructNLPError

    try:
        recat = load_parser("default-recat", device="cpu")
    except StructNLPError as exc:
        print(f"\n(no ReCAT parser in this installation: {exc})")
        return
    result = recat.parse(SENTENCE)
    print("\nThe shipped ReCAT parser (recursive composition, inside-outside layers) on the same sentence:")
    print(draw(result.tree))
    print(f"\nBrackets: {result.to_brackets()}")
