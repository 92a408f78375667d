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

    python scripts/train_tagger.py spacy    # ~25 min on 2 CPU cores
    python scripts/train_tagger.py nltk     # ~3 min
    python scripts/train_tagger.py all

``--data`` defaults to ``$STRUCTNLP_DATA/treebank/ud_english_ewt`` or
``../shared/data/treebank/ud_english_ewt`` next to the repository. Both commands finish by
scoring the model on EWT dev and writing the figures into the model's ``meta.json`` and
``README.md``.
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

from structnlp.errors import CorpusFormatError  # noqa: E402
from structnlp.files import atomic_write, iter_lines  # noqa: E402

CONFIG = REPO / "scripts" / "tagger" / "config.cfg"
MODELS = REPO / "structnlp" / "models"
SPACY_MODEL = MODELS / "en_structnlp_ewt"
NLTK_MODEL = MODELS / "nltk_ewt"
UD_RELEASE = "UD English EWT r2.16"
ATTRIBUTION = (
    "Trained on Universal Dependencies English EWT r2.16 (Silveira et al. 2014; "
    "https://github.com/UniversalDependencies/UD_English-EWT), licensed CC BY-SA 4.0; "
    "the model is a derived work shared under the same licence."
)
MAX_SENTS_PER_DOC = 20


@dataclass
class Sentence:
    """One CoNLL-U sentence: syntactic words with their annotation and surface spacing."""

    words: list[str] = field(default_factory=list)
    spaces: list[bool] = field(default_factory=list)
    lemmas: list[str] = field(default_factory=list)
    upos: list[str] = field(default_factory=list)
    xpos: list[str] = field(default_factory=list)
    feats: list[str] = field(default_factory=list)
    text: str = ""
    newdoc: bool = False
    newpar: bool = False


def read_conllu(path: str | os.PathLike) -> Iterator[Sentence]:
    """Stream the sentences of a CoNLL-U file (multi-word tokens are split into their words).

    Empty nodes (``8.1``) are skipped; a word inside a multi-word token is followed by no space
    except the last one, which takes the token's ``SpaceAfter``.
    """
    sent = Sentence()
    mwt_end = 0
    mwt_space = True
    for lineno, line in iter_lines(path):
        if not line.strip():
            if sent.words:
                yield sent
            sent, mwt_end = Sentence(), 0
            continue
        if line.startswith("#"):
            key = line[1:].split("=", 1)[0].strip()
            if key == "newdoc" or key.startswith("newdoc "):
                sent.newdoc = True
            elif key == "newpar" or key.startswith("newpar "):
                sent.newpar = True
            elif key == "text":
                sent.text = line.split("=", 1)[1].strip()
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            raise CorpusFormatError(path, lineno, f"expected 10 tab-separated CoNLL-U columns, got {len(cols)}")
        ident = cols[0]
        if "." in ident:
            continue
        no_space = "SpaceAfter=No" in cols[9].split("|")
        if "-" in ident:
            mwt_end = int(ident.split("-")[1])
            mwt_space = not no_space
            continue
        if not ident.isdigit():
            raise CorpusFormatError(path, lineno, f"bad word id {ident!r}")
        position = int(ident)
        if position < mwt_end:
            space = False
        elif position == mwt_end:
            space = mwt_space
        else:
            space = not no_space
        sent.words.append(cols[1])
        sent.spaces.append(space)
        sent.lemmas.append(cols[2])
        sent.upos.append(cols[3])
        sent.xpos.append(cols[4])
        sent.feats.append(cols[5])
    if sent.words:
        yield sent


def group_documents(sentences: Iterable[Sentence], max_sents: int = MAX_SENTS_PER_DOC) -> Iterator[list[Sentence]]:
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
    for sent, tokens in zip(sentences, analysed):
        for tok, gold_upos, gold_xpos, gold_lemma in zip(tokens, sent.upos, sent.xpos, sent.lemmas):
            total += 1
            upos += tok.pos == gold_upos
            xpos += tok.tag == gold_xpos
            lemma += tok.lemma == gold_lemma
    return {"upos_acc": upos / total, "xpos_acc": xpos / total, "lemma_acc": lemma / total, "tokens": total}


def score_sentences(tokenizer, sentences: list[Sentence]) -> dict[str, float]:
    """Sentence-boundary precision/recall/F on raw dev text (documents rebuilt from the gold text).

    A predicted boundary counts when it falls at the character offset where a gold sentence
    starts, so tokenization differences do not matter.
    """
    tp = n_pred = n_gold = 0
    for doc in group_documents(sentences):
        text, gold_starts = "", set()
        for sent in doc:
            if text:
                text += " "
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
    rows = "\n".join(f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in scores.items())
    text = f"# {title}\n\n{body}\n\n## Scores on UD English EWT dev (r2.16)\n\n| metric | value |\n|---|---|\n{rows}\n"
    text += f"\n## Licence\n\n{ATTRIBUTION}\n"
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
        doc = Doc(vocab, words=words, spaces=spaces, lemmas=lemmas, pos=pos, tags=tags, morphs=morphs,
                  sent_starts=starts)
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
    cmd = [sys.executable, "-m", "spacy", "train", str(CONFIG), "--output", str(out),
           "--paths.train", str(train_path), "--paths.dev", str(dev_path)]
    print("running:", " ".join(cmd), flush=True)
    started = time.time()
    subprocess.run(cmd, check=True)
    print(f"training took {time.time() - started:.0f} s", flush=True)
    install_spacy_model(out / "model-best", data)


def install_spacy_model(model_best: Path, data: Path) -> None:
    """Copy ``model-best`` into the package, then score it on EWT dev and record the figures."""
    tmp = Path(tempfile.mkdtemp(prefix=".en_structnlp_ewt.", dir=MODELS))
    shutil.rmtree(tmp)
    shutil.copytree(model_best, tmp)
    if SPACY_MODEL.exists():
        shutil.rmtree(SPACY_MODEL)
    os.replace(tmp, SPACY_MODEL)
    evaluate_spacy(data)


def evaluate_spacy(data: Path) -> dict[str, float]:
    import spacy
    from spacy.tokens import DocBin
    from spacy.training import Example

    from structnlp.tokenize import SpacyTokenizer

    dev = list(read_conllu(data / "en_ewt-ud-dev.conllu"))
    tok = SpacyTokenizer(model="embedded")
    nlp = tok.nlp
    scores = {k: round(v, 4) for k, v in score_tagger(tok, dev).items()}
    scores.update({f"{k}": round(v, 4) for k, v in score_sentences(tok, dev).items()})
    # spaCy's own evaluation on raw text (its tokenizer + alignment to the gold tokens).
    with tempfile.TemporaryDirectory() as tmpdir:
        path = Path(tmpdir) / "dev.spacy"
        write_docbin(dev, path)
        gold = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    examples = [Example(nlp.make_doc(d.text), d) for d in gold]
    raw = nlp.evaluate(examples)
    for key in ("token_acc", "pos_acc", "tag_acc", "lemma_acc", "morph_acc", "sents_f"):
        scores[f"raw_text_{key}"] = round(float(raw[key]), 4)
    meta_path = SPACY_MODEL / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta.update({
        "name": "structnlp_ewt",
        "version": "1.0.0",
        "description": "Small English pipeline (tagger, morphologizer, edit-tree lemmatizer, senter) "
                       "embedded in structnlp; trained by scripts/train_tagger.py.",
        "license": "CC BY-SA 4.0",
        "sources": [{"name": UD_RELEASE, "url": "https://universaldependencies.org/", "license": "CC BY-SA 4.0"}],
        "structnlp_scores_ewt_dev": scores,
    })
    with atomic_write(meta_path) as fh:
        json.dump(meta, fh, indent=2)
    size = sum(p.stat().st_size for p in SPACY_MODEL.rglob("*") if p.is_file())
    write_readme(
        SPACY_MODEL, "en_structnlp_ewt: the embedded spaCy pipeline of structnlp",
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backend", choices=["spacy", "nltk", "all", "evaluate-spacy"])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="folder of en_ewt-ud-*.conllu")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "structnlp_tagger",
                        help="scratch folder for converted data and spaCy checkpoints")
    args = parser.parse_args(argv)
    if not (args.data / "en_ewt-ud-train.conllu").is_file():
        parser.error(f"{args.data}: en_ewt-ud-train.conllu not found (pass --data)")
    if args.backend in ("spacy", "all"):
        train_spacy(args.data, args.work)
    if args.backend == "evaluate-spacy":
        evaluate_spacy(args.data)


if __name__ == "__main__":
    main()
