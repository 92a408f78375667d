"""Tests of structnlp.corpus: every reader on tiny files (plain and gzip), bad input, streaming."""

from __future__ import annotations

import gzip
import inspect
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from structnlp.corpus import (
    ConlluExtra,
    ConlluToken,
    DependencySentence,
    Sentence,
    guess_format,
    iter_corpus,
    iter_files,
    open_text_write,
    read_conllu,
    read_csv,
    read_dependency_dp,
    read_documents,
    read_jsonl,
    read_ptb,
    write_conllu,
    write_jsonl,
)
from structnlp.errors import CorpusFormatError, EmptyCorpusError, StructNLPError


def write(path: Path, data: str | bytes, gz: bool = False) -> Path:
    """Write ``data`` (UTF-8 when text) to ``path``, gzip-compressed when ``gz``."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def error_of(records, path: Path, line: int | None) -> CorpusFormatError:
    """Consume ``records``; assert the CorpusFormatError names ``path`` and ``line``."""
    with pytest.raises(CorpusFormatError) as info:
        list(records)
    assert info.value.path == str(path)
    assert info.value.line == line
    assert str(path) in str(info.value)
    if line is not None:
        assert f"line {line}:" in str(info.value)
    return info.value


# --------------------------------------------------------------------------- files and folders


def test_iter_files_walks_sorted_recursively_and_filters(tmp_path):
    for name in ["b.txt", "a.txt.GZ", "z/c.text", "y/d.txt", "notes.md", ".hidden.txt", ".git/e.txt"]:
        write(tmp_path / name, "x")
    got = [p.relative_to(tmp_path).as_posix() for p in iter_files(tmp_path, (".txt", ".text"))]
    assert got == ["a.txt.GZ", "b.txt", "y/d.txt", "z/c.text"]
    assert [p.name for p in iter_files(tmp_path, ("",))] == [
        "a.txt.GZ",
        "b.txt",
        "notes.md",
        "d.txt",
        "c.text",
    ]
    assert list(iter_files(tmp_path / "notes.md", (".txt",))) == [tmp_path / "notes.md"]


def test_missing_path_raises_when_the_reader_is_called(tmp_path):
    for reader in (read_documents, read_jsonl, read_csv, read_conllu, read_ptb, read_dependency_dp):
        with pytest.raises(FileNotFoundError, match="no such file"):
            reader(tmp_path / "absent")


def test_open_text_write_gzip_is_deterministic(tmp_path):
    for name in ("a.txt.gz", "b.txt.gz"):
        with open_text_write(tmp_path / name) as fh:
            fh.write("same text\n")
    assert (tmp_path / "a.txt.gz").read_bytes() == (tmp_path / "b.txt.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.txt.gz").read_bytes()) == b"same text\n"


# --------------------------------------------------------------------------- plain text


@pytest.mark.parametrize("gz", [False, True])
def test_read_documents_one_per_line(tmp_path, gz):
    p = write(tmp_path / "docs.txt", "  alpha beta \n\n\t\ngamma\r\nlast", gz)
    assert list(read_documents(p)) == ["alpha beta", "gamma", "last"]
    assert list(read_documents(p, skip_empty=False)) == ["alpha beta", "", "", "gamma", "last"]


def test_read_documents_one_per_file_in_a_folder(tmp_path):
    write(tmp_path / "b.txt", "second\ndoc\n")
    write(tmp_path / "a" / "x.txt", "first doc", gz=True)
    write(tmp_path / "c.txt", "\n  \n")
    write(tmp_path / "ignored.json", "{}")
    assert list(read_documents(tmp_path)) == ["first doc", "second\ndoc"]
    assert list(read_documents(tmp_path, one_per="line")) == ["first doc", "second", "doc"]
    assert list(read_documents(tmp_path, skip_empty=False)) == ["first doc", "second\ndoc", "\n  "]
    assert list(read_documents(tmp_path / "b.txt", one_per="file")) == ["second\ndoc"]


def test_read_documents_every_file_with_empty_suffix(tmp_path):
    write(tmp_path / "49960", "a post")
    write(tmp_path / "49961", "another")
    assert list(read_documents(tmp_path, suffixes=("",))) == ["a post", "another"]


def test_read_documents_bad_arguments_and_empty_input(tmp_path):
    with pytest.raises(StructNLPError, match="one_per must be 'line' or 'file'"):
        read_documents(write(tmp_path / "a.txt", "x"), one_per="sentence")
    with pytest.raises(EmptyCorpusError, match="no documents found"):
        list(read_documents(write(tmp_path / "empty.txt", "")))
    with pytest.raises(EmptyCorpusError, match="no documents found"):
        list(read_documents(write(tmp_path / "blank.txt", "\n \n")))
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "a.csv", "x")
    with pytest.raises(EmptyCorpusError, match=r"no files named \*\.txt, \*\.text, \*\.cor"):
        list(read_documents(tmp_path / "sub"))


@pytest.mark.parametrize("gz", [False, True])
def test_non_utf8_byte_names_file_and_line(tmp_path, gz):
    p = write(tmp_path / "latin.txt", b"fine\nalso fine\ncaf\xe9\n", gz)
    err = error_of(read_documents(p), p, 3)
    assert "not valid UTF-8" in str(err)


@pytest.mark.parametrize(
    ("reader", "name", "good"),
    [
        (read_jsonl, "a.jsonl", '{"text": "x"}\n'),
        (read_csv, "a.csv", "text\nx\n"),
        (read_conllu, "a.conllu", "1\tx\t_\t_\t_\t_\t0\troot\t_\t_\n\n"),
        (read_ptb, "a.mrg", "( (S (NN x)) )\n"),
        (read_dependency_dp, "a.dp", "x\tNN\t0\n\n"),
    ],
)
def test_every_reader_reports_non_utf8_with_line(tmp_path, reader, name, good):
    p = write(tmp_path / name, good.encode() + b"\xff\xfe\n")
    error_of(reader(p), p, good.count("\n") + 1)


# --------------------------------------------------------------------------- JSON Lines


@pytest.mark.parametrize("gz", [False, True])
def test_read_jsonl_records_and_fields(tmp_path, gz):
    p = write(
        tmp_path / "d.jsonl",
        '{"id": 1, "text": "good", "label": "pos", "extra": [1, 2]}\n\n   \n'
        '{"id": 2, "text": "bad", "label": "neg", "extra": null}\n',
        gz,
    )
    assert list(read_jsonl(p, label_field="label")) == [
        {"id": 1, "text": "good", "label": "pos", "extra": [1, 2]},
        {"id": 2, "text": "bad", "label": "neg", "extra": None},
    ]
    assert list(read_jsonl(p, label_field="label", fields=["id"])) == [
        {"text": "good", "label": "pos", "id": 1},
        {"text": "bad", "label": "neg", "id": 2},
    ]
    assert list(read_jsonl(p, text_field=None, fields=["extra"])) == [{"extra": [1, 2]}, {"extra": None}]


def test_read_jsonl_folder_reads_jsonl_and_gz_sorted(tmp_path):
    write(tmp_path / "b.jsonl.gz", '{"text": "b"}\n', gz=True)
    write(tmp_path / "a.jsonl", '{"text": "a"}\n')
    write(tmp_path / "c.json", '{"text": "c"}\n')
    assert [r["text"] for r in read_jsonl(tmp_path)] == ["a", "b"]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('{"text": "ok"}\n{"text": "broken"\n', 2, "malformed JSON: Expecting ',' delimiter (column 18)"),
        ('{"text": "ok"}\n\n["text", "a list"]\n', 3, "expected a JSON object on each line, found an array"),
        ('"just a string"\n', 1, "found a string"),
        (
            '{"text": "ok", "label": 1}\n{"body": "no text"}\n',
            2,
            "missing field 'text' (fields present: body)",
        ),
        ('{"text": 42}\n', 1, "field 'text' should be a string, found a number"),
        ("{}\n", 1, "missing field 'text' (fields present: none)"),
    ],
)
def test_read_jsonl_bad_input(tmp_path, content, line, message):
    p = write(tmp_path / "bad.jsonl", content)
    assert message in str(error_of(read_jsonl(p), p, line))


def test_read_jsonl_missing_label_and_listed_fields(tmp_path):
    p = write(tmp_path / "d.jsonl", '{"text": "a", "label": 1}\n{"text": "b"}\n')
    assert "missing field 'label'" in str(error_of(read_jsonl(p, label_field="label"), p, 2))
    assert "missing field 'id'" in str(error_of(read_jsonl(p, fields=["id"]), p, 1))


def test_read_jsonl_empty_file(tmp_path):
    with pytest.raises(EmptyCorpusError, match="no JSON Lines records found"):
        list(read_jsonl(write(tmp_path / "e.jsonl", "\n\n")))


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"score": float("nan")}, "Out of range float values"),
        ({"tags": {"a"}}, "set is not JSON serializable"),
    ],
)
def test_write_jsonl_refuses_what_is_not_json(tmp_path, record, message):
    # NaN was written as a bare NaN that other JSON readers reject; a set failed with a TypeError
    with pytest.raises(StructNLPError, match=rf"record 2 is not JSON: .*{message}"):
        write_jsonl(tmp_path / "x.jsonl", [{"a": 1}, record])
    assert not (tmp_path / "x.jsonl").exists()


def test_write_jsonl_rejects_non_dicts(tmp_path):
    with pytest.raises(StructNLPError, match="record 2 is a list"):
        write_jsonl(tmp_path / "x.jsonl", [{"a": 1}, [1, 2]])
    assert not (tmp_path / "x.jsonl").exists()  # atomic: nothing left behind


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
json_records = st.fixed_dictionaries(
    {"text": st.text()}, optional={"label": json_values, "meta": json_values}
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(json_records, min_size=1, max_size=5), gz=st.booleans())
def test_jsonl_round_trip(tmp_path, records, gz):
    path = tmp_path / ("rt.jsonl.gz" if gz else "rt.jsonl")
    assert write_jsonl(path, records) == len(records)
    assert list(read_jsonl(path)) == records


# --------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("gz", [False, True])
def test_read_csv_quoted_multiline_fields(tmp_path, gz):
    p = write(tmp_path / "d.csv", 'id,label,text\n1,pos,"good,\nreally ""good"""\n\n2,neg,plain\n', gz)
    assert list(read_csv(p, label_field="label")) == [
        {"id": "1", "label": "pos", "text": 'good,\nreally "good"'},
        {"id": "2", "label": "neg", "text": "plain"},
    ]
    assert list(read_csv(p, fields=["id"])) == [
        {"text": 'good,\nreally "good"', "id": "1"},
        {"text": "plain", "id": "2"},
    ]


def test_read_csv_wrong_column_count_names_the_physical_line(tmp_path):
    # the bad row starts on physical line 5: the quoted field of row 1 spans lines 2-4
    p = write(tmp_path / "d.csv", 'label,text\npos,"one\ntwo\nthree"\nneg,a,b\n')
    err = error_of(read_csv(p), p, 5)
    assert "row has 3 columns, the header has 2" in str(err)


def test_read_csv_unclosed_quote_names_the_line_it_opens(tmp_path):
    p = write(tmp_path / "d.csv", 'label,text\npos,fine\nneg,"never closed\nmore\n')
    assert "quoted field is never closed" in str(error_of(read_csv(p), p, 3))


def test_read_csv_header_problems(tmp_path):
    p = write(tmp_path / "d.csv", "label,body\npos,x\n")
    assert "no column 'text' in the header (columns: label, body)" in str(error_of(read_csv(p), p, 1))
    assert list(read_csv(p, text_field="body")) == [{"label": "pos", "body": "x"}]
    assert "no column 'y'" in str(error_of(read_csv(p, text_field="body", label_field="y"), p, 1))
    p = write(tmp_path / "dup.csv", "\ntext,text\na,b\n")
    assert "duplicated column name(s) in the header: ['text']" in str(error_of(read_csv(p), p, 2))


def test_read_csv_malformed_quote(tmp_path):
    p = write(tmp_path / "d.csv", 'text\n"a"b\n')
    assert "malformed CSV" in str(error_of(read_csv(p), p, 2))


def test_read_csv_field_over_the_csv_limit(tmp_path):
    p = write(tmp_path / "long.csv", "text\nshort\n" + "x" * 200_000 + "\n")
    assert "csv.field_size_limit()" in str(error_of(read_csv(p), p, 3))


def test_read_csv_tells_tsv_from_csv_file_by_file(tmp_path):
    # a .tsv was read with a comma ("no column 'text'"), and iter_corpus applied the first
    # file's delimiter to every file of a folder
    write(tmp_path / "a.tsv", "text\tlabel\nhello, world\tpos\n")
    write(tmp_path / "b.csv.gz", 'text,label\n"x, y",neg\n', gz=True)
    expected = [{"text": "hello, world", "label": "pos"}, {"text": "x, y", "label": "neg"}]
    assert list(read_csv(tmp_path, label_field="label")) == expected
    assert list(iter_corpus(tmp_path, text_field="text", label_field="label")) == expected
    assert list(read_csv(tmp_path / "a.tsv")) == expected[:1]
    with pytest.raises(CorpusFormatError, match=r"b.csv.gz, line 1: no column 'text'"):
        list(read_csv(tmp_path, label_field="label", delimiter="\t"))
    with pytest.raises(StructNLPError, match="delimiter must be one character or None, got ';;'"):
        read_csv(tmp_path, delimiter=";;")


def test_read_csv_tsv_and_empty(tmp_path):
    p = write(tmp_path / "d.tsv", "text\tlabel\nWho is it ?\tHUM\n")
    assert list(read_csv(p, delimiter="\t")) == [{"text": "Who is it ?", "label": "HUM"}]
    with pytest.raises(EmptyCorpusError):
        list(read_csv(write(tmp_path / "e.csv", "")))
    with pytest.raises(EmptyCorpusError):
        list(read_csv(write(tmp_path / "h.csv", "text,label\n")))


# --------------------------------------------------------------------------- CoNLL-U

CONLLU = (
    "# newdoc id = d1\n"
    "# sent_id = s1\n"
    "# text = I don't sleep.\n"
    "1\tI\tI\tPRON\tPRP\tCase=Nom|Number=Sing\t4\tnsubj\t4:nsubj\t_\n"
    "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
    "2\tdo\tdo\tAUX\tVBP\tMood=Ind\t4\taux\t4:aux\t_\n"
    "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t4:advmod\t_\n"
    "4\tsleep\tsleep\tVERB\tVB\tVerbForm=Inf\t0\troot\t0:root\tSpaceAfter=No\n"
    "4.1\tsleep\tsleep\tVERB\tVB\t_\t_\t_\t1:xcomp\tCopyOf=4\n"
    "5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t4:punct\t_\n"
    "\n"
    "# sent_id = s2\n"
    "1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t0:root\t_\n"
    "\n"
)


@pytest.mark.parametrize("gz", [False, True])
def test_read_conllu_sentences(tmp_path, gz):
    p = write(tmp_path / "a.conllu", CONLLU, gz)
    s1, s2 = read_conllu(p)
    assert s1.words == ["I", "do", "n't", "sleep", "."]
    assert s1.heads == [4, 4, 4, 0, 4]
    assert s1.deprels == ["nsubj", "aux", "advmod", "root", "punct"]
    assert s1.upos == ["PRON", "AUX", "PART", "VERB", "PUNCT"]
    assert s1.lemmas == ["I", "do", "not", "sleep", "."]
    assert len(s1) == 5
    assert s1.tokens[0] == ConlluToken(
        1, "I", "I", "PRON", "PRP", "Case=Nom|Number=Sing", 4, "nsubj", "4:nsubj", "_"
    )
    assert s1.tokens[0].feats_dict == {"Case": "Nom", "Number": "Sing"}
    assert s1.tokens[2].feats_dict == {}
    assert s1.comments == ["newdoc id = d1", "sent_id = s1", "text = I don't sleep."]
    assert s1.metadata == {"newdoc id": "d1", "sent_id": "s1", "text": "I don't sleep."}
    assert (s1.sent_id, s1.text) == ("s1", "I don't sleep.")
    assert [(e.after, e.id, e.form, e.is_multiword) for e in s1.extras] == [
        (1, "2-3", "don't", True),
        (4, "4.1", "sleep", False),
    ]
    assert (s2.sent_id, s2.text, s2.extras) == ("s2", "Yes", [])


def test_conllu_to_conllu_round_trip_is_exact(tmp_path):
    p = write(tmp_path / "a.conllu", CONLLU)
    sentences = list(read_conllu(p))
    assert "".join(s.to_conllu() for s in sentences) == CONLLU
    assert write_conllu(tmp_path / "b.conllu.gz", sentences) == 2
    assert gzip.decompress((tmp_path / "b.conllu.gz").read_bytes()).decode() == CONLLU


def test_read_conllu_without_final_blank_line_and_several_blank_lines(tmp_path):
    p = write(
        tmp_path / "a.conllu", "\n\n1\ta\t_\t_\t_\t_\t0\troot\t_\t_\n\n\n\n1\tb\t_\t_\t_\t_\t0\troot\t_\t_"
    )
    assert [s.words for s in read_conllu(p)] == [["a"], ["b"]]


WORD = "1\tx\t_\t_\t_\t_\t0\troot\t_\t_\n"


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        (WORD + "\n1\tx\t_\t_\t_\t_\t0\troot\t_\n", 3, "expected 10 tab-separated columns, found 9"),
        ("1 x _ _ _ _ 0 root _ _\n", 1, "found 1 (columns must be separated by tabs, not spaces)"),
        ("# text = x\n1\tx\t_\t_\t_\t_\troot\t0\t_\t_\n", 2, "HEAD 'root' is not an integer"),
        (WORD + "2\ty\t_\t_\t_\t_\t7\tdep\t_\t_\n", 2, "head 7 of word 2 is outside 0..2"),
        (WORD + "2\ty\t_\t_\t_\t_\t-1\tdep\t_\t_\n", 2, "head -1 of word 2 is outside 0..2"),
        (WORD + "2\ty\t_\t_\t_\t_\t2\tdep\t_\t_\n", 2, "word 2 is its own head"),
        (WORD + "3\ty\t_\t_\t_\t_\t1\tdep\t_\t_\n", 2, "word ID 3 out of sequence (expected 2)"),
        ("one\tx\t_\t_\t_\t_\t0\troot\t_\t_\n", 1, "ID 'one' is not an integer"),
        (WORD + "3-4\txy\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "ID '3-4' out of sequence after word 1"),
        (WORD + "1.x\tx\t_\t_\t_\t_\t_\t_\t_\t_\n", 2, "ID part 'x' is not an integer"),
        ("1\tx\t\t_\t_\t_\t0\troot\t_\t_\n", 1, "column LEMMA is empty"),
        (WORD + "# late comment\n", 2, "comment line inside a sentence"),
        (WORD + "\n# sent_id = orphan\n", 3, "sentence has no word lines"),
    ],
)
def test_read_conllu_bad_input(tmp_path, content, line, message):
    p = write(tmp_path / "bad.conllu", content)
    assert message in str(error_of(read_conllu(p), p, line))


def test_read_conllu_empty(tmp_path):
    with pytest.raises(EmptyCorpusError, match="no CoNLL-U sentences found"):
        list(read_conllu(write(tmp_path / "e.conllu", "\n")))


# CoNLL-U cells: non-empty, no tab or line break; comments: no line break, no leading space
cell = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\t\n\r"), min_size=1, max_size=6
)
comment = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), max_size=12
).filter(lambda s: not s.startswith(" "))


@st.composite
def sentences(draw) -> Sentence:
    n = draw(st.integers(1, 6))
    tokens = []
    for i in range(1, n + 1):
        head = draw(st.integers(0, n).filter(lambda h, i=i: h != i))
        tokens.append(ConlluToken(i, *(draw(cell) for _ in range(5)), head, *(draw(cell) for _ in range(3))))
    extras = []
    for after in sorted(draw(st.lists(st.integers(0, n), max_size=3))):
        if after < n and draw(st.booleans()):
            extras.append(ConlluExtra(after, (f"{after + 1}-{after + 2}", draw(cell), *["_"] * 8)))
        else:
            extras.append(ConlluExtra(after, (f"{after}.1", *(draw(cell) for _ in range(9)))))
    return Sentence(tokens, draw(st.lists(comment, max_size=3)), extras)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sents=st.lists(sentences(), min_size=1, max_size=4), gz=st.booleans())
def test_conllu_write_read_round_trip(tmp_path, sents, gz):
    path = tmp_path / ("rt.conllu.gz" if gz else "rt.conllu")
    assert write_conllu(path, sents) == len(sents)
    assert list(read_conllu(path)) == sents


# --------------------------------------------------------------------------- PTB brackets

PTB = """
( (S
    (NP-SBJ (NNP Pierre) (NNP Vinken) )
    (VP (MD will)
      (VP (VB join) (NP (DT the) (NN board) )))
    (. .) ))
( (S (NP-SBJ (-NONE- *-1) ) (VP (VBZ is) ) (. .) ))(ROOT (FRAG (NN Yes)))
"""


@pytest.mark.parametrize("gz", [False, True])
def test_read_ptb_multiline_trees_and_wrapper(tmp_path, gz):
    from nltk.tree import Tree

    p = write(tmp_path / "wsj_0001.mrg", PTB, gz)
    trees = list(read_ptb(p))
    assert [t.label() for t in trees] == ["S", "S", "ROOT"]
    assert trees[0].leaves() == ["Pierre", "Vinken", "will", "join", "the", "board", "."]
    assert trees[1].pos() == [("*-1", "-NONE-"), ("is", "VBZ"), (".", ".")]
    # the reference implementation: nltk's own parser of the same brackets, wrapper removed
    assert trees[0] == Tree.fromstring(PTB.strip().split("\n( (S (NP-SBJ (-NONE-")[0])[0]
    assert trees[2] == Tree.fromstring("(ROOT (FRAG (NN Yes)))")


def test_read_ptb_keeps_a_wrapper_with_several_children(tmp_path):
    p = write(tmp_path / "a.mrg", "( (S (NN a)) (S (NN b)) )")
    [tree] = read_ptb(p)
    assert tree.label() == "" and [t.label() for t in tree] == ["S", "S"]


def test_read_ptb_folder(tmp_path):
    write(tmp_path / "wsj_0002.mrg", "( (S (NN two)) )\n")
    write(tmp_path / "wsj_0001.mrg.gz", "( (S (NN one)) )\n", gz=True)
    write(tmp_path / "readme.txt", "not a tree")
    assert [t.leaves() for t in read_ptb(tmp_path)] == [["one"], ["two"]]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("( (S (NN a)) )\n\n( (S\n  (NP (NN b)\n", 3, "the tree starting here misses 3 closing ')'"),
        ("( (S (NN a)) )\n( (S (NN b)) ))\n", 2, "')' without a matching '('"),
        ("( (S (NN a)) )\nstray words\n", 2, "text 'stray' outside any bracketed tree"),
        ("( (S (NN a)) )\n(S (NP ()))\n", 2, "empty brackets '()'"),  # was a Tree('', []) node
    ],
)
def test_read_ptb_unbalanced(tmp_path, content, line, message):
    p = write(tmp_path / "bad.mrg", content)
    assert message in str(error_of(read_ptb(p), p, line))


def test_read_ptb_empty(tmp_path):
    with pytest.raises(EmptyCorpusError, match="no bracketed trees found"):
        list(read_ptb(write(tmp_path / "e.mrg", "\n\n")))


# --------------------------------------------------------------------------- .dp


@pytest.mark.parametrize("gz", [False, True])
def test_read_dependency_dp(tmp_path, gz):
    p = write(tmp_path / "a.dp", "Pierre\tNNP\t2\nVinken\tNNP\t3\nsmiles\tVBZ\t0\n\n\nYes\tUH\t0", gz)
    assert list(read_dependency_dp(p)) == [
        DependencySentence(["Pierre", "Vinken", "smiles"], ["NNP", "NNP", "VBZ"], [2, 3, 0]),
        DependencySentence(["Yes"], ["UH"], [0]),
    ]
    assert len(next(read_dependency_dp(p))) == 3


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("a\tDT\t2\nb\tNN\n", 2, "expected 3 columns (word, tag, head), found 2"),
        ("a\tDT\tx\n", 1, "head 'x' is not an integer"),
        ("a\tDT\t0\n\nb\tNN\t3\nc\tNN\t0\n", 3, "head 3 of word 1 is outside 0..2"),
    ],
)
def test_read_dependency_dp_bad_input(tmp_path, content, line, message):
    p = write(tmp_path / "bad.dp", content)
    assert message in str(error_of(read_dependency_dp(p), p, line))


# --------------------------------------------------------------------------- dispatch


def test_guess_format_and_iter_corpus(tmp_path):
    files = {
        "a.txt": ("text", "one\ntwo\n", ["one", "two"]),
        "a.cor.gz": ("text", "doc\n", ["doc"]),
        "a.jsonl.gz": ("jsonl", '{"text": "x"}\n', [{"text": "x"}]),
        "a.csv": ("csv", "text,label\nx,1\n", [{"text": "x", "label": "1"}]),
        "a.tsv": ("csv", "text\tlabel\nx,y\t1\n", [{"text": "x,y", "label": "1"}]),
        "a.conllu": ("conllu", WORD, None),
        "a.mrg": ("ptb", "( (S (NN x)) )", None),
        "a.dp": ("dp", "x\tNN\t0\n", [DependencySentence(["x"], ["NN"], [0])]),
    }
    for name, (fmt, content, expected) in files.items():
        p = write(tmp_path / fmt / name, content, gz=name.endswith(".gz"))
        assert guess_format(p) == fmt
        records = list(iter_corpus(p))
        if expected is not None:
            assert records == expected, name
    assert next(iter_corpus(tmp_path / "conllu")).words == ["x"]
    assert next(iter_corpus(tmp_path / "ptb")).leaves() == ["x"]
    assert guess_format(tmp_path / "ptb") == "ptb"
    (tmp_path / "tsvdir").mkdir()
    write(tmp_path / "tsvdir" / "q.tsv", "text\tlabel\na,b\tc\n")
    assert list(iter_corpus(tmp_path / "tsvdir")) == [{"text": "a,b", "label": "c"}]
    assert list(iter_corpus(tmp_path / "text" / "a.txt", format="text", one_per="file")) == ["one\ntwo"]


def test_iter_corpus_errors(tmp_path):
    p = write(tmp_path / "a.xml", "<x/>")
    with pytest.raises(StructNLPError, match="cannot tell the corpus format.*name the format: one of"):
        iter_corpus(p)
    with pytest.raises(StructNLPError, match="unknown corpus format 'xml'"):
        iter_corpus(p, format="xml")
    with pytest.raises(EmptyCorpusError, match="no file of a known corpus format"):
        guess_format(tmp_path)
    assert list(iter_corpus(p, format="text")) == ["<x/>"]


# --------------------------------------------------------------------------- streaming


def test_readers_are_generators(tmp_path):
    p = write(tmp_path / "a.txt", "x\n")
    assert inspect.isgenerator(read_documents(p))
    assert inspect.isgenerator(iter_corpus(p))


@pytest.mark.parametrize(
    ("name", "reader", "record", "broken"),
    [
        ("big.txt", read_documents, "a line of text\n", b"\xff\n"),
        ("big.jsonl", read_jsonl, json.dumps({"text": "a record"}) + "\n", b"{broken\n"),
        ("big.csv", read_csv, "a row\n", b'"a,b\n'),
        ("big.conllu", read_conllu, WORD + "\n", b"1\tonly\ttwo\n"),
        ("big.mrg", read_ptb, "( (S (NN x)) )\n", b"( (S (NN x)\n"),
        ("big.dp", read_dependency_dp, "x\tNN\t0\n\n", b"x\tNN\n"),
    ],
)
def test_first_record_does_not_read_the_whole_file(tmp_path, name, reader, record, broken):
    """A file broken at its very end, far beyond any read buffer: the first record still comes."""
    header = "text\n" if name.endswith(".csv") else ""
    raw = (header + record * (400_000 // len(record))).encode() + broken
    p = write(tmp_path / f"{name}.gz", raw, gz=True)
    first = next(reader(p))
    assert first is not None
    with pytest.raises(CorpusFormatError):
        list(reader(p))


def test_folder_is_read_lazily(tmp_path):
    write(tmp_path / "a.jsonl", '{"text": "first"}\n')
    write(tmp_path / "b.jsonl", "not json\n")
    records = read_jsonl(tmp_path)
    assert next(records) == {"text": "first"}
    with pytest.raises(CorpusFormatError, match="b.jsonl, line 1"):
        next(records)


@pytest.mark.parametrize(
    "sentence, problem",
    [
        (Sentence([ConlluToken(1, "a\tb")]), "form 'a\\tb' holds a tab"),
        (Sentence([ConlluToken(1, "")]), "form must be a non-empty str"),
        (Sentence([ConlluToken(1, "x", misc="A=1\nB=2")]), "misc 'A=1\\nB=2' holds a tab or line break"),
        (Sentence([ConlluToken(1, "x")], comments=["text = x\ny"]), "comment 'text = x\\ny' holds"),
        (Sentence([ConlluToken(1, "x")], extras=[ConlluExtra(0, ("1.1", "a\tb", *["_"] * 8))]), "line 1.1"),
        # each of these was written, and read_conllu then refused the file
        (Sentence([ConlluToken(1, "x", head=3)]), "word 1: head 3 must be an int in 0..1 other than 1"),
        (Sentence([ConlluToken(1, "x"), ConlluToken(2, "y", head=2)]), "word 2: head 2 must be"),
        (Sentence([ConlluToken(1, "x", head="0")]), "word 1: head '0' must be an int"),
        (Sentence([ConlluToken(2, "x")]), "word 1 has ID 2; word IDs must be 1, 2, 3"),
        (Sentence([]), "needs at least one word"),
    ],
)
def test_write_conllu_refuses_values_that_would_break_the_file(tmp_path, sentence, problem):
    path = tmp_path / "bad.conllu"
    with pytest.raises(StructNLPError, match=re.escape(problem)):
        write_conllu(path, [sentence])
    assert not path.exists()


def test_readers_take_a_dash_for_standard_input(stdin_bytes):
    stdin_bytes(b"first document\n\nsecond one\n")
    assert list(read_documents("-")) == ["first document", "second one"]
    stdin_bytes(b'{"text": "rash", "label": "allergy"}\n')
    assert list(read_jsonl("-", text_field="text")) == [{"text": "rash", "label": "allergy"}]
    stdin_bytes(b"text,label\nrash,allergy\n")
    assert list(read_csv("-", text_field="text")) == [{"text": "rash", "label": "allergy"}]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "standard input: no documents found (empty input)"),
        (b"ok\n\xff\n", "standard input, line 2: not valid UTF-8"),
    ],
)
def test_standard_input_errors_name_it(stdin_bytes, data, message):
    stdin_bytes(data)
    with pytest.raises(StructNLPError, match=re.escape(message)):
        list(read_documents("-"))


def test_jsonl_errors_on_standard_input_name_it(stdin_bytes):
    stdin_bytes(b'{"text": "a"}\n{bad\n')
    with pytest.raises(CorpusFormatError, match="^standard input, line 2: malformed JSON"):
        list(read_jsonl("-", text_field="text"))


def test_the_format_of_standard_input_must_be_named():
    with pytest.raises(StructNLPError, match="^standard input has no file name to tell its format by"):
        guess_format("-")


@pytest.mark.parametrize("feats", ["Number", "Number=Sing|Plur", "=Sing"])
def test_malformed_feats_are_named(feats):
    with pytest.raises(StructNLPError, match=r"CoNLL-U word 3: FEATS .* not Name=Value"):
        ConlluToken(3, "dogs", feats=feats).feats_dict  # noqa: B018


def test_writers_take_a_dash_for_standard_output(tmp_path, monkeypatch, capsys):
    # they wrote a file named '-' in the working directory
    monkeypatch.chdir(tmp_path)
    assert write_jsonl("-", [{"text": "é", "label": 1}]) == 1
    assert write_conllu("-", [Sentence([ConlluToken(1, "Hi", deprel="root")])]) == 1
    out = capsys.readouterr().out
    assert out == '{"text": "é", "label": 1}\n' + "1\tHi\t_\t_\t_\t_\t0\troot\t_\t_\n\n"
    assert list(tmp_path.iterdir()) == []
    write_jsonl("./-", [{"a": 1}])
    assert (tmp_path / "-").read_text() == '{"a": 1}\n'


def test_a_symbolic_link_loop_is_walked_once(tmp_path):
    # the link back up yielded sub/a.txt ~40 times, then failed with "Too many levels of symbolic links"
    write(tmp_path / "sub" / "a.txt", "doc a")
    write(tmp_path / "b.txt", "doc b")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "again").symlink_to(tmp_path / "sub", target_is_directory=True)
    assert list(read_documents(tmp_path)) == ["doc a", "doc b"]  # 'again' is 'sub', already read


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"fields": "id"}, r"fields must be a list of field names, got 'id'"),  # asked for 'i' and 'd'
        ({"fields": ["id", 3]}, r"fields must be a list of field names"),
        ({"text_field": 5}, r"text_field must be a field name \(str\) or None, got 5"),
        ({"label_field": ["label"]}, r"label_field must be a field name"),
    ],
)
def test_field_names_are_checked_before_reading(tmp_path, options, problem):
    for reader, content, name in (
        (read_jsonl, '{"text": "a", "id": 1}\n', "a.jsonl"),
        (read_csv, "text,id\na,1\n", "a.csv"),
    ):
        with pytest.raises(StructNLPError, match=problem):
            reader(write(tmp_path / name, content), **options)


def test_conllu_without_a_tree_reads_and_writes_back(tmp_path):
    # HEAD '_' is CoNLL-U's "unspecified" (a tagger's output, or the parsing package's
    # constituency-only results): read_conllu refused the file ("HEAD '_' is not an integer")
    text = (
        "# text = Dogs bark\n1\tDogs\tdog\tNOUN\t_\t_\t_\t_\t_\t_\n2\tbark\tbark\tVERB\t_\t_\t_\t_\t_\t_\n\n"
    )
    path = write(tmp_path / "tagged.conllu", text)
    [sentence] = read_conllu(path)
    assert sentence.heads == [None, None] and sentence.upos == ["NOUN", "VERB"]
    assert sentence.to_conllu() == text
    write_conllu(tmp_path / "copy.conllu", [sentence])
    assert (tmp_path / "copy.conllu").read_text(encoding="utf-8") == text


def test_suffixes_must_be_a_list(tmp_path):
    write(tmp_path / "notes.md", "a note")
    write(tmp_path / "data.jsonld", "{}")
    with pytest.raises(StructNLPError, match=r"suffixes must be a list of name endings .*got '.md'"):
        read_documents(tmp_path, suffixes=".md")
    assert list(read_documents(tmp_path, suffixes=[".md"])) == ["a note"]
