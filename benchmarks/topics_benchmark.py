"""Benchmark the DocNADE family against LDA on the DocNADE authors' topic-model sets.

For each data set (``20NSshort``, ``TMN``, ``TREC6`` under ``$STRUCTNLP_DATA/topics``, the
authors' preprocessed text, split on white space) every model is trained on the training split
with one shared vocabulary (the ``--vocab-size`` most frequent training words; the papers' sizes
by default) and scored on the test split:

* **perplexity**: per word, averaged over test documents (the DocNADE papers' definition,
  :func:`structnlp.metrics.document_perplexity`); LDA has no tractable likelihood, so none;
* **completion perplexity**, comparable across all models: the second half of each test
  document (of at least 2 words) predicted from its first half, per word and averaged over
  documents. For the autoregressive models it is exact, ``log p(second | first) = log p(doc) -
  log p(first)``; for LDA it is ``p(w | d) = sum_k theta_dk beta_kw`` with ``theta_d`` inferred
  from the first half (iDocNADE's two-direction pseudo-likelihood does not split this way: none);
* **IR precision** at retrieval fraction 0.02: test documents query the training documents by
  cosine similarity of their vectors, relevant = same label
  (:func:`structnlp.metrics.retrieval_precision`);
* **accuracy** of a logistic regression trained on the training documents' vectors;
* **NPMI** (window 10) and **C_v** (window 110) of the top 10 words of every topic, on the
  training documents, and **diversity**: the share of distinct words among all topics' top 10
  (coherence alone would reward every topic repeating the same few frequent words);
* **training time** in seconds (wall clock, this machine).

The models ending in ``_coh`` are DocNADE and iDocNADE trained with the coherence prior
(``coherence_weight``, ``--coherence-weight``; 1 by default; ``--coherence-vectors``), which is
not part of the papers. The models ending in ``_shuffle`` read every training document's words
in a new random order at each epoch (``word_order="shuffle"``). ``docnadee`` and ``idocnadee``
add PPMI-SVD word embeddings of the training documents to ``W`` (DocNADEe, iDocNADEe); the
models ending in ``_file`` take their embeddings from ``--embeddings FILE`` instead.

The neural models stop early on the validation perplexity (patience 5, best epoch kept). The
TREC6 file's validation split is its test split, so there 500 training documents (seed 0) are
held out for early stopping instead; the IR database and the classifier still use every
training document (nothing is trained on validation or test documents).

Run from the repository root (the figures in docs/topics.md come from these commands)::

    python benchmarks/topics_benchmark.py --datasets 20NSshort TREC6 --output results.json
    python benchmarks/topics_benchmark.py --datasets TMN --models docnade sklearn_lda
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np

from structnlp.datasets import load, run_script
from structnlp.files import atomic_write
from structnlp.metrics import cv_coherence, npmi_coherence, retrieval_precision, topic_diversity
from structnlp.params import count_argument
from structnlp.vocab import Vocabulary

#: vocabulary sizes of the papers' files (vocab_docnade.vocab)
VOCAB_SIZES = {"20NSshort": 1448, "TMN": 2000, "TREC6": 2000}
#: the papers' figures (Gupta et al. 2019, 200 topics): model, perplexity, IR precision at 0.02
ANCHORS = {
    "20NSshort": [("DocNADE", 646, 0.25), ("iDocNADEe", 633, 0.28)],
    "TREC6": [("DocNADE", 64, 0.54)],
    "TMN": [("DocNADE", 592, 0.60)],
}
NEURAL = {
    "docnade": ("DocNADE", {}),
    "docnade_sgd": ("DocNADE", {"optimizer": "sgd", "lr": 1.0}),
    "docnade_coh": ("DocNADE", {}),  # the _coh models: --coherence-weight and --coherence-vectors
    "docnade_shuffle": ("DocNADE", {"word_order": "shuffle"}),
    "docnade_coh_shuffle": ("DocNADE", {"word_order": "shuffle"}),
    "idocnade": ("DocNADE", {"bidirectional": True}),
    "idocnade_shuffle": ("DocNADE", {"bidirectional": True, "word_order": "shuffle"}),
    "idocnade_coh": ("DocNADE", {"bidirectional": True}),
    "docnadee": ("DocNADE", {"embeddings": "train"}),
    "idocnadee": ("DocNADE", {"bidirectional": True, "embeddings": "train"}),
    "docnadee_file": ("DocNADE", {}),  # the _file models: embeddings from the --embeddings file
    "idocnadee_file": ("DocNADE", {"bidirectional": True}),
    "docnadee_coh_shuffle_file": ("DocNADE", {"word_order": "shuffle"}),
    "ctx": ("CtxDocNADE", {"lambda_ctx": 0.1}),
    "ctxe": ("CtxDocNADE", {"lambda_ctx": 0.1, "embeddings": "train"}),
    "ctxe_file": ("CtxDocNADE", {"lambda_ctx": 0.1}),
}
BASELINES = ("sklearn_lda", "gensim_lda")


def load_splits(name: str, root: str | None) -> dict[str, Any]:
    """Token lists and labels of the train / validation / test splits (validation held out of train)."""
    splits = {s: load(name, split=s, root=root) for s in ("train", "validation", "test")}
    data = {s: ([t.split() for t in d.texts], list(d.labels)) for s, d in splits.items()}
    train_docs, _ = data["train"]
    if splits["validation"].texts == splits["test"].texts:
        held = set(np.random.default_rng(0).choice(len(train_docs), size=500, replace=False).tolist())
        data["fit"] = [d for i, d in enumerate(train_docs) if i not in held]
        data["validation"] = ([train_docs[i] for i in sorted(held)], None)
        data["note"] = "validation = test in the file: 500 training documents held out instead"
    else:
        data["fit"] = train_docs
        data["note"] = ""
    return data


def topic_scores(topics: list[list[str]], docs: list[list[str]], vocabulary: Vocabulary) -> dict[str, Any]:
    """NPMI (window 10), C_v (window 110) and diversity of the top 10 words of each topic.

    Coherence is measured on ``docs`` restricted to the vocabulary, as the models see them;
    the topics themselves are kept in the results so that other measures can be computed later.
    """
    texts = [[t for t in doc if t in vocabulary] for doc in docs]
    return {
        "npmi": npmi_coherence(topics, texts, top_n=10)["coherence"],
        "c_v": cv_coherence(topics, texts, top_n=10)["coherence"],
        "diversity": topic_diversity(topics, top_n=10),
        "topics": [list(t[:10]) for t in topics],
    }


def halves(docs: list[list[str]], vocabulary: Vocabulary) -> tuple[list[list[str]], list[list[str]]]:
    """First and second halves of the test documents with at least 2 vocabulary words."""
    kept = [[t for t in doc if t in vocabulary] for doc in docs]
    kept = [doc for doc in kept if len(doc) >= 2]
    return [doc[: len(doc) // 2] for doc in kept], [doc[len(doc) // 2 :] for doc in kept]


def neural_completion_perplexity(model, docs: list[list[str]], vocabulary: Vocabulary) -> float:
    from structnlp.metrics import document_perplexity

    first, second = halves(docs, vocabulary)
    full = [a + b for a, b in zip(first, second, strict=True)]
    nll = model.score_samples(first) - model.score_samples(full)
    return document_perplexity(nll, [len(b) for b in second])


def lda_completion_perplexity(theta_of, beta: np.ndarray, docs, vocabulary: Vocabulary) -> float:
    """``theta_of(token lists) -> doc-topic matrix``; ``beta``: topics x words (rows normalised here)."""
    from structnlp.metrics import document_perplexity

    first, second = halves(docs, vocabulary)
    theta = theta_of(first)
    theta = theta / theta.sum(axis=1, keepdims=True)
    beta = beta / beta.sum(axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(vocabulary)}
    log_p = np.log(theta @ beta)
    nll = [-log_p[d, [index[t] for t in doc]].sum() for d, doc in enumerate(second)]
    return document_perplexity(nll, [len(b) for b in second])


def classification_accuracy(train_x, train_y, test_x, test_y) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    return float(classifier.fit(train_x, train_y).score(test_x, test_y))


def run_neural(key: str, data: dict, vocabulary: Vocabulary, args: argparse.Namespace) -> dict[str, Any]:
    import topics

    class_name, preset = NEURAL[key]
    params = {
        "n_topics": args.n_topics,
        "activation": args.activation,
        "lr": args.lr,
        "max_epochs": args.epochs,
        "patience": args.patience,
        "batch_tokens": args.batch_tokens,
        "vocabulary": vocabulary,
        "random_state": args.seed,
        "device": args.device,
        **preset,
    }
    if key.endswith("_file"):
        if not args.embeddings:
            raise SystemExit(
                f"the {key} model needs --embeddings FILE (scripts/make_word_vectors.py writes one)"
            )
        params["embeddings"] = args.embeddings
    if "_coh" in key:
        params["coherence_weight"] = args.coherence_weight
        params["coherence_vectors"] = args.coherence_vectors
    model = getattr(topics, class_name)(**params)
    start = time.perf_counter()
    model.fit(data["fit"], validation_docs=data["validation"][0])
    seconds = time.perf_counter() - start
    (train_docs, train_y), (test_docs, test_y) = data["train"], data["test"]
    train_x, test_x = model.transform(train_docs), model.transform(test_docs)
    completion = (
        None if preset.get("bidirectional") else neural_completion_perplexity(model, test_docs, vocabulary)
    )
    return {
        "perplexity": model.perplexity(test_docs),
        "completion_perplexity": completion,
        "ir_precision": retrieval_precision(test_x, test_y, train_x, train_y, fraction=0.02),
        "accuracy": classification_accuracy(train_x, train_y, test_x, test_y),
        **topic_scores(model.topics(10), train_docs, vocabulary),
        "seconds": seconds,
        "epochs": model.n_iter_,
        "settings": {k: v for k, v in params.items() if k != "vocabulary"} | {"class": class_name},
    }


def run_sklearn_lda(data: dict, vocabulary: Vocabulary, args: argparse.Namespace) -> dict[str, Any]:
    from sklearn.decomposition import LatentDirichletAllocation
    from sklearn.feature_extraction.text import CountVectorizer

    words = list(vocabulary)
    counts = CountVectorizer(analyzer=lambda doc: doc, vocabulary=words)
    (train_docs, train_y), (test_docs, test_y) = data["train"], data["test"]
    fit_x, train_bow, test_bow = (counts.transform(d) for d in (data["fit"], train_docs, test_docs))
    lda = LatentDirichletAllocation(
        n_components=args.n_topics,
        max_iter=args.lda_iterations,
        learning_method="batch",
        random_state=args.seed,
    )
    start = time.perf_counter()
    lda.fit(fit_x)
    seconds = time.perf_counter() - start
    train_x, test_x = lda.transform(train_bow), lda.transform(test_bow)
    topics = [[words[i] for i in np.argsort(-row, kind="stable")[:10]] for row in lda.components_]
    return {
        "perplexity": None,
        "completion_perplexity": lda_completion_perplexity(
            lambda docs: lda.transform(counts.transform(docs)), lda.components_, test_docs, vocabulary
        ),
        "ir_precision": retrieval_precision(test_x, test_y, train_x, train_y, fraction=0.02),
        "accuracy": classification_accuracy(train_x, train_y, test_x, test_y),
        **topic_scores(topics, train_docs, vocabulary),
        "seconds": seconds,
        "epochs": lda.n_iter_,
        "settings": {
            "n_components": args.n_topics,
            "max_iter": args.lda_iterations,
            "learning_method": "batch",
        },
    }


def run_gensim_lda(data: dict, vocabulary: Vocabulary, args: argparse.Namespace) -> dict[str, Any] | None:
    try:
        from gensim.corpora import Dictionary
        from gensim.models import LdaModel
    except ImportError:
        return None
    words = list(vocabulary)
    dictionary = Dictionary([words])
    (train_docs, train_y), (test_docs, test_y) = data["train"], data["test"]

    def bow(docs):
        return [dictionary.doc2bow([t for t in d if t in vocabulary]) for d in docs]

    fit_bow, train_bow, test_bow = bow(data["fit"]), bow(train_docs), bow(test_docs)
    start = time.perf_counter()
    lda = LdaModel(
        fit_bow, num_topics=args.n_topics, id2word=dictionary, passes=args.gensim_passes,
        random_state=args.seed, alpha="auto", eta="auto",
    )  # fmt: skip
    seconds = time.perf_counter() - start

    def vectors(corpus):
        out = np.zeros((len(corpus), args.n_topics))
        for i, doc in enumerate(corpus):
            for topic, weight in lda.get_document_topics(doc, minimum_probability=0.0):
                out[i, topic] = weight
        return out

    train_x, test_x = vectors(train_bow), vectors(test_bow)
    topics = [[w for w, _ in lda.show_topic(t, topn=10)] for t in range(args.n_topics)]
    return {
        "perplexity": None,
        "completion_perplexity": lda_completion_perplexity(
            lambda docs: vectors(bow(docs)),
            lda.get_topics()[:, [dictionary.token2id[w] for w in words]],  # columns in vocabulary order
            test_docs,
            vocabulary,
        ),
        "ir_precision": retrieval_precision(test_x, test_y, train_x, train_y, fraction=0.02),
        "accuracy": classification_accuracy(train_x, train_y, test_x, test_y),
        **topic_scores(topics, train_docs, vocabulary),
        "seconds": seconds,
        "epochs": args.gensim_passes,
        "settings": {
            "num_topics": args.n_topics,
            "passes": args.gensim_passes,
            "alpha": "auto",
            "eta": "auto",
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["20NSshort", "TREC6"], choices=sorted(VOCAB_SIZES))
    parser.add_argument(
        "--models", nargs="+", default=["docnade", "idocnade", "ctx", "ctxe", *BASELINES],
        choices=[*NEURAL, *BASELINES],
    )  # fmt: skip
    count = count_argument(1)  # a count below 1 is a usage error before any data is read
    parser.add_argument("--n-topics", type=count, default=200)
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--epochs", type=count, default=100, help="maximum epochs (early stopping decides)")
    parser.add_argument("--patience", type=count, default=5)
    parser.add_argument("--batch-tokens", type=count, default=4096)
    parser.add_argument("--vocab-size", type=count, help="default: the papers' size for each data set")
    parser.add_argument("--lda-iterations", type=count, default=50)
    parser.add_argument("--gensim-passes", type=count, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--root", help="data root (default: $STRUCTNLP_DATA, then ../shared/data)")
    parser.add_argument("--output", help="write all figures to this JSON file")
    parser.add_argument("--embeddings", help="word2vec text file of the *_file models (ctxe, idocnadee)")
    parser.add_argument(
        "--coherence-weight", type=float, default=1.0, help="coherence_weight of the *_coh models (default 1)"
    )
    parser.add_argument(
        "--coherence-vectors", default="train", help="their vectors: 'train' (default) or a word2vec file"
    )
    args = parser.parse_args(argv)
    if not args.coherence_weight >= 0:
        parser.error(f"--coherence-weight must be >= 0, got {args.coherence_weight}")

    results: dict[str, Any] = {"command": " ".join(sys.argv), "settings": vars(args), "datasets": {}}
    for name in args.datasets:
        data = load_splits(name, args.root)
        size = args.vocab_size or VOCAB_SIZES[name]
        vocabulary = Vocabulary.build(data["fit"], max_size=size, pad_token=None, unk_token=None)
        print(f"\n## {name}: {len(data['fit'])} training documents, {len(vocabulary)} words. {data['note']}")
        print(
            "| model | perplexity | completion perplexity | IR@0.02 | accuracy | NPMI | C_v | diversity "
            "| seconds | epochs |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        rows: dict[str, Any] = {}
        for key in args.models:
            if key in NEURAL:
                row = run_neural(key, data, vocabulary, args)
            elif key == "sklearn_lda":
                row = run_sklearn_lda(data, vocabulary, args)
            else:
                row = run_gensim_lda(data, vocabulary, args)
                if row is None:
                    print("| gensim_lda | (gensim not installed) | | | | | | | | |")
                    continue
            rows[key] = row
            ppl, completion = (
                f"{x:.1f}" if x is not None else "n/a"
                for x in (row["perplexity"], row["completion_perplexity"])
            )
            print(
                f"| {key} | {ppl} | {completion} | {row['ir_precision']:.3f} | {row['accuracy']:.3f} | "
                f"{row['npmi']:.3f} | {row['c_v']:.3f} | {row['diversity']:.3f} | {row['seconds']:.0f} | "
                f"{row['epochs']} |",
                flush=True,
            )
        for model, paper_ppl, paper_ir in ANCHORS[name]:
            print(f"| paper: {model}, 200 topics | {paper_ppl} | | {paper_ir:.2f} | | | | | | |")
        results["datasets"][name] = {"vocabulary_size": len(vocabulary), "note": data["note"], "models": rows}
        if args.output:
            with atomic_write(args.output) as fh:
                json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    run_script(main)
