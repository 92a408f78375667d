"""The Tsetlin Machine part of ``structnlp demo``: rules learnt from bundled medical abstracts.

Trains on 75% of the bundled sample of the Medical Abstracts corpus (600 abstracts, five
disease classes), reports held-out accuracy beside a logistic regression on the same
Boolean bag of words, prints three rules and explains one held-out abstract. Takes
seconds on two cores once the numba kernels are compiled (the first run compiles them).
"""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from structnlp.datasets import load_demo
from structnlp.features import BooleanBagOfWords
from tsetlin.estimator import TsetlinMachineClassifier
from tsetlin.explain import Rule, explain_pipeline

#: Settings of the demo model: present-word rules of at most 5 words, read at a glance.
DEMO_PARAMS = {
    "n_clauses": 200,
    "threshold": 50,
    "specificity": 5.0,
    "n_epochs": 25,
    "feature_negation": False,
    "max_included_literals": 5,
    "random_state": 0,
}


def _top_rules(rules: list[Rule], n: int) -> list[Rule]:
    """The heaviest 'for' rule of each class in turn, so the rules shown cover several classes."""
    by_class: dict = {}
    for rule in sorted((r for r in rules if r.polarity == "for"), key=lambda r: (-r.weight, r.n_literals)):
        by_class.setdefault(rule.class_, []).append(rule)
    picked: list[Rule] = []
    while len(picked) < n and any(by_class.values()):
        for queue in by_class.values():
            if queue and len(picked) < n:
                picked.append(queue.pop(0))
    return picked


def run(quiet: bool = False) -> None:
    """Train, score and explain the demo model, printing to stdout.

    ``quiet`` is the demo contract's switch for progress bars; this section shows none.
    """
    texts, labels = load_demo("medical_abstracts_sample")
    train_x, test_x, train_y, test_y = train_test_split(
        texts, labels, test_size=0.25, random_state=0, stratify=labels
    )
    featurizer = dict(min_df=3, stop_words="english")
    model = make_pipeline(BooleanBagOfWords(**featurizer), TsetlinMachineClassifier(**DEMO_PARAMS))
    model.fit(train_x, train_y)
    baseline = make_pipeline(BooleanBagOfWords(**featurizer), LogisticRegression(max_iter=2000))
    baseline.fit(train_x, train_y)
    print("Tsetlin Machine on the bundled medical abstracts (5 disease classes)")
    print(f"  {len(train_x)} abstracts to learn from, {len(test_x)} held out")
    print(
        f"  held-out accuracy: Tsetlin Machine {model.score(test_x, test_y):.3f},"
        f" logistic regression {baseline.score(test_x, test_y):.3f} (same features)"
    )
    names = model[:-1].get_feature_names_out()
    print("  three learnt rules:")
    for rule in _top_rules(model[-1].rules(names), 3):
        print(f"    {rule}")
    explanation = explain_pipeline(model, test_x[0])
    print(f"  why held-out abstract 0 (true class: {test_y[0]}) is classified as {explanation.predicted}:")
    for line in explanation.to_text(max_literals=6).splitlines():
        print(f"    {line}")
