"""``structnlp classify train | predict | explain | rules`` and the saved text pipeline behind it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from structnlp.cli import main
from structnlp.corpus import write_jsonl
from structnlp.datasets import load_demo
from structnlp.errors import ModelFileError, StructNLPError
from structnlp.features import BooleanBagOfWords
from tsetlin import TsetlinMachineClassifier, explain_pipeline, load_pipeline, save_pipeline

TM_ARGS = [
    "--clauses", "40", "--threshold", "20", "--specificity", "5", "--epochs", "5",
    "--max-literals", "5", "--no-negation", "--random-state", "0",
]  # fmt: skip
FEATURE_ARGS = ["--stop-words", "english", "--min-df", "3", "--max-features", "2000"]


def _reference_pipeline(texts: list[str], labels: list[str]):
    """The pipeline `classify train` with TM_ARGS and FEATURE_ARGS must build."""
    bow = BooleanBagOfWords(min_df=3, max_features=2000, stop_words="english")
    tm = TsetlinMachineClassifier(
        n_clauses=40,
        threshold=20,
        specificity=5.0,
        n_epochs=5,
        max_included_literals=5,
        feature_negation=False,
        random_state=0,
    )
    return make_pipeline(bow, tm).fit(texts, labels)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("classify")
    texts, labels = load_demo("medical_abstracts_sample")
    train_x, test_x, train_y, test_y = train_test_split(
        list(texts), list(labels), test_size=0.25, random_state=0, stratify=list(labels)
    )
    train, test = folder / "train.jsonl", folder / "test.jsonl"
    write_jsonl(
        train,
        [{"id": i, "text": t, "label": y} for i, (t, y) in enumerate(zip(train_x, train_y, strict=True))],
    )
    write_jsonl(test, [{"body": t, "gold": y} for t, y in zip(test_x, test_y, strict=True)])
    model = folder / "model"
    args = ["classify", "train", "--data", str(train), "--out", str(model), *FEATURE_ARGS, *TM_ARGS]
    assert main([*args, "--quiet"]) == 0
    return {
        "folder": folder,
        "train": train,
        "test": test,
        "model": model,
        "test_x": test_x,
        "test_y": test_y,
        "reference": _reference_pipeline(train_x, train_y),
    }


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ----------------------------------------------------------------------------- train
def test_train_saves_the_same_pipeline_as_the_python_api(trained, capsys):
    capsys.readouterr()
    model = trained["model"]
    assert sorted(p.name for p in model.iterdir()) == ["arrays.safetensors", "config.json"]
    pipe = load_pipeline(model)
    ref = trained["reference"]
    assert pipe[0].get_feature_names_out().tolist() == ref[0].get_feature_names_out().tolist()
    assert np.array_equal(pipe.decision_function(trained["test_x"]), ref.decision_function(trained["test_x"]))
    header = json.loads((model / "config.json").read_text(encoding="utf-8"))
    assert header["model_class"] == "tsetlin.TextPipeline"
    assert header["metadata"]["n_documents"] == 450
    assert header["metadata"]["training_accuracy"] == pytest.approx(ref.score(*_train_xy(trained)))


def _train_xy(trained) -> tuple[list, list]:
    rows = [json.loads(line) for line in trained["train"].read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows], [r["label"] for r in rows]


def test_train_from_csv_reports_progress_and_gives_the_same_model(trained, tmp_path, capsys):
    texts, labels = _train_xy(trained)
    import csv

    path = tmp_path / "train.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["label", "abstract"])
        writer.writerows(zip(labels, texts, strict=True))
    model = tmp_path / "model"
    code, out, _ = _run(
        capsys, "classify", "train", "--data", str(path), "--text-field", "abstract", "--out", str(model),
        *FEATURE_ARGS, *TM_ARGS,
    )  # fmt: skip
    assert code == 0
    n_features = len(trained["reference"][0].vocabulary_)
    lines = out.splitlines()
    assert lines[0] == (
        f"450 documents from {path}: 5 classes, {n_features} features; 40 clauses per class, T=20, s=5.0"
    )
    assert [re.sub(r"[\d.]+ s", "N s", line) for line in lines[1:6]] == [
        f"epoch {i}: N s" for i in range(1, 6)
    ]
    accuracy = trained["reference"].score(texts, labels)
    assert re.fullmatch(rf"accuracy on the training documents: {accuracy:.3f} \([\d.]+ s\)", lines[6])
    assert lines[7] == f"saved to {model}"
    again = load_pipeline(model)
    assert np.array_equal(
        again.decision_function(trained["test_x"]), trained["reference"].decision_function(trained["test_x"])
    )


# ----------------------------------------------------------------------------- predict
def test_predict_prints_one_label_per_document_and_the_accuracy(trained, capsys):
    ref = trained["reference"]
    code, out, err = _run(
        capsys, "classify", "predict", "--model", str(trained["model"]), "--data", str(trained["test"]),
        "--text-field", "body", "--label-field", "gold",
    )  # fmt: skip
    assert code == 0
    expected = ref.predict(trained["test_x"])
    assert out.splitlines() == expected.tolist()
    correct = int((expected == np.asarray(trained["test_y"])).sum())
    assert err == f"accuracy: {correct / 150:.4f} ({correct} of 150 documents)\n"


def test_predict_json_gives_the_class_sums(trained, capsys):
    ref = trained["reference"]
    code, out, _ = _run(
        capsys, "classify", "predict", "--model", str(trained["model"]), "--data", str(trained["test"]),
        "--text-field", "body", "--json",
    )  # fmt: skip
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    sums = ref[-1].class_sums(ref[0].transform(trained["test_x"]))
    classes = ref[-1].classes_.tolist()
    assert [r["scores"] for r in rows] == [dict(zip(classes, map(int, row), strict=True)) for row in sums]
    assert [r["predicted"] for r in rows] == ref.predict(trained["test_x"]).tolist()


def test_predict_reads_plain_text_from_a_file_or_standard_input(trained, tmp_path, capsys, stdin_bytes):
    docs = trained["test_x"][:5]
    path = tmp_path / "notes.txt"
    path.write_text("\n".join(" ".join(d.split()) for d in docs) + "\n", encoding="utf-8")
    expected = trained["reference"].predict([" ".join(d.split()) for d in docs]).tolist()
    code, out, _ = _run(capsys, "classify", "predict", "--model", str(trained["model"]), "--data", str(path))
    assert code == 0 and out.splitlines() == expected
    stdin_bytes(path.read_bytes())
    code, out, _ = _run(capsys, "classify", "predict", "--model", str(trained["model"]), "--format", "text")
    assert code == 0 and out.splitlines() == expected
    stdin_bytes(path.read_bytes())  # '-' is standard input, as for the other structnlp commands
    code, out, _ = _run(capsys, "classify", "predict", "--model", str(trained["model"]), "--data", "-")
    assert code == 0 and out.splitlines() == expected


def test_out_dash_is_standard_output(trained, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a file named "-" would land here
    code, out, _ = _run(capsys, "classify", "rules", "--model", str(trained["model"]), "--out", "-")
    assert code == 0 and "THEN" in out and not (tmp_path / "-").exists()
    assert (0, out, "") == _run(capsys, "classify", "rules", "--model", str(trained["model"]))


def test_data_dash_reads_standard_input(trained, tmp_path, capsys, stdin_bytes):
    """`--data -` said "-: no such file or folder"; it reads text a line each, or the --data-format given."""
    lines = [" ".join(d.split()) for d in trained["test_x"][:3]]
    stdin_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    code, out, _ = _run(
        capsys, "classify", "explain", "--model", str(trained["model"]), "--data", "-", "--format", "json"
    )
    ref = trained["reference"]
    assert (
        code == 0
        and [json.loads(row)["predicted"] for row in out.splitlines()] == ref.predict(lines).tolist()
    )
    records = trained["test"].read_bytes()  # JSON Lines: {"body": ..., "gold": ...}
    stdin_bytes(records)
    argv = ["--model", str(trained["model"]), "--data", "-", "--data-format", "jsonl", "--text-field", "body"]
    code, out, _ = _run(capsys, "classify", "predict", *argv)
    test_x = [" ".join(d.split()) for d in trained["test_x"]]
    assert code == 0 and out.splitlines() == ref.predict(test_x).tolist()
    stdin_bytes(records)
    code, _, _ = _run(
        capsys, "classify", "train", "--data", "-", "--data-format", "jsonl", "--text-field", "body",
        "--label-field", "gold", "--out", str(tmp_path / "m"), "--clauses", "4", "--epochs", "1", "--quiet",
    )  # fmt: skip
    assert code == 0 and (tmp_path / "m").is_dir()
    stdin_bytes(records)  # a pipe has no file name to tell JSON Lines by: plain text, which has no labels
    code, out, err = _run(capsys, "classify", "train", "--data", "-", "--out", str(tmp_path / "m2"))
    assert code == 1 and out == "" and "standard input: plain text (a document a line) has no labels" in err


def test_standard_input_that_is_not_utf8_is_a_clear_error(trained, capsys, stdin_bytes):
    for command in ("predict", "explain"):
        stdin_bytes("fi\xe8vre et \xe9ruption\n".encode("latin-1"))
        code, out, err = _run(capsys, "classify", command, "--model", str(trained["model"]))
        assert code == 1 and out == ""
        assert "standard input, line 1: not valid UTF-8 (byte 2: b'\\xe8')" in err


# ----------------------------------------------------------------------------- explain
def test_explain_text_matches_the_python_explanation(trained, capsys):
    doc = "Malignant tumor of the breast treated with chemotherapy."
    code, out, _ = _run(capsys, "classify", "explain", "--model", str(trained["model"]), "--text", doc)
    assert code == 0
    explanation = explain_pipeline(trained["reference"], doc)
    assert out == explanation.to_text(12) + "\n"
    assert explanation.predicted == "neoplasms"


def test_explain_json_and_markdown_over_a_file(trained, capsys):
    model, test = str(trained["model"]), str(trained["test"])
    code, out, _ = _run(
        capsys, "classify", "explain", "--model", model, "--data", test, "--text-field", "body",
        "--format", "json",
    )  # fmt: skip
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["document"] for r in rows] == list(range(150))
    ref = trained["reference"]
    sums = ref[-1].class_sums(ref[0].transform(trained["test_x"]))
    for row, expected in zip(rows, sums, strict=True):
        assert [s["score"] for s in row["scores"]] == expected.tolist()
        votes = {s["class"]: 0 for s in row["scores"]}
        for clause in row["clauses"]:
            votes[clause["class"]] += clause["vote"]
        assert list(votes.values()) == expected.tolist()  # the votes add up to the class sums
    code, out, _ = _run(
        capsys, "classify", "explain", "--model", model, "--data", test, "--text-field", "body",
        "--format", "markdown", "--index", "7",
    )  # fmt: skip
    assert code == 0 and out == explain_pipeline(ref, trained["test_x"][7]).to_markdown(12) + "\n"
    code, out, _ = _run(
        capsys, "classify", "explain", "--model", model, "--data", test, "--text-field", "body",
        "--format", "markdown",
    )  # fmt: skip
    assert code == 0 and out.count("## Document ") == 150 and out.startswith("## Document 0\n\n> ")
    hostile = trained["folder"] / "hostile.jsonl"
    write_jsonl(hostile, [{"text": "<script>alert(1)</script> tumor"}, {"text": "*bold* cancer"}])
    code, out, _ = _run(
        capsys, "classify", "explain", "--model", model, "--data", str(hostile), "--format", "markdown"
    )
    assert (
        code == 0
        and "> &lt;script&gt;alert(1)&lt;/script&gt; tumor\n" in out
        and "> \\*bold\\* cancer\n" in out
    )


def test_explain_html_report_highlights_the_words_of_the_rules(trained, tmp_path, capsys, stdin_bytes):
    doc = "Tumor of the BREAST; <script>alert('x')</script> cancer & chemotherapy.\nSecond line: tumor."
    stdin_bytes(doc.encode("utf-8"))
    out = tmp_path / "report.html"
    code, stdout, _ = _run(
        capsys, "classify", "explain", "--model", str(trained["model"]), "--format", "html", "--out", str(out)
    )
    assert code == 0 and stdout == ""
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    explanation = explain_pipeline(trained["reference"], doc)
    words = {w for f in explanation.clauses if f.class_ == explanation.predicted for w in f.rule.positive}
    marked = re.findall(
        r'<mark class="vote-\w+" data-vote="[+-]\d+" data-features="[^"]*" title="[^"]*">([^<]*)</mark>', page
    )
    assert words and {m.lower() for m in marked} == words
    assert "Strongest rules of each class" in page


# ----------------------------------------------------------------------------- rules
def test_rules_lists_the_heaviest_rules_per_class(trained, capsys):
    ref = trained["reference"]
    rules = ref[-1].rules(ref[0].get_feature_names_out())
    code, out, _ = _run(capsys, "classify", "rules", "--model", str(trained["model"]), "--top", "2")
    assert code == 0
    expected = []
    for c in ref[-1].classes_:
        best = sorted((r for r in rules if r.class_ == c), key=lambda r: (-r.weight, r.n_literals))[:2]
        expected += [r.to_text(12) for r in best]
    assert out.splitlines() == expected
    code, out, _ = _run(
        capsys, "classify", "rules", "--model", str(trained["model"]), "--class", "neoplasms",
        "--polarity", "for", "--top", "0", "--format", "json",
    )  # fmt: skip
    got = json.loads(out)
    assert code == 0 and len(got) == sum(r.class_ == "neoplasms" and r.polarity == "for" for r in rules)
    assert {r["class"] for r in got} == {"neoplasms"} and got[0]["weight"] == max(r["weight"] for r in got)
    code, out, _ = _run(
        capsys, "classify", "rules", "--model", str(trained["model"]), "--format", "markdown", "--top", "1"
    )
    assert code == 0 and out.count("| weight | polarity | rule |") == 5 and "### neoplasms" in out


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--data", "{folder}/missing.jsonl", "--out", "{folder}/m"], "missing.jsonl: no such file"),
        (  # options are checked before the data is read (and featurized), not after
            ["train", "--data", "{folder}/missing.jsonl", "--out", "{folder}/m", "--clauses", "3"],
            "n_clauses must be even",
        ),
        (
            ["train", "--data", "{folder}/missing.jsonl", "--out", "{folder}/m", "--min-df", "0"],
            "min_df must be",
        ),
        (
            ["train", "--data", "{train}", "--label-field", "class", "--out", "{folder}/m"],
            "line 1: missing field 'class'",
        ),
        (
            ["train", "--data", "{folder}/notes.txt", "--out", "{folder}/m"],
            "plain text (a document a line) has no labels",
        ),
        (
            ["predict", "--model", "{folder}/nothing", "--text-field", "body", "--data", "{test}"],
            "no such model directory",
        ),
        (
            ["predict", "--model", "{folder}/bare", "--data", "{test}"],
            "holds a bare TsetlinMachineClassifier",
        ),
        (["predict", "--model", "{model}", "--data", "{test}"], "line 1: missing field 'text'"),
        (
            ["rules", "--model", "{model}", "--class", "flu"],
            "the model has no class 'flu'; its classes: cardiovascular",
        ),
        (
            ["explain", "--model", "{model}", "--data", "{test}", "--text-field", "body", "--format", "html"],
            "the HTML report shows one document and there are 150",
        ),
        (
            ["explain", "--model", "{model}", "--data", "{test}", "--text-field", "body", "--index", "150"],
            "--index 150 is out of range",
        ),
        (["explain", "--model", "{model}", "--text", "x", "--data", "{test}"], "not both"),
        (
            ["explain", "--model", "{model}", "--text", "fi\udce8vre", "--format", "json"],
            "--text is not valid UTF-8",
        ),
        (
            ["explain", "--model", "{model}", "--text", "x", "--format", "html", "--title", "\udce8"],
            "--title is not valid UTF-8",
        ),
        (["rules", "--model", "{model}", "--out", "{folder}"], "is a directory; give --out a file name"),
        (["rules", "--model", "{model}", "--out", "."], "is a directory; give --out a file name"),
        (["rules", "--model", "{model}", "--out", "{train}/rules.txt"], "rules.txt: cannot write it"),
        (
            [
                "train",
                "--data",
                "{train}",
                "--out",
                "{train}/m",
                "--clauses",
                "4",
                "--epochs",
                "1",
                "--quiet",
            ],
            "train.jsonl/m: cannot write the model",
        ),
        (
            ["train", "--data", "{train}", "--out", "{train}"],
            "train.jsonl: exists and is not a structnlp model",
        ),
        (
            ["explain", "--model", "{model}", "--data-format", "csv"],
            "standard input is read as one plain-text",
        ),
    ],
)
def test_errors_are_one_line_with_status_1(trained, capsys, argv, message):
    folder = trained["folder"]
    (folder / "notes.txt").write_text("a note\n", encoding="utf-8")
    if not (folder / "bare").exists():
        trained["reference"][-1].save(folder / "bare")
    names = {k: str(v) for k, v in trained.items() if isinstance(v, Path)}
    code, out, err = _run(capsys, "classify", *[a.format(**names) for a in argv])
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("structnlp: error: ") and message in err


def test_importance_lists_the_heaviest_literals_per_class(trained, capsys):
    ref = trained["reference"]
    names = ref[0].get_feature_names_out()
    code, out, _ = _run(capsys, "classify", "importance", "--model", str(trained["model"]), "--top", "3")
    assert code == 0
    expected = [f"{c}\t{lit}\t{w}" for c in ref[-1].classes_ for lit, w in ref[-1].top_literals(c, 3, names)]
    assert out.splitlines() == expected and len(expected) == 3 * len(ref[-1].classes_)
    code, out, _ = _run(
        capsys, "classify", "importance", "--model", str(trained["model"]), "--class", "neoplasms",
        "--polarity", "against", "--top", "0", "--format", "json",
    )  # fmt: skip
    got = json.loads(out)
    assert code == 0 and got
    assert [(r["literal"], r["importance"]) for r in got] == ref[-1].top_literals(
        "neoplasms", None, names, polarity="against"
    )
    code, out, _ = _run(
        capsys,
        "classify",
        "importance",
        "--model",
        str(trained["model"]),
        "--format",
        "markdown",
        "--top",
        "1",
    )
    assert code == 0 and out.splitlines()[:2] == ["| class | literal | importance |", "|---|---|---:|"]
    code, _, err = _run(capsys, "classify", "importance", "--model", str(trained["model"]), "--class", "flu")
    assert code == 1 and "the model has no class 'flu'" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["rules", "--top", "-1"],
        ["importance", "--top", "-1"],
        ["rules", "--max-literals", "-2"],
        ["explain", "--text", "x", "--max-literals", "-1"],
        ["explain", "--text", "x", "--format", "html", "--top-rules", "-1"],
    ],
)
def test_negative_counts_are_usage_errors(trained, capsys, argv):
    """A negative count sliced from the end: `rules --top -1` silently dropped each class's last rule."""
    with pytest.raises(SystemExit) as exit_info:
        main(["classify", argv[0], "--model", str(trained["model"]), *argv[1:]])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and f"{argv[-2]}: expected a whole number >= 0, got {argv[-1]}" in err


def test_max_features_takes_zero_for_all_and_refuses_negatives(capsys):
    """0 means all features; -1 got the Python parameter's 'must be None or an int >= 1'."""
    with pytest.raises(SystemExit) as exit_info:
        main(["classify", "train", "--data", "d.jsonl", "--out", "m", "--max-features", "-1"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "--max-features: expected a whole number >= 0, got -1" in err


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ([{"text": "a", "label": "x"}] * 3, "every document has the label 'x'"),
        (
            [{"text": "a", "label": "x"}, {"text": "b", "label": ["y"]}],
            "record 2: the label field 'label' holds [\"y\"]",
        ),
        (
            [{"text": "a", "label": "x"}, {"text": "b", "label": 1}],
            "record 2: the label field 'label' mixes strings",
        ),
        ([{"text": "a", "label": "x"}, {"text": 7, "label": "y"}], "line 2: field 'text' should be a string"),
        (
            [{"text": "a", "label": "x"}, {"text": "b", "label": " "}],
            "record 2: the label field 'label' is empty",
        ),
    ],
)
def test_bad_training_labels(tmp_path, capsys, records, message):
    path = tmp_path / "bad.jsonl"
    write_jsonl(path, records)
    code, _, err = _run(capsys, "classify", "train", "--data", str(path), "--out", str(tmp_path / "m"))
    assert code == 1 and message in err


def test_integer_labels_round_trip(tmp_path, capsys):
    path = tmp_path / "ints.jsonl"
    write_jsonl(path, [{"text": t, "label": y} for t, y in [("fever cough", 1), ("rash itch", 0)] * 10])
    assert (
        main(["classify", "train", "--data", str(path), "--out", str(tmp_path / "m"), "--quiet", *TM_ARGS])
        == 0
    )
    code, out, err = _run(
        capsys, "classify", "predict", "--model", str(tmp_path / "m"), "--data", str(path), "--json",
        "--label-field", "label",
    )  # fmt: skip
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["predicted"] for r in rows] == [1, 0] * 10
    assert err == "accuracy: 1.0000 (20 of 20 documents)\n"


# ----------------------------------------------------------------------------- save_pipeline / load_pipeline
def test_pipeline_round_trip_keeps_featurizer_settings(tmp_path):
    docs = ["the fever and the cough", "a rash, an itch", "fever cough ache", "rash itch red"] * 5
    labels = ["flu", "allergy", "flu", "allergy"] * 5
    bow = BooleanBagOfWords(ngram_range=(1, 2), stop_words=["the", "a", "an"], lowercase=False, max_df=0.9)
    tm = TsetlinMachineClassifier(n_clauses=6, threshold=5, specificity=3.0, n_epochs=4, random_state=1)
    pipe = make_pipeline(bow, tm).fit(docs, labels)
    path = save_pipeline(pipe, tmp_path / "m", metadata={"note": "toy"})
    again = load_pipeline(path)
    params = again[0].get_params()
    assert params["ngram_range"] == (1, 2) and params["stop_words"] == frozenset({"a", "an", "the"})
    assert params["lowercase"] is False and params["max_df"] == 0.9 and params["vocabulary"] is None
    assert again[0].vocabulary_ == pipe[0].vocabulary_
    probe = ["Fever and cough", "the rash itch", "nothing known"]
    assert np.array_equal(again.decision_function(probe), pipe.decision_function(probe))


def test_pipeline_round_trip_keeps_step_names(tmp_path):
    """A Pipeline([("bow", ...), ("tm", ...)]) came back with make_pipeline's step names."""
    from sklearn.pipeline import Pipeline

    docs, labels = ["fever cough", "rash itch"] * 4, ["flu", "allergy"] * 4
    tm = TsetlinMachineClassifier(n_clauses=4, threshold=4, specificity=3.0, n_epochs=1, random_state=0)
    pipe = Pipeline([("bow", BooleanBagOfWords()), ("tm", tm)]).fit(docs, labels)
    again = load_pipeline(save_pipeline(pipe, tmp_path / "m"))
    assert list(again.named_steps) == ["bow", "tm"] and again.set_params(tm__threshold=8)[-1].threshold == 8
    config = tmp_path / "m" / "config.json"
    header = json.loads(config.read_text(encoding="utf-8"))
    del header["config"]["step_names"]  # a directory saved before the names were kept
    config.write_text(json.dumps(header), encoding="utf-8")
    assert list(load_pipeline(tmp_path / "m").named_steps) == [
        "booleanbagofwords",
        "tsetlinmachineclassifier",
    ]
    header["config"]["step_names"] = ["tm", "tm"]
    config.write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(ModelFileError, match="step_names should be two distinct step names"):
        load_pipeline(tmp_path / "m")


def test_save_pipeline_refuses_what_it_cannot_store(tmp_path):
    docs, labels = ["fever cough", "rash itch"] * 4, ["flu", "allergy"] * 4
    tm = TsetlinMachineClassifier(n_clauses=4, threshold=4, specificity=3.0, n_epochs=1, random_state=0)
    pipe = make_pipeline(BooleanBagOfWords(tokenizer=str.split), tm).fit(docs, labels)
    with pytest.raises(StructNLPError, match="only a backend name"):
        save_pipeline(pipe, tmp_path / "m")
    with pytest.raises(StructNLPError, match="saves a make_pipeline"):
        save_pipeline(tm, tmp_path / "m")


def test_classifier_load_points_a_pipeline_directory_to_load_pipeline(trained):
    with pytest.raises(ModelFileError, match="holds a text pipeline .* load it with tsetlin.load_pipeline"):
        TsetlinMachineClassifier.load(trained["model"])


def test_load_pipeline_checks_the_saved_featurizer(trained, tmp_path):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(trained["model"], copy)
    config = copy / "config.json"
    header = json.loads(config.read_text(encoding="utf-8"))
    header["config"]["features"]["vocabulary"].pop()
    config.write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(ModelFileError, match="incomplete or invalid|vocabulary has"):
        load_pipeline(copy)
    header["config"]["features"]["vocabulary"] += ["cancer"]
    config.write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(ModelFileError, match="holds a feature twice"):
        load_pipeline(copy)
    del header["config"]["features"]["tokenizer"]
    config.write_text(json.dumps(header), encoding="utf-8")
    with pytest.raises(ModelFileError, match="the featurizer config should hold"):
        load_pipeline(copy)
