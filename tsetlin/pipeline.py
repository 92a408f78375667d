"""Save and load a fitted ``make_pipeline(BooleanBagOfWords(...), TsetlinMachineClassifier(...))``.

A classifier of raw text is only usable with the vocabulary it was trained on, so both are
saved together, in one model directory written atomically by
:func:`structnlp.modelio.save_model` (``config.json`` + ``arrays.safetensors``, checksummed,
never a pickle): the featurizer's parameters and its vocabulary in column order go in the
JSON config beside the classifier's, and the automaton states in the arrays file. Loading
checks every field, so a damaged or foreign directory is a clear
:class:`~structnlp.errors.ModelFileError`, never a wrong prediction.

>>> import tempfile
>>> from sklearn.pipeline import make_pipeline
>>> from structnlp.features import BooleanBagOfWords
>>> from tsetlin import TsetlinMachineClassifier
>>> docs = ["fever cough", "rash itch", "fever cough ache", "rash itch red"] * 5
>>> labels = ["flu", "allergy", "flu", "allergy"] * 5
>>> pipe = make_pipeline(BooleanBagOfWords(), TsetlinMachineClassifier(
...     n_clauses=4, threshold=4, specificity=3.0, n_epochs=5, random_state=0)).fit(docs, labels)
>>> path = save_pipeline(pipe, tempfile.mkdtemp() + "/model")
>>> load_pipeline(path).predict(["Fever and a bad cough", "an itch and a rash"]).tolist()
['flu', 'allergy']
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline, make_pipeline

from structnlp.errors import ModelFileError, StructNLPError
from structnlp.features import BooleanBagOfWords
from tsetlin.estimator import FORMAT_VERSION as CLASSIFIER_FORMAT_VERSION
from tsetlin.estimator import MODEL_CLASS as CLASSIFIER_CLASS
from tsetlin.estimator import TsetlinMachineClassifier

__all__ = ["PIPELINE_CLASS", "load_pipeline", "save_pipeline"]

#: Model class recorded in the ``config.json`` of a saved text pipeline.
PIPELINE_CLASS = "tsetlin.TextPipeline"
FORMAT_VERSION = 1
#: BooleanBagOfWords parameters saved as they are (all plain JSON values once checked).
_FEATURE_PARAMS = ("tokenizer", "lowercase", "ngram_range", "min_df", "max_df", "max_features", "stop_words")


def _featurizer_config(bow: BooleanBagOfWords) -> dict[str, Any]:
    """The featurizer's parameters and fitted vocabulary as JSON, refusing what JSON cannot hold."""
    bow.check_params()
    if not isinstance(bow.tokenizer, str):
        raise StructNLPError(
            f"cannot save a BooleanBagOfWords whose tokenizer is a {type(bow.tokenizer).__name__}; "
            "only a backend name ('regex', 'spacy', 'nltk') can be saved without pickle"
        )
    stop_words = bow.stop_words
    if stop_words is not None and not isinstance(stop_words, str):
        stop_words = sorted(stop_words)
    return {
        "tokenizer": bow.tokenizer,
        "lowercase": bool(bow.lowercase),
        "ngram_range": [int(n) for n in bow.ngram_range],
        "min_df": bow.min_df,
        "max_df": bow.max_df,
        "max_features": bow.max_features,
        "stop_words": stop_words,
        "dtype": np.dtype(bow.dtype).name,
        "fixed_vocabulary": bow.vocabulary is not None,
        "vocabulary": [str(name) for name in bow.get_feature_names_out()],
    }


def _check_parts(pipeline: Any) -> tuple[BooleanBagOfWords, TsetlinMachineClassifier]:
    steps = getattr(pipeline, "steps", None)
    if (
        not isinstance(pipeline, Pipeline)
        or len(steps) != 2
        or not isinstance(steps[0][1], BooleanBagOfWords)
        or not isinstance(steps[1][1], TsetlinMachineClassifier)
    ):
        raise StructNLPError(
            "save_pipeline saves a make_pipeline(BooleanBagOfWords(...), TsetlinMachineClassifier(...)); "
            f"got {pipeline!r}"
        )
    return steps[0][1], steps[1][1]


def save_pipeline(
    pipeline: Pipeline, path: str | os.PathLike, metadata: Mapping[str, Any] | None = None
) -> Path:
    """Write a fitted Boolean-bag-of-words + Tsetlin Machine pipeline to the directory ``path``.

    ``metadata`` is free-form JSON kept with the model (training data, scores). The
    directory is replaced only once the new model is complete; returns its path.
    """
    from structnlp.modelio import save_model

    bow, clf = _check_parts(pipeline)
    features = _featurizer_config(bow)
    classifier, arrays = clf._state()
    if len(features["vocabulary"]) != classifier["n_features_in"]:
        raise StructNLPError(
            f"the featurizer has {len(features['vocabulary'])} features but the classifier was fitted on "
            f"{classifier['n_features_in']}; fit the pipeline as a whole"
        )
    config = {
        "features": features,
        "classifier": classifier,
        "classifier_format_version": CLASSIFIER_FORMAT_VERSION,
        "step_names": [name for name, _ in pipeline.steps],
    }
    return save_model(
        path,
        model_class=PIPELINE_CLASS,
        format_version=FORMAT_VERSION,
        config=config,
        arrays=arrays,
        metadata=metadata,
    )


def _featurizer(features: Any, where: str) -> BooleanBagOfWords:
    """Rebuild the fitted featurizer from its saved config, checking every field."""
    expected = {*_FEATURE_PARAMS, "dtype", "fixed_vocabulary", "vocabulary"}
    if not isinstance(features, dict) or set(features) != expected:
        found = sorted(features) if isinstance(features, dict) else type(features).__name__
        raise ModelFileError(f"{where}: the featurizer config should hold {sorted(expected)}, found {found}")
    vocabulary = features["vocabulary"]
    if not isinstance(vocabulary, list) or not vocabulary or not all(isinstance(t, str) for t in vocabulary):
        raise ModelFileError(f"{where}: the saved vocabulary is not a non-empty list of str")
    if len(set(vocabulary)) != len(vocabulary):
        raise ModelFileError(f"{where}: the saved vocabulary holds a feature twice")
    params = {name: features[name] for name in _FEATURE_PARAMS}
    if isinstance(params["ngram_range"], list):
        params["ngram_range"] = tuple(params["ngram_range"])
    if isinstance(params["stop_words"], list):
        params["stop_words"] = frozenset(params["stop_words"])
    try:
        bow = BooleanBagOfWords(
            **params,
            dtype=np.dtype(features["dtype"]),
            vocabulary=list(vocabulary) if features["fixed_vocabulary"] is True else None,
        )
        bow.check_params()
    except (StructNLPError, TypeError) as exc:
        raise ModelFileError(f"{where}: invalid featurizer config ({exc})") from None
    bow.vocabulary_ = {term: column for column, term in enumerate(vocabulary)}
    return bow


def load_pipeline(path: str | os.PathLike) -> Pipeline:
    """Load a pipeline written by :func:`save_pipeline`; it predicts exactly as the saved one.

    Its steps keep their saved names, so ``named_steps`` and ``set_params`` work as before saving.
    """
    from structnlp.modelio import load_model, read_model_class

    if read_model_class(path) == CLASSIFIER_CLASS:
        raise ModelFileError(
            f"{path}: holds a bare TsetlinMachineClassifier, without the featurizer that turns text into "
            "its features; load it with TsetlinMachineClassifier.load, or save a whole pipeline "
            "(tsetlin.save_pipeline, structnlp classify train)"
        )
    model = load_model(path, expected_class=PIPELINE_CLASS, supported_versions={FORMAT_VERSION})
    where = str(model.path)
    config = model.config
    if config.get("classifier_format_version") != CLASSIFIER_FORMAT_VERSION:
        raise ModelFileError(
            f"{where}: classifier format version {config.get('classifier_format_version')!r}, this "
            f"structnlp reads {CLASSIFIER_FORMAT_VERSION}"
        )
    bow = _featurizer(config.get("features"), where)
    clf = TsetlinMachineClassifier._from_state(config.get("classifier"), model.arrays, where)
    if clf.n_features_in_ != len(bow.vocabulary_):
        raise ModelFileError(
            f"{where}: the vocabulary has {len(bow.vocabulary_)} features but the classifier "
            f"{clf.n_features_in_}"
        )
    names = config.get("step_names")  # absent in directories saved before step names were kept
    if names is None:
        return make_pipeline(bow, clf)
    if not (
        isinstance(names, list)
        and len(names) == 2
        and all(isinstance(n, str) and n and "__" not in n for n in names)
        and names[0] != names[1]
    ):
        raise ModelFileError(f"{where}: step_names should be two distinct step names, found {names!r}")
    return Pipeline(list(zip(names, (bow, clf), strict=True)))
