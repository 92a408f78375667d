"""Rules and explanations: exact vote sums on real data, rule text, renderers, pipelines."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline

from structnlp.datasets import load_demo
from structnlp.errors import StructNLPError
from structnlp.features import BooleanBagOfWords
from tsetlin import Explanation, FiredClause, Rule, TsetlinMachineClassifier, explain_pipeline


@pytest.fixture(scope="module")
def medical():
    """A TM trained on the bundled medical abstracts, with its featurizer and the whole data set."""
    texts, labels = load_demo("medical_abstracts_sample")
    bow = BooleanBagOfWords(min_df=3, stop_words="english")
    X = bow.fit_transform(texts)
    clf = TsetlinMachineClassifier(n_clauses=40, threshold=20, specificity=5.0, n_epochs=3, random_state=0)
    clf.fit(X, labels)
    return clf, bow, X, texts


def test_votes_sum_exactly_to_the_class_sums_on_every_medical_abstract(medical):
    clf, bow, X, _ = medical
    names = bow.get_feature_names_out()
    sums = clf.decision_function(X)
    assert sums.shape == (X.shape[0], 5)
    for i in range(X.shape[0]):
        explanation = clf.explain(X[i], feature_names=names)
        assert explanation.votes_by_class() == explanation.scores
        assert list(explanation.scores.values()) == sums[i].tolist()
        assert explanation.predicted == clf.predict(X[i])[0]
        for fired in explanation.clauses:  # every fired clause's rule holds for the document
            present = set(names[X[i].indices])
            assert set(fired.rule.positive) <= present and not set(fired.rule.negated) & present
            assert fired.vote == fired.rule.vote


def test_binary_explanation_matches_sklearn_decision_function():
    rng = np.random.default_rng(0)
    X = (rng.random((300, 8)) < 0.5).astype(np.uint8)
    y = np.array(["healthy", "sick"])[X[:, 1] & X[:, 3]]
    clf = TsetlinMachineClassifier(
        n_clauses=6, threshold=6, specificity=3.0, n_epochs=10, random_state=0
    ).fit(X, y)
    decision = clf.decision_function(X)
    assert decision.shape == (300,)
    for i in range(300):
        e = clf.explain(X[i])
        votes = e.votes_by_class()
        assert votes["sick"] - votes["healthy"] == decision[i] == e.decision


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")  # the list rows, as in predict
def test_explain_takes_one_row_in_every_input_form():
    """A list row, a 1-row list of lists, a DataFrame row (names kept, no warning): same explanation."""
    import warnings

    import pandas as pd

    rng = np.random.default_rng(1)
    X = (rng.random((60, 4)) < 0.5).astype(np.uint8)
    frame = pd.DataFrame(X, columns=["fever", "cough", "rash", "itch"])
    clf = TsetlinMachineClassifier(n_clauses=4, threshold=4, specificity=3.0, n_epochs=3, random_state=0)
    clf.fit(frame, np.array(["flu", "allergy"])[X[:, 2]])
    expected = clf.explain(frame.iloc[[0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        assert clf.explain(frame.iloc[0]) == expected
    assert clf.explain(X[:1].tolist()) == expected and clf.explain(X[0].tolist()) == expected
    with pytest.raises(StructNLPError, match="one document \\(one row\\), got 2 rows"):
        clf.explain(X[:2].tolist())


def test_multiclass_explanations_compare_and_hold_plain_numbers(medical):
    """decision was a numpy array: comparing two explanations raised 'truth value ... ambiguous'."""
    clf, bow, X, _ = medical
    names = bow.get_feature_names_out()
    e = clf.explain(X[0], feature_names=names)
    assert e == clf.explain(X[0], feature_names=names) and e != clf.explain(X[1], feature_names=names)
    assert e.decision == clf.decision_function(X[0]).ravel().tolist() == list(e.scores.values())
    assert all(type(v) is int for v in e.decision)


def test_explain_pipeline_uses_the_featurizer_vocabulary(medical):
    clf, _, _, texts = medical
    pipe = make_pipeline(BooleanBagOfWords(min_df=3, stop_words="english"), clf)
    pipe[0].fit(texts)
    e = explain_pipeline(pipe, texts[0])
    words = set(pipe[0].get_feature_names_out())
    assert all(set(f.rule.positive) <= words for f in e.clauses)
    assert e.predicted == pipe.predict(texts[:1])[0]
    with pytest.raises(StructNLPError, match="explains one document"):
        explain_pipeline(pipe, texts[:2])
    with pytest.raises(StructNLPError, match="needs a fitted Pipeline"):
        explain_pipeline(clf, texts[0])


def test_explain_pipeline_without_feature_names_warns_and_explains():
    """A step without get_feature_names_out raised scikit-learn's AttributeError."""
    from sklearn.preprocessing import FunctionTransformer

    docs, labels = ["fever cough", "rash itch"] * 10, ["flu", "allergy"] * 10
    tm = TsetlinMachineClassifier(n_clauses=4, threshold=4, specificity=3.0, n_epochs=3, random_state=0)
    pipe = make_pipeline(BooleanBagOfWords(), FunctionTransformer(accept_sparse=True), tm).fit(docs, labels)
    with pytest.warns(UserWarning, match="the feature names are unknown .* x0, x1"):
        e = explain_pipeline(pipe, "fever and cough")
    assert e.predicted == "flu" and e.votes_by_class() == e.scores
    assert all(name.startswith("x") for f in e.clauses for name in f.rule.positive + f.rule.negated)


def test_rules_list_every_nonempty_clause(medical):
    clf, bow, _, _ = medical
    rules = clf.rules(bow.get_feature_names_out())
    everything = clf.rules(bow.get_feature_names_out(), include_empty=True)
    assert len(everything) == 5 * 40
    assert len(rules) == sum(r.n_literals > 0 for r in everything)
    positive, negated = clf.include_masks()
    assert sum(r.n_literals for r in rules) == positive.sum() + negated.sum()
    assert {r.polarity for r in rules} == {"for", "against"}
    assert all((r.clause < 20) == (r.polarity == "for") for r in everything)
    with pytest.raises(StructNLPError, match="feature_names has 3 names"):
        clf.rules(["a", "b", "c"])


def test_literal_importance_sums_the_signed_weights_of_the_rules_holding_each_literal(medical):
    clf, bow, _, _ = medical
    names = list(bow.get_feature_names_out())
    expected = np.zeros((5, 2, len(names)), dtype=np.int64)
    labels = list(clf.classes_)
    for rule in clf.rules(names):  # the brute force: every rule adds its vote to each literal
        for name in rule.positive:
            expected[labels.index(rule.class_), 0, names.index(name)] += rule.vote
        for name in rule.negated:
            expected[labels.index(rule.class_), 1, names.index(name)] += rule.vote
    importance = clf.literal_importance()
    assert importance.dtype == np.int64 and np.array_equal(importance, expected)

    c = labels[1]
    top = clf.top_literals(c, 5, names)
    flat = expected[1].ravel()
    literals = names + [f"NOT {n}" for n in names]
    assert [w for _, w in top] == sorted(flat[flat > 0], reverse=True)[:5]
    assert all(flat[literals.index(literal)] == w for literal, w in top)
    against = clf.top_literals(c, None, names, polarity="against")
    assert len(against) == (flat < 0).sum() and all(w < 0 for _, w in against)
    assert [w for _, w in against] == sorted(w for _, w in against)
    assert clf.top_literals(c, 3)[0][0].removeprefix("NOT ").startswith("x")  # default names x0, x1, ...


def test_top_literals_errors(medical):
    clf, _, _, _ = medical
    with pytest.raises(StructNLPError, match="the model has no class 'flu'; its classes: "):
        clf.top_literals("flu")
    with pytest.raises(StructNLPError, match="top_n"):
        clf.top_literals(clf.classes_[0], 0)
    with pytest.raises(StructNLPError, match="polarity"):
        clf.top_literals(clf.classes_[0], polarity="both")
    with pytest.raises(StructNLPError, match="feature_names has 2 names"):
        clf.top_literals(clf.classes_[0], feature_names=["a", "b"])


def test_rule_text():
    rule = Rule("allergy", "for", 7, ("rash", "penicillin"), ("fever",))
    assert str(rule) == "IF rash AND penicillin AND NOT fever THEN allergy  (for, weight 7)"
    against = Rule("allergy", "against", 3, (), ("rash", "hives"))
    assert str(against) == "IF NOT rash AND NOT hives THEN NOT allergy  (against, weight 3)"
    assert against.vote == -3 and rule.vote == 7
    assert str(Rule("allergy", "for", 1)) == "IF <empty clause: never fires> THEN allergy  (for, weight 1)"
    long = Rule(2, "for", 1, ("a", "b"), ("c", "d", "e"))
    assert long.to_text(max_literals=3) == "IF a AND b AND NOT c AND ... (+2 more) THEN 2  (for, weight 1)"
    with pytest.raises(StructNLPError, match="max_literals must be None or an int >= 0, got -1"):
        long.to_text(max_literals=-1)  # it printed "a AND b AND c AND d AND ... (+6 more)"
    assert long.to_dict() == {
        "class": 2,
        "polarity": "for",
        "weight": 1,
        "positive": ["a", "b"],
        "negated": ["c", "d", "e"],
        "clause": None,
    }


def test_renderers():
    flu = Rule(np.str_("flu"), "for", 3, ("fever",), clause=0)
    cold = Rule(np.str_("cold|x"), "against", 1, ("fever",), clause=5)
    e = Explanation(
        np.str_("flu"),
        {np.str_("cold|x"): -1, np.str_("flu"): 3},
        [FiredClause(np.str_("cold|x"), -1, cold), FiredClause(np.str_("flu"), 3, flu)],
        decision=np.int64(4),
    )
    assert e.to_text().splitlines() == [
        "predicted: flu",
        "scores: cold|x -1, flu 3",
        "cold|x: -1",
        "  -1  IF fever THEN NOT cold|x  (against, weight 1)",
        "flu: +3",
        "  +3  IF fever THEN flu  (for, weight 3)",
    ]
    markdown = e.to_markdown()
    assert "| cold\\|x | -1 |" in markdown and "| +3 | IF fever THEN flu  (for, weight 3) |" in markdown
    data = json.loads(e.to_json())
    assert data["predicted"] == "flu" and data["decision"] == 4
    assert data["scores"] == [{"class": "cold|x", "score": -1}, {"class": "flu", "score": 3}]
    assert data["clauses"][1]["rule"]["positive"] == ["fever"]
    assert data["clauses"][1]["text"] == "IF fever THEN flu  (for, weight 3)"
    assert "No clause fired." in Explanation("a", {"a": 0}).to_markdown()


def test_markdown_shows_hostile_text_instead_of_rendering_it():
    """Labels and words reach Markdown viewers that render raw HTML (Python-Markdown, mkdocs)."""
    rule = Rule("<b>flu</b>", "for", 2, ("<script>alert(1)</script>", "*x*"), ("a_b",))
    markdown = Explanation(
        "<b>flu</b>", {"<b>flu</b>": 2}, [FiredClause("<b>flu</b>", 2, rule)]
    ).to_markdown()
    assert "<" not in markdown and ">" not in markdown.replace("&gt;", "")
    assert "| &lt;b&gt;flu&lt;/b&gt; | 2 |" in markdown
    assert "IF &lt;script&gt;alert(1)&lt;/script&gt; AND \\*x\\* AND NOT a\\_b THEN" in markdown
