"""The HTML explanation report: its markup, its escaping, and how headless Chromium renders it."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from structnlp.errors import StructNLPError
from structnlp.features import BooleanBagOfWords
from tsetlin import Explanation, FiredClause, Rule, feature_spans, render_html

DOCUMENT = "FEVER and Cough since Monday, sore throat; rash.\n<script>alert('x')</script> & rash"


def _fired(class_: str, vote: int, *words: str) -> FiredClause:
    polarity = "for" if vote > 0 else "against"
    return FiredClause(class_, vote, Rule(class_, polarity, abs(vote), tuple(words)))


def _explanation() -> Explanation:
    """Hand-made: fever +3, cough -2, 'sore throat' +2, rash +1 -1 (cancels), cough for <cold>."""
    clauses = [
        _fired("<cold>", 4, "cough"),
        _fired("flu", 3, "fever"),
        _fired("flu", 2, "sore throat"),
        _fired("flu", -2, "cough"),
        _fired("flu", 1, "rash"),
        _fired("flu", -1, "rash"),
    ]
    return Explanation("flu", {"<cold>": 4, "flu": 3}, clauses)


def _page() -> str:
    return render_html(
        _explanation(),
        DOCUMENT,
        featurizer=BooleanBagOfWords(ngram_range=(1, 2)),
        rules=[Rule("flu", "for", 9, ("fever", "cough")), Rule("<cold>", "for", 5, ("sneeze",))],
    )


class _Marks(HTMLParser):
    """Collects the <mark> elements of the document: (class, text, data-vote, title)."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[str, str, str, str]] = []
        self.tags: list[str] = []
        self._open: dict | None = None
        self._in_document = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if attrs.get("id") == "document":
            self._in_document = True
        if tag == "mark" and self._in_document:
            self._open = {**attrs, "text": ""}

    def handle_endtag(self, tag):
        if tag == "mark" and self._open is not None:
            m = self._open
            self.marks.append((m["class"], m["text"], m.get("data-vote"), m.get("title")))
            self._open = None
        elif tag == "div":
            self._in_document = False

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] += data


def _marks(page: str) -> _Marks:
    parser = _Marks()
    parser.feed(page)
    return parser


EXPECTED_MARKS = [
    ("vote-for", "FEVER", "+3"),
    ("vote-against", "Cough", "-2"),
    ("vote-for", "sore", "+2"),
    ("vote-for", "throat", "+2"),
    ("vote-mixed", "rash", "+0"),
    ("vote-mixed", "rash", "+0"),
]


def test_words_of_the_predicted_class_are_marked_by_their_net_vote():
    marks = _marks(_page()).marks
    assert [m[:3] for m in marks] == EXPECTED_MARKS
    assert marks[0][3] == "voted for flu: +3\n+3  IF fever THEN flu  (for, weight 3)"
    assert marks[4][3] == (
        "voted for and against (cancelling) flu: +0\n"
        "+1  IF rash THEN flu  (for, weight 1)\n-1  IF rash THEN NOT flu  (against, weight 1)"
    )


def test_text_is_escaped_and_the_page_is_self_contained():
    page = _page()
    parsed = _marks(page)
    assert "script" not in parsed.tags and "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; " in page
    assert "&lt;cold&gt;" in page and "<cold>" not in page
    assert not {"link", "img", "iframe", "object"} & set(parsed.tags)
    assert "http://" not in page and "https://" not in page and "<style>" in page
    assert "default-src 'none'" in page


def test_scores_fired_rules_and_top_rules_are_listed():
    page = _page()
    assert '<tr><td>&lt;cold&gt;</td><td class="num">+4</td>' in page
    assert '<tr class="winner"><td>flu</td><td class="num">+3</td>' in page
    assert '<span class="chip pos">cough +4</span>' in page  # the competing class's evidence
    assert (
        '<details open class="fired" data-class="flu"><summary>flu: score +3 from 5 rules</summary>' in page
    )
    assert '<td class="rule">IF fever AND cough THEN flu  (for, weight 9)</td>' in page
    assert '<td class="rule">IF sneeze THEN &lt;cold&gt;  (for, weight 5)</td>' in page
    rules = [Rule("flu", "for", 9, ("fever", "cough"))]
    none = render_html(_explanation(), DOCUMENT, rules=rules, top_rules=0)
    assert "Strongest rules" not in none and "No rule." not in none  # it said "No rule." for every class


def test_long_lists_are_capped_and_summed():
    clauses = [_fired("a", 1, "x")] * 30
    page = render_html(Explanation("a", {"a": 30}, clauses), "x", max_clauses=25)
    assert page.count('<td class="num">+1</td>') == 25
    assert "... and 5 more rules voting +5 in all." in page


def test_words_the_featurizer_does_not_make_are_reported():
    page = render_html(_explanation(), DOCUMENT)  # unigrams only: no 'sore throat' feature
    assert "Words of fired rules not found in the text" in page and ": sore throat</p>" in page
    assert [m[1] for m in _marks(page).marks] == ["FEVER", "Cough", "rash", "rash"]


def test_bad_arguments():
    with pytest.raises(StructNLPError, match="takes an Explanation"):
        render_html({"predicted": "a"}, "x")
    with pytest.raises(StructNLPError, match="expected the document as str"):
        render_html(_explanation(), b"x")
    with pytest.raises(StructNLPError, match="must be a BooleanBagOfWords"):
        feature_spans("x", featurizer=object())
    from sklearn.feature_extraction.text import CountVectorizer

    with pytest.raises(
        StructNLPError, match="must be a BooleanBagOfWords or CountBagOfWords, got CountVectorizer"
    ):
        feature_spans("x", featurizer=CountVectorizer())  # it said "tokenizer must be a backend name"
    for option in ("top_rules", "max_literals", "max_clauses"):  # a negative cap dropped rows silently
        with pytest.raises(StructNLPError, match=f"{option} must be .*an int >= 0, got -1"):
            render_html(_explanation(), "x", **{option: -1})


def test_feature_spans_follow_stop_words_and_n_grams():
    bow = BooleanBagOfWords(ngram_range=(2, 2), stop_words="english")
    spans = feature_spans("Pain in the CHEST and chest pain", bow)
    # stop words go before n-grams are formed, as in the featurizer
    assert spans == {
        "pain chest": [(0, 4), (12, 17)],
        "chest chest": [(12, 17), (22, 27)],
        "chest pain": [(22, 27), (28, 32)],
    }
    # 'İ' lower-cases to two characters: the spans still point into the original text
    assert feature_spans("İ FEVER")["fever"] == [(2, 7)]


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("abcAB é-'.\n") + ["İ", "ß", "Ω"]), max_size=40),
    st.integers(1, 3),
    st.booleans(),
)
def test_feature_spans_give_exactly_the_featurizer_features(text, n_max, lowercase):
    bow = BooleanBagOfWords(ngram_range=(1, n_max), lowercase=lowercase)
    spans = feature_spans(text, bow)
    try:
        expected = set(BooleanBagOfWords(ngram_range=(1, n_max), lowercase=lowercase).fit([text]).vocabulary_)
    except StructNLPError:  # no token at all
        expected = set()
    assert set(spans) == expected
    for feature, found in spans.items():
        words = feature.split(" ")
        assert len(found) % len(words) == 0  # every word of every occurrence
        for k, (start, end) in enumerate(found):
            surface = text[start:end].lower() if lowercase else text[start:end]
            # the span is the word in the original text ('İ' lower-cases to 'i' + a combining dot)
            assert surface.replace("\u0307", "") == words[k % len(words)].replace("\u0307", "")


# ----------------------------------------------------------------------------- headless Chromium
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not on PATH (install Debian's chromium, as .ci/run does)"
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    return subprocess.run([CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=90, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(_page(), encoding="utf-8")
    return path


@needs_chromium
def test_chromium_dom_holds_the_highlighted_words(report, tmp_path):
    result = _chromium(tmp_path, "--dump-dom", report.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    dom = _marks(result.stdout)
    assert [m[:3] for m in dom.marks] == EXPECTED_MARKS
    assert "script" not in dom.tags  # the <script> in the document stayed text
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in result.stdout


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw, stride, rows = zlib.decompress(idat), width * bpp, []
    prev = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, [bytes(b for i, b in enumerate(r) if i % bpp < 3) for r in rows]


@needs_chromium
def test_chromium_screenshot_shows_the_highlights(report, tmp_path):
    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1200,900", report.as_uri())
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    data = shot.read_bytes()
    assert len(data) > 10_000
    width, height, rows = _png_pixels(data)
    assert (width, height) == (1200, 900)
    colours: dict[bytes, int] = {}
    for row in rows[::2]:
        for x in range(0, len(row), 6):
            colours[row[x : x + 3]] = colours.get(row[x : x + 3], 0) + 1
    assert len(colours) > 20  # text, tables and highlights, not a blank page
    assert colours.get(bytes.fromhex("aceebb"), 0) > 20  # the green of words voting for the class
    assert colours.get(bytes.fromhex("ffcecb"), 0) > 5  # the red of words voting against it
    assert colours.get(bytes.fromhex("fff1a8"), 0) > 5  # the yellow of cancelling words
