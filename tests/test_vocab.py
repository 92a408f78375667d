"""Vocabulary: deterministic ids, limits, special tokens, lookups and safe JSON files."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError
from structnlp.vocab import FORMAT, FORMAT_VERSION, Vocabulary

CORPUS = [["b", "a", "c", "a", "b", "d"], ["e", "a"]]


# ---------------------------------------------------------------------- building
def test_build_orders_by_count_then_token():
    v = Vocabulary.build(CORPUS)
    # a: 3, b: 2, then c, d, e once each in string order
    assert list(v) == ["<pad>", "<unk>", "a", "b", "c", "d", "e"]
    assert v.counts == {"<pad>": 0, "<unk>": 0, "a": 3, "b": 2, "c": 1, "d": 1, "e": 1}
    assert len(v) == 7 and v.pad_id == 0 and v.unk_id == 1
    assert v.bos_id is None and v.eos_id is None
    assert v.specials == ["<pad>", "<unk>"]


def test_min_count_and_max_size():
    assert list(Vocabulary.build(CORPUS, min_count=2)) == ["<pad>", "<unk>", "a", "b"]
    # max_size counts the specials too; ties at the cut keep the smaller token
    assert list(Vocabulary.build(CORPUS, max_size=5)) == ["<pad>", "<unk>", "a", "b", "c"]
    assert list(Vocabulary.build(CORPUS, max_size=2)) == ["<pad>", "<unk>"]


def test_build_streams_a_generator_once():
    lines = iter(["x y x", "y z x"])
    v = Vocabulary.build(line.split() for line in lines)
    assert list(v) == ["<pad>", "<unk>", "x", "y", "z"]
    assert v.counts["x"] == 3


def test_special_token_roles_and_extras():
    v = Vocabulary.build(
        CORPUS,
        pad_token="[PAD]",
        unk_token="[UNK]",
        bos_token="<s>",
        eos_token="</s>",
        extra_specials=["<mask>"],
    )
    assert v.specials == ["[PAD]", "[UNK]", "<s>", "</s>", "<mask>"]
    assert (v.pad_id, v.unk_id, v.bos_id, v.eos_id) == (0, 1, 2, 3)
    assert v.token_to_id("<mask>") == 4 and v.token_to_id("a") == 5
    assert v.encode(["a", "zzz"], add_bos=True, add_eos=True) == [2, 5, 1, 3]
    no_pad = Vocabulary(["a"], pad_token=None)
    assert list(no_pad) == ["<unk>", "a"] and no_pad.pad_id is None


def test_special_token_in_the_corpus_is_not_added_twice():
    # PTB language-model text holds a literal <unk>: it must map to the unk id
    v = Vocabulary.build([["the", "<unk>", "<unk>", "cat"]])
    assert list(v) == ["<pad>", "<unk>", "cat", "the"]
    assert v.counts["<unk>"] == 2
    assert v.encode(["<unk>", "dog"]) == [1, 1]


def test_constructor_keeps_the_given_order_and_checks_it():
    v = Vocabulary(["zeta", "alpha"], counts={"zeta": 4})
    assert list(v) == ["<pad>", "<unk>", "zeta", "alpha"]
    assert v.counts == {"<pad>": 0, "<unk>": 0, "zeta": 4, "alpha": 0}
    with pytest.raises(StructNLPError, match="'a' occurs twice"):
        Vocabulary(["a", "b", "a"])
    with pytest.raises(StructNLPError, match="'<pad>' occurs twice"):
        Vocabulary(["<pad>"])
    with pytest.raises(StructNLPError, match="token 2 is int"):
        Vocabulary([3])
    with pytest.raises(StructNLPError, match="single string"):
        Vocabulary("abc")
    with pytest.raises(StructNLPError, match="not in the vocabulary"):
        Vocabulary(["a"], counts={"b": 1})
    with pytest.raises(StructNLPError, match="non-negative int"):
        Vocabulary(["a"], counts={"a": -1})
    with pytest.raises(StructNLPError, match="unk_token must be a str or None"):
        Vocabulary(unk_token=1)


def test_build_rejects_bad_input():
    with pytest.raises(StructNLPError, match="single string"):
        Vocabulary.build("a b c")
    with pytest.raises(StructNLPError, match="item 1 is a str, expected a list of tokens"):
        Vocabulary.build([["a"], "b c"])
    with pytest.raises(StructNLPError, match="tokens must be str, got int"):
        Vocabulary.build([["a", 3]])
    with pytest.raises(EmptyCorpusError, match="corpus is empty"):
        Vocabulary.build([[], []])
    with pytest.raises(EmptyCorpusError, match=r"min_count=3 .*'a', occurs 2 times"):
        Vocabulary.build([["a", "b", "a"]], min_count=3)
    with pytest.raises(EmptyCorpusError, match="only special tokens"):
        Vocabulary.build([["<unk>"]])
    with pytest.raises(StructNLPError, match="min_count must be an int >= 1"):
        Vocabulary.build(CORPUS, min_count=0)
    with pytest.raises(StructNLPError, match=r"an int >= the number of special tokens \(2\)"):
        Vocabulary.build(CORPUS, max_size=1)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        Vocabulary.build(CORPUS, mask_token="<mask>")


@pytest.mark.parametrize("count", [-1, 2.5, None])
def test_from_counts_rejects_bad_counts(count):
    with pytest.raises(StructNLPError, match=r"count of 'a' must be a non-negative int"):
        Vocabulary.from_counts({"a": count, "b": 2})


# ---------------------------------------------------------------------- lookups
def test_lookups():
    v = Vocabulary.build(CORPUS)
    assert "a" in v and "zzz" not in v and 3 not in v
    assert v.token_to_id("b") == 3 and v.id_to_token(3) == "b"
    assert v.encode(("a", "zzz", "e")) == [2, 1, 6]
    assert v.decode([6, 2, 1, 0]) == ["e", "a", "<unk>", "<pad>"]
    assert v.decode([0, 6, 1, 2, 0], skip_specials=True) == ["e", "a"]
    assert repr(v) == "Vocabulary(size=7, pad_token='<pad>', unk_token='<unk>')"


def test_unknown_token_without_unk_is_an_error():
    v = Vocabulary(["a"], unk_token=None)
    assert list(v) == ["<pad>", "a"] and v.encode(["a", "a"]) == [1, 1]
    with pytest.raises(StructNLPError, match="'zzz' is not in the vocabulary, which has no unknown token"):
        v.encode(["a", "zzz"])
    with pytest.raises(StructNLPError, match="no unknown token"):
        v.token_to_id("zzz")


def test_bad_lookups():
    v = Vocabulary(["a"])
    with pytest.raises(StructNLPError, match="tokens must be str, got int"):
        v.encode(["a", 5])
    with pytest.raises(StructNLPError, match="tokens must be str, got list"):
        v.encode([["a"]])
    with pytest.raises(StructNLPError, match="single string"):
        v.encode("a")
    for bad in (3, -1, 2.5, True, "1"):
        with pytest.raises(StructNLPError, match="is not a token id of this vocabulary"):
            v.decode([bad])
    with pytest.raises(StructNLPError, match="add_bos=True but the vocabulary has no bos_token"):
        v.encode(["a"], add_bos=True)


# ---------------------------------------------------------------------- dict / JSON
def test_to_dict_is_plain_json():
    v = Vocabulary.build(CORPUS, bos_token="<s>", extra_specials=["<mask>"])
    d = v.to_dict()
    assert d == {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "roles": {"pad": "<pad>", "unk": "<unk>", "bos": "<s>", "eos": None},
        "extra_specials": ["<mask>"],
        "tokens": ["<pad>", "<unk>", "<s>", "<mask>", "a", "b", "c", "d", "e"],
        "counts": [0, 0, 0, 0, 3, 2, 1, 1, 1],
    }
    assert json.loads(json.dumps(d)) == d
    back = Vocabulary.from_dict(json.loads(json.dumps(d)))
    assert back == v and back.specials == v.specials and back.bos_id == 2


def test_save_load_round_trip(tmp_path):
    v = Vocabulary.build([["héllo", "wörld", "héllo"]], eos_token="</s>")
    path = tmp_path / "sub" / "vocab.json"
    v.save(path)
    assert Vocabulary.load(path) == v
    assert [p.name for p in path.parent.iterdir()] == ["vocab.json"]  # no temp file left behind
    assert "héllo" in path.read_text(encoding="utf-8")


def _tamper(d: dict, change: str) -> object:
    d = json.loads(json.dumps(d))
    if change == "format":
        d["format"] = "something.else"
    elif change == "version":
        d["version"] = FORMAT_VERSION + 1
    elif change == "missing":
        del d["counts"]
    elif change == "unknown":
        d["comment"] = "hi"
    elif change == "duplicate":
        d["tokens"][-1] = d["tokens"][-2]
    elif change == "length":
        d["counts"].pop()
    elif change == "negative":
        d["counts"][-1] = -4
    elif change == "float":
        d["counts"][-1] = 1.5
    elif change == "bool":
        d["counts"][-1] = True
    elif change == "token_type":
        d["tokens"][-1] = 7
    elif change == "specials_first":
        d["tokens"][0], d["tokens"][2] = d["tokens"][2], d["tokens"][0]
    elif change == "roles":
        del d["roles"]["bos"]
    elif change == "role_type":
        d["roles"]["unk"] = 1
    elif change == "extras":
        d["extra_specials"] = "<mask>"
    elif change == "list":
        return [d]
    return d


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("format", "not a structnlp vocabulary"),
        ("version", "version 2 is not supported"),
        ("missing", "missing field.*counts"),
        ("unknown", "unknown field.*comment"),
        ("duplicate", "token 'd' occurs more than once"),
        ("length", "'counts' has 6 entries but 'tokens' has 7"),
        ("negative", "non-negative integers"),
        ("float", "non-negative integers"),
        ("bool", "non-negative integers"),
        ("token_type", "'tokens' must be a list of strings"),
        ("specials_first", "first tokens must be the specials"),
        ("roles", "'roles' must be an object"),
        ("role_type", "roles.unk must be a string or null"),
        ("extras", "'extra_specials' must be a list"),
        ("list", "expected a JSON object, got list"),
    ],
)
def test_tampered_dict_is_refused(tmp_path, change, message):
    v = Vocabulary.build(CORPUS)
    with pytest.raises(ModelFileError, match=message):
        Vocabulary.from_dict(_tamper(v.to_dict(), change))
    path = tmp_path / "vocab.json"
    path.write_text(json.dumps(_tamper(v.to_dict(), change)), encoding="utf-8")
    with pytest.raises(ModelFileError, match=f"{path}: .*{message}"):
        Vocabulary.load(path)


def test_broken_files_are_refused(tmp_path):
    v = Vocabulary.build(CORPUS)
    good = tmp_path / "vocab.json"
    v.save(good)
    text = good.read_text(encoding="utf-8")
    truncated = tmp_path / "truncated.json"
    truncated.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ModelFileError, match="not valid JSON, truncated or not a vocabulary"):
        Vocabulary.load(truncated)
    duplicated_key = tmp_path / "dupkey.json"
    duplicated_key.write_text(text.replace('"format"', '"version": 1, "format"', 1), encoding="utf-8")
    with pytest.raises(ModelFileError, match="duplicate key 'version'"):
        Vocabulary.load(duplicated_key)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b'{"format": "\xff\xfe"}')
    with pytest.raises(ModelFileError, match="not valid UTF-8"):
        Vocabulary.load(binary)
    with pytest.raises(ModelFileError, match="no such file"):
        Vocabulary.load(tmp_path / "absent.json")
    with pytest.raises(ModelFileError, match="is a directory"):
        Vocabulary.load(tmp_path)


# ---------------------------------------------------------------------- invariants
token_lists = st.lists(st.lists(st.text(alphabet="abcdé<>", min_size=1, max_size=3), max_size=12), max_size=8)


@settings(max_examples=150, deadline=None)
@given(corpus=token_lists, min_count=st.integers(1, 3), max_size=st.none() | st.integers(2, 12))
def test_build_invariants(corpus, min_count, max_size):
    counts = Counter(t for doc in corpus for t in doc)
    regular = {t: c for t, c in counts.items() if t not in ("<pad>", "<unk>")}
    if not any(c >= min_count for c in regular.values()):
        with pytest.raises(EmptyCorpusError):
            Vocabulary.build(corpus, min_count=min_count, max_size=max_size)
        return
    v = Vocabulary.build(corpus, min_count=min_count, max_size=max_size)
    tokens = list(v)
    kept = tokens[2:]
    assert tokens[:2] == ["<pad>", "<unk>"]
    assert max_size is None or len(v) <= max_size
    assert len(set(tokens)) == len(tokens)
    # every kept token is frequent enough, and they come by count desc then token
    assert all(counts[t] >= min_count for t in kept)
    assert kept == sorted(kept, key=lambda t: (-counts[t], t))
    # a dropped token never ranks before a kept one
    dropped = [t for t, c in regular.items() if c >= min_count and t not in v]
    if kept and dropped:
        assert max((-counts[t], t) for t in kept) < min((-counts[t], t) for t in dropped)
    if max_size is None:
        assert set(kept) == {t for t, c in regular.items() if c >= min_count}
    # ids and tokens are inverse bijections; in-vocabulary tokens round-trip
    assert v.decode(range(len(v))) == tokens
    assert v.encode(tokens) == list(range(len(v)))
    for doc in corpus:
        known = [t for t in doc if t in v]
        assert v.decode(v.encode(known)) == known
        assert all(i == v.unk_id for t, i in zip(doc, v.encode(doc), strict=True) if t not in v)
    assert v.counts == {t: counts.get(t, 0) for t in tokens}
    # the JSON description and the file round-trip exactly
    assert Vocabulary.from_dict(json.loads(json.dumps(v.to_dict()))) == v
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.json"
        v.save(path)
        assert Vocabulary.load(path) == v
