"""The summarizer section of ``structnlp demo``: the shipped model on a short news story, with highlights."""

from __future__ import annotations

#: A short news story written for this demo (no third-party text is bundled).
STORY = """\
Rail fares in England will rise by an average of 4% in January, the Department for Transport has announced.
The increase is the largest for five years and will add more than £100 to many annual season tickets.
Passenger groups said the rise was unfair at a time when services were often late and overcrowded.
The government said the extra money would pay for new trains and longer platforms on busy routes.
Train operators said fares had to rise to cover the cost of running the network.
Regulated fares, which include most season tickets, are linked to the July rate of inflation.
Unions called for fares to be frozen and said they would protest outside main stations next week.
The rise will come into effect on 2 January."""


def _bar(score: float, width: int = 20) -> str:
    filled = round(max(0.0, min(1.0, score)) * width)
    return "#" * filled + "." * (width - filled)


def run(quiet: bool = False) -> None:
    """Summarize :data:`STORY` both ways with the default model and show what each summary used.

    ``quiet`` is accepted for the demo interface; nothing here shows progress bars.
    """
    from structnlp.errors import ModelFileError
    from summarize import lead_n, load_summarizer

    try:
        model = load_summarizer("default")
    except ModelFileError as exc:
        print(f"no default summarizer in this installation ({exc}).")
        return
    print(
        f"Default model: hierarchical NSE trained on {model.n_train_} BBC News Summary articles "
        f"({len(model.word_vocab_)}-word vocabulary). Input: a {len(STORY.split())}-word news story "
        "written for this demo."
    )
    extractive = model.summarize(STORY, mode="extractive", max_sentences=3)
    print(
        "\nSentence scores of the extractive head; * marks the highlights, the sentences expected to"
        " supply the most summary words (score x words):"
    )
    chosen = {i for i, _ in extractive.highlights}
    for i, (sentence, score) in enumerate(zip(extractive.sentences, extractive.scores, strict=True)):
        mark = "*" if i in chosen else " "
        text = sentence if len(sentence) <= 70 else sentence[:67] + "..."
        print(f" {mark}[{i}] {_bar(score)} {score:.2f}  {text}")
    print(f"\nExtractive summary:\n  {extractive.text}")
    print(f"Lead-3 for comparison:\n  {lead_n(STORY, 3).text}")
    abstractive = model.summarize(STORY, mode="abstractive", max_sentences=2)
    print(f"\nAbstractive summary (beam search with copying):\n  {abstractive.text}")
    used = ", ".join(f"[{i}] {score:.0%}" for i, score in abstractive.highlights)
    print(f"Sentences the decoder attended to most (share of its attention): {used}")
