"""Train the embedded tokenization models of structnlp on UD English EWT (CC BY-SA 4.0).

Two models ship inside the package so that tokens, sentences, lemmas and POS tags work offline
on a fresh install (nothing is ever downloaded):

* ``spacy``: a small spaCy v3 pipeline (shared hash-embedding CNN tok2vec; tagger for XPOS,
  morphologizer for UPOS + features, edit-tree lemmatizer, senter), trained with
  ``python -m spacy train scripts/tagger/config.cfg`` and saved to
  ``structnlp/models/en_structnlp_ewt/``;
* ``nltk``: Punkt sentence parameters, an averaged-perceptron tagger (UPOS and XPOS) and a
  lemma table, saved as gzip'd JSON (no pickle) to ``structnlp/models/nltk_ewt/``.

Usage (the exact commands that produced the shipped models)::

    python scripts/train_tagger.py spacy    # about 22 min on 2 CPU cores
    python scripts/train_tagger.py nltk     # about 7 min
    python scripts/train_tagger.py all
    python scripts/train_tagger.py evaluate-spacy   # re-score the installed models only
    python scripts/train_tagger.py evaluate-nltk

``--data`` defaults to ``$STRUCTNLP_DATA/treebank/ud_english_ewt`` or
``../shared/data/treebank/ud_english_ewt`` next to the repository. Both commands finish by
scoring the model on EWT dev and writing the figures into the model folder's ``README.md``
(and the spaCy pipeline's ``meta.json``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from structnlp import corpus  # noqa: E402
from structnlp.files import atomic_write  # noqa: E402
from structnlp.tokenize import (  # noqa: E402
    EMBEDDED_NLTK_MODEL,
    EMBEDDED_SPACY_MODEL,
    MODELS_DIR,
    NLTK_MODEL_FORMAT,
    NLTK_MODEL_VERSION,
    NLTKTokenizer,
    SpacyTokenizer,
    rule_lemma,
)

CONFIG = REPO / "scripts" / "tagger" / "config.cfg"
UD_RELEASE = "UD English EWT r2.16"
ATTRIBUTION = (
    "Trained on Universal Dependencies English EWT r2.16 (Silveira et al. 2014; "
    "https://github.com/UniversalDependencies/UD_English-EWT), licensed CC BY-SA 4.0; "
    "the model is a derived work shared under the same licence."
)
MAX_SENTS_PER_DOC = 20
PARAGRAPH_BREAK = "\n"


@dataclass
class Sentence:
    """The training view of one CoNLL-U sentence: words with their annotation and surface spacing."""

    words: list[str] = field(default_factory=list)
    spaces: list[bool] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)
    upos: list[str] = field(default_factory=list)
    xpos: list[str] = field(default_factory=list)
    feats: list[str] = field(default_factory=list)
    text: str = ""
    newdoc: bool = False
    newpar: bool = False


def _spaces(sent: corpus.Sentence) -> list[bool]:
    """Whether a space follows each word: ``SpaceAfter=No`` in MISC; inside a multiword token
    (``don't`` = ``do`` + ``n't``) no space, after its last word the token's own MISC decides."""
    spaces = ["SpaceAfter=No" not in t.misc.split("|") for t in sent.tokens]
    for extra in sent.extras:
        if extra.is_multiword:
            first, last = (int(i) for i in extra.id.split("-"))
            for i in range(first - 1, last - 1):
                spaces[i] = False
            spaces[last - 1] = "SpaceAfter=No" not in extra.columns[9].split("|")
    return spaces


def read_conllu(path: str | os.PathLike) -> Iterator[Sentence]:
    """Stream a CoNLL-U file (read and validated by :func:`structnlp.corpus.read_conllu`) as
    training sentences; multiword tokens are split into their words."""
    for sent in corpus.read_conllu(path):
        keys = {c.partition("=")[0].strip() for c in sent.comments}
        yield Sentence(
            words=sent.words,
            spaces=_spaces(sent),
            lemmas=sent.lemmas,
            upos=sent.upos,
            xpos=[t.xpos for t in sent.tokens],
            feats=[t.feats for t in sent.tokens],
            text=sent.text,
            newdoc=bool(keys & {"newdoc", "newdoc id"}),
            newpar=bool(keys & {"newpar", "newpar id"}),
        )


def group_documents(
    sentences: Iterable[Sentence], max_sents: int = MAX_SENTS_PER_DOC
) -> Iterator[list[Sentence]]:
    """Group sentences into documents (EWT ``newdoc`` boundaries, at most ``max_sents`` each).

    The sentence splitter only learns boundaries from documents holding several sentences.
    """
    doc: list[Sentence] = []
    for sent in sentences:
        if doc and (sent.newdoc or len(doc) >= max_sents):
            yield doc
            doc = []
        doc.append(sent)
    if doc:
        yield doc


def default_data_dir() -> Path:
    env = os.environ.get("STRUCTNLP_DATA")
    root = Path(env) if env else REPO.parent / "shared" / "data"
    return root / "treebank" / "ud_english_ewt"


# ----------------------------------------------------------------------------- evaluation


def score_tagger(tokenizer, sentences: list[Sentence]) -> dict[str, float]:
    """UPOS / XPOS / lemma accuracy of a structnlp tokenizer on gold tokens."""
    total = upos = xpos = lemma = 0
    analysed = tokenizer.analyze_pretokenized([s.words for s in sentences])
    for sent, tokens in zip(sentences, analysed, strict=True):
        for tok, gold_upos, gold_xpos, gold_lemma in zip(
            tokens, sent.upos, sent.xpos, sent.lemmas, strict=True
        ):
            total += 1
            upos += tok.pos == gold_upos
            xpos += tok.tag == gold_xpos
            lemma += tok.lemma == gold_lemma
    return {"upos_acc": upos / total, "xpos_acc": xpos / total, "lemma_acc": lemma / total, "tokens": total}


def score_sentences(tokenizer, sentences: list[Sentence]) -> dict[str, float]:
    """Sentence-boundary precision/recall/F on raw dev text: documents rebuilt from the gold text,
    sentences joined by a space, paragraphs by a line break.

    A predicted boundary counts when it falls at the character offset where a gold sentence
    starts, so tokenization differences do not matter.
    """
    tp = n_pred = n_gold = 0
    for doc in group_documents(sentences):
        text, gold_starts = "", set()
        for sent in doc:
            if text:
                text += PARAGRAPH_BREAK if sent.newpar else " "
            gold_starts.add(len(text))
            text += sent.text
        pred_starts = set()
        cursor = 0
        for piece in tokenizer.split_sentences(text):
            start = text.index(piece, cursor)
            pred_starts.add(start)
            cursor = start + len(piece)
        # The document start is given, not predicted.
        gold_starts.discard(0)
        pred_starts.discard(0)
        tp += len(gold_starts & pred_starts)
        n_pred += len(pred_starts)
        n_gold += len(gold_starts)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return {"sents_p": p, "sents_r": r, "sents_f": 2 * p * r / (p + r) if p + r else 0.0}


def write_readme(model_dir: Path, title: str, body: str, scores: dict[str, float]) -> None:
    rows = "\n".join(
        f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in scores.items()
    )
    text = (
        f"# {title}\n\n{body}\n\n## Scores on UD English EWT dev (r2.16)\n\n"
        f"| metric | value |\n|---|---|\n{rows}\n\n## Licence\n\n{ATTRIBUTION}\n"
    )
    with atomic_write(model_dir / "README.md") as fh:
        fh.write(text)


# ----------------------------------------------------------------------------- spaCy


def write_docbin(sentences: Iterable[Sentence], path: Path) -> int:
    """Convert sentences to a spaCy DocBin, one Doc per (chunk of a) EWT document."""
    import spacy
    from spacy.tokens import Doc, DocBin

    vocab = spacy.blank("en").vocab
    docbin = DocBin(store_user_data=False)
    n = 0
    for doc_sents in group_documents(sentences):
        words, spaces, lemmas, pos, tags, morphs, starts = [], [], [], [], [], [], []
        for sent in doc_sents:
            if words and sent.newpar:
                # Paragraphs are separated by a line break, as in raw text: spaCy makes it a
                # whitespace token, which the senter must learn to see past.
                spaces[-1] = False
                words.append(PARAGRAPH_BREAK)
                spaces.append(False)
                lemmas.append(PARAGRAPH_BREAK)
                pos.append("SPACE")
                tags.append("_SP")
                morphs.append("")
                starts.append(False)
            words += sent.words
            sent_spaces = list(sent.spaces)
            sent_spaces[-1] = True
            spaces += sent_spaces
            lemmas += sent.lemmas
            pos += sent.upos
            tags += sent.xpos
            morphs += ["" if f == "_" else f for f in sent.feats]
            starts += [True] + [False] * (len(sent.words) - 1)
        spaces[-1] = False
        doc = Doc(
            vocab,
            words=words,
            spaces=spaces,
            lemmas=lemmas,
            pos=pos,
            tags=tags,
            morphs=morphs,
            sent_starts=starts,
        )
        docbin.add(doc)
        n += 1
    docbin.to_disk(path)
    return n


def train_spacy(data: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    train_path, dev_path = work / "train.spacy", work / "dev.spacy"
    print(f"converting {data} ->", work, flush=True)
    print("  train docs:", write_docbin(read_conllu(data / "en_ewt-ud-train.conllu"), train_path), flush=True)
    print("  dev docs:", write_docbin(read_conllu(data / "en_ewt-ud-dev.conllu"), dev_path), flush=True)
    out = work / "output"
    cmd = [
        sys.executable,
        "-m",
        "spacy",
        "train",
        str(CONFIG),
        "--output",
        str(out),
        "--paths.train",
        str(train_path),
        "--paths.dev",
        str(dev_path),
    ]
    print("running:", " ".join(cmd), flush=True)
    started = time.time()
    subprocess.run(cmd, check=True)
    print(f"training took {time.time() - started:.0f} s", flush=True)
    install_spacy_model(out / "model-best", data)


def install_spacy_model(model_best: Path, data: Path) -> None:
    """Copy ``model-best`` into the package, then score it on EWT dev and record the figures."""
    tmp = Path(tempfile.mkdtemp(prefix=".en_structnlp_ewt.", dir=MODELS_DIR))
    shutil.rmtree(tmp)
    shutil.copytree(model_best, tmp)
    if EMBEDDED_SPACY_MODEL.exists():
        shutil.rmtree(EMBEDDED_SPACY_MODEL)
    os.replace(tmp, EMBEDDED_SPACY_MODEL)
    evaluate_spacy(data)


def evaluate_spacy(data: Path) -> dict[str, float]:
    import spacy
    from spacy.tokens import DocBin
    from spacy.training import Example

    dev = list(read_conllu(data / "en_ewt-ud-dev.conllu"))
    tok = SpacyTokenizer(model="embedded")
    nlp = tok.nlp
    scores = {k: round(v, 4) for k, v in score_tagger(tok, dev).items()}
    scores.update({k: round(v, 4) for k, v in score_sentences(tok, dev).items()})
    # spaCy's own evaluation on raw text (its tokenizer + alignment to the gold tokens).
    with tempfile.TemporaryDirectory() as tmpdir:
        path = Path(tmpdir) / "dev.spacy"
        write_docbin(dev, path)
        gold = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    examples = [Example(nlp.make_doc(d.text), d) for d in gold]
    raw = nlp.evaluate(examples)
    for key in ("token_acc", "pos_acc", "tag_acc", "lemma_acc", "morph_acc", "sents_f"):
        scores[f"raw_text_{key}"] = round(float(raw[key]), 4)
    meta_path = EMBEDDED_SPACY_MODEL / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update(
        {
            "name": "structnlp_ewt",
            "version": "1.0.0",
            "description": "Small English pipeline (tagger, morphologizer, edit-tree lemmatizer, senter) "
            "embedded in structnlp; trained by scripts/train_tagger.py.",
            "license": "CC BY-SA 4.0",
            "sources": [
                {"name": UD_RELEASE, "url": "https://universaldependencies.org/", "license": "CC BY-SA 4.0"}
            ],
            "structnlp_scores_ewt_dev": scores,
        }
    )
    with atomic_write(meta_path) as fh:
        json.dump(meta, fh, indent=2)
    size = sum(p.stat().st_size for p in EMBEDDED_SPACY_MODEL.rglob("*") if p.is_file())
    write_readme(
        EMBEDDED_SPACY_MODEL,
        "en_structnlp_ewt: the embedded spaCy pipeline of structnlp",
        "Components: tok2vec (MultiHashEmbed NORM/PREFIX/SUFFIX/SHAPE + MaxoutWindowEncoder, width 64, "
        "depth 4) shared by tagger (XPOS), morphologizer (UPOS + features), trainable_lemmatizer "
        f"(edit trees) and senter. Size on disk: {size / 1e6:.1f} MB. spaCy {spacy.__version__}.\n\n"
        "Trained with `python scripts/train_tagger.py spacy` (config: scripts/tagger/config.cfg). "
        "upos/xpos/lemma accuracies are on gold tokens; sents_* are sentence-start P/R/F on raw "
        "documents rebuilt from the dev text; raw_text_* are spaCy's own scores with its tokenizer.",
        scores,
    )
    print(json.dumps(scores, indent=2))
    return scores


# ----------------------------------------------------------------------------- NLTK

TAG_SEPARATOR = "|"


def raw_text(sentences: Iterable[Sentence]) -> str:
    """The running text of a treebank: sentences joined by spaces, paragraphs by blank lines."""
    parts: list[str] = []
    for sent in sentences:
        if parts:
            parts.append("\n\n" if sent.newdoc or sent.newpar else " ")
        parts.append(sent.text)
    return "".join(parts)


def train_punkt(sentences: list[Sentence]) -> dict:
    from nltk.tokenize.punkt import PunktTrainer

    trainer = PunktTrainer()
    trainer.train(raw_text(sentences), finalize=True)
    params = trainer.get_params()
    return {
        "abbrev_types": sorted(params.abbrev_types),
        "collocations": sorted([list(c) for c in params.collocations]),
        "sent_starters": sorted(params.sent_starters),
        "ortho_context": dict(sorted(params.ortho_context.items())),
    }


def train_perceptron(sentences: list[Sentence], iterations: int = 5) -> dict:
    """NLTK's averaged perceptron on labels ``UPOS|XPOS`` (one model gives both tag sets)."""
    import random

    from nltk.tag.perceptron import PerceptronTagger

    random.seed(0)  # the trainer shuffles sentences between iterations
    tagger = PerceptronTagger(load=False)
    data = [
        [(w, f"{u}{TAG_SEPARATOR}{x}") for w, u, x in zip(s.words, s.upos, s.xpos, strict=True)]
        for s in sentences
    ]
    tagger.train(data, nr_iter=iterations)
    weights, tagdict, classes = tagger.encode_json_obj()
    return {"weights": weights, "tagdict": tagdict, "classes": sorted(classes), "separator": TAG_SEPARATOR}


def build_lemma_table(sentences: list[Sentence]) -> dict[str, dict[str, str]]:
    """``UPOS -> lower-cased form -> lemma``, keeping only the entries that
    :func:`structnlp.tokenize.rule_lemma` gets wrong (the table stays small)."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for sent in sentences:
        for word, upos, lemma in zip(sent.words, sent.upos, sent.lemmas, strict=True):
            if upos != "PROPN" and lemma != "_":
                counts[upos, word.lower()][lemma] += 1
    table: dict[str, dict[str, str]] = defaultdict(dict)
    for (upos, form), lemmas in sorted(counts.items()):
        lemma = lemmas.most_common(1)[0][0]
        if lemma != rule_lemma(form, upos):
            table[upos][form] = lemma
    return dict(table)


def train_nltk(data: Path) -> None:
    train = list(read_conllu(data / "en_ewt-ud-train.conllu"))
    started = time.time()
    model = {
        "format": NLTK_MODEL_FORMAT,
        "format_version": NLTK_MODEL_VERSION,
        "source": ATTRIBUTION,
        "trained_with": "python scripts/train_tagger.py nltk",
        "punkt": train_punkt(train),
        "lemmas": build_lemma_table(train),
        "tagger": train_perceptron(train),
    }
    print(f"NLTK models trained in {time.time() - started:.0f} s", flush=True)
    payload = gzip.compress(
        json.dumps(model, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0
    )
    with atomic_write(EMBEDDED_NLTK_MODEL, "wb") as fh:
        fh.write(payload)
    evaluate_nltk(data)


def evaluate_nltk(data: Path) -> dict[str, float]:
    import nltk

    dev = list(read_conllu(data / "en_ewt-ud-dev.conllu"))
    tok = NLTKTokenizer()
    scores = {k: round(v, 4) for k, v in score_tagger(tok, dev).items()}
    scores.update({k: round(v, 4) for k, v in score_sentences(tok, dev).items()})
    size = EMBEDDED_NLTK_MODEL.stat().st_size
    write_readme(
        EMBEDDED_NLTK_MODEL.parent,
        "nltk_ewt: the NLTK models embedded in structnlp",
        "One gzip'd JSON file (model.json.gz, no pickle) holding Punkt sentence-splitter parameters "
        "(PunktTrainer on the EWT train text), an averaged-perceptron tagger (nltk.tag.perceptron, "
        "5 iterations, labels UPOS|XPOS) and a (form, UPOS) -> lemma table (only the entries that "
        f"structnlp.tokenize.rule_lemma gets wrong). Size: {size / 1e6:.2f} MB. NLTK {nltk.__version__}.\n\n"
        "Trained with `python scripts/train_tagger.py nltk`. upos/xpos/lemma accuracies are on gold "
        "tokens; sents_* are sentence-start P/R/F on raw documents rebuilt from the dev text.",
        scores,
    )
    print(json.dumps(scores, indent=2))
    return scores


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backend", choices=["spacy", "nltk", "all", "evaluate-spacy", "evaluate-nltk"])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="folder of en_ewt-ud-*.conllu")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "structnlp_tagger",
        help="scratch folder for converted data and spaCy checkpoints",
    )
    args = parser.parse_args(argv)
    if not (args.data / "en_ewt-ud-train.conllu").is_file():
        parser.error(f"{args.data}: en_ewt-ud-train.conllu not found (pass --data)")
    if args.backend in ("spacy", "all"):
        train_spacy(args.data, args.work)
    if args.backend in ("nltk", "all"):
        train_nltk(args.data)
    if args.backend == "evaluate-spacy":
        evaluate_spacy(args.data)
    if args.backend == "evaluate-nltk":
        evaluate_nltk(args.data)


if __name__ == "__main__":
    main()
