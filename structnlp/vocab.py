"""Token vocabularies: a deterministic token <-> id mapping with special tokens first.

Sequence models (parsers, summarizers, topic models) and the id-sequence featurizers of
:mod:`structnlp.features` all map tokens to ids through :class:`Vocabulary`, so that a
vocabulary saved next to a model is read back exactly, or refused with a clear error.

Ids are assigned deterministically: the special tokens first (``<pad>`` = 0 and ``<unk>``
= 1 by default), then the corpus tokens by decreasing count, ties broken by the token
string, so that the same corpus always gives the same ids.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from structnlp.errors import EmptyCorpusError, ModelFileError, StructNLPError
from structnlp.files import atomic_write, read_text
from structnlp.params import is_int

__all__ = ["FORMAT", "FORMAT_VERSION", "Vocabulary"]

#: The ``format`` field of a saved vocabulary: tells a vocabulary file from other JSON.
FORMAT = "structnlp.vocabulary"
#: The layout version written by this release; :meth:`Vocabulary.from_dict` refuses others.
FORMAT_VERSION = 1

_ROLES = ("pad", "unk", "bos", "eos")
_KEYS = {"format", "version", "roles", "extra_specials", "tokens", "counts"}


class Vocabulary:
    """A fixed token <-> id mapping: special tokens first, then ``tokens`` in the given order.

    Build one from a corpus with :meth:`build` (or :meth:`from_counts`); the constructor
    takes an already ordered token list. Each special role (``pad_token``, ``unk_token``,
    ``bos_token``, ``eos_token``) is a token string or ``None`` for "no such token"; the
    specials take ids ``0, 1, ...`` in that role order, followed by ``extra_specials``.
    Without an ``unk_token``, looking up an unknown token is an error instead of a silent
    mapping.

    >>> v = Vocabulary(["the", "cat"])
    >>> list(v), len(v), v.pad_id, v.unk_id
    (['<pad>', '<unk>', 'the', 'cat'], 4, 0, 1)
    >>> v.encode(["the", "dog"])
    [2, 1]
    """

    def __init__(
        self,
        tokens: Iterable[str] = (),
        *,
        pad_token: str | None = "<pad>",
        unk_token: str | None = "<unk>",
        bos_token: str | None = None,
        eos_token: str | None = None,
        extra_specials: Sequence[str] = (),
        counts: Mapping[str, int] | None = None,
    ):
        roles = {"pad": pad_token, "unk": unk_token, "bos": bos_token, "eos": eos_token}
        for role, token in roles.items():
            if token is not None and not isinstance(token, str):
                raise StructNLPError(f"{role}_token must be a str or None, got {type(token).__name__}")
        if isinstance(extra_specials, str):
            raise StructNLPError("extra_specials must be a sequence of str, got a single str")
        specials = [t for t in roles.values() if t is not None] + list(extra_specials)
        if isinstance(tokens, (str, bytes)):
            raise StructNLPError("tokens must be an iterable of str, got a single string")
        itos = specials + list(tokens)
        index: dict[str, int] = {}
        for i, token in enumerate(itos):
            if not isinstance(token, str):
                raise StructNLPError(f"token {i} is {type(token).__name__}, expected str")
            if token in index:
                raise StructNLPError(f"token {token!r} occurs twice (ids {index[token]} and {i})")
            index[token] = i
        counts = dict(counts or {})
        for token, count in counts.items():
            if token not in index:
                raise StructNLPError(f"counts names {token!r}, which is not in the vocabulary")
            if not is_int(count) or count < 0:
                raise StructNLPError(f"count of {token!r} must be a non-negative int, got {count!r}")
        self._roles = roles
        self._n_specials = len(specials)
        self._itos = itos
        self._stoi = index
        self._counts = [int(counts.get(t, 0)) for t in itos]

    # ------------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        token_lists: Iterable[Iterable[str]],
        *,
        min_count: int = 1,
        max_size: int | None = None,
        **specials: Any,
    ) -> Vocabulary:
        """Count the tokens of ``token_lists`` (streamed once) and keep the frequent ones.

        ``token_lists`` is an iterable of token lists, e.g. a generator over a corpus file.
        Tokens seen fewer than ``min_count`` times are dropped; ``max_size`` caps
        ``len(vocab)``, specials included. Keyword arguments ``pad_token``, ``unk_token``,
        ``bos_token``, ``eos_token`` and ``extra_specials`` are passed to the constructor.

        >>> v = Vocabulary.build([["a", "b", "a"], ["c", "a", "b"]], min_count=2)
        >>> list(v), v.counts
        (['<pad>', '<unk>', 'a', 'b'], {'<pad>': 0, '<unk>': 0, 'a': 3, 'b': 2})
        """
        if isinstance(token_lists, (str, bytes)):
            raise StructNLPError("expected an iterable of token lists, got a single string")
        counter: Counter[str] = Counter()
        for i, tokens in enumerate(token_lists):
            if isinstance(tokens, (str, bytes)):
                raise StructNLPError(
                    f"item {i} is a {type(tokens).__name__}, expected a list of tokens (tokenize it first)"
                )
            counter.update(tokens)
        return cls.from_counts(counter, min_count=min_count, max_size=max_size, **specials)

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        *,
        min_count: int = 1,
        max_size: int | None = None,
        **specials: Any,
    ) -> Vocabulary:
        """Build a vocabulary from token counts (same rules and options as :meth:`build`).

        >>> list(Vocabulary.from_counts({"b": 2, "a": 2, "c": 5}, max_size=4, unk_token=None))
        ['<pad>', 'c', 'a', 'b']
        """
        if not is_int(min_count) or min_count < 1:
            raise StructNLPError(f"min_count must be an int >= 1, got {min_count!r}")
        unknown = set(specials) - {f"{r}_token" for r in _ROLES} - {"extra_specials"}
        if unknown:
            raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
        bad = [t for t in counts if not isinstance(t, str)]
        if bad:
            raise StructNLPError(f"tokens must be str, got {type(bad[0]).__name__} {bad[0]!r}")
        # a negative or fractional count was silently ranked (and dropped under min_count)
        wrong = next(((t, c) for t, c in counts.items() if not is_int(c) or c < 0), None)
        if wrong is not None:
            raise StructNLPError(f"count of {wrong[0]!r} must be a non-negative int, got {wrong[1]!r}")
        if not counts:
            raise EmptyCorpusError("no tokens to build a vocabulary from: the corpus is empty")
        shell = cls(**specials)
        n_specials = len(shell)
        if max_size is not None and (not is_int(max_size) or max_size < n_specials):
            raise StructNLPError(
                f"max_size must be None or an int >= the number of special tokens ({n_specials}), "
                f"got {max_size!r}"
            )
        ranked = sorted(
            ((t, c) for t, c in counts.items() if c >= min_count and t not in shell._stoi),
            key=lambda tc: (-tc[1], tc[0]),
        )
        if not ranked:
            regular = [(t, c) for t, c in counts.items() if t not in shell._stoi]
            if not regular:
                raise EmptyCorpusError("the corpus holds only special tokens: no vocabulary to build")
            top, top_count = min(regular, key=lambda tc: (-tc[1], tc[0]))
            raise EmptyCorpusError(
                f"no token occurs at least min_count={min_count} times "
                f"(the most frequent, {top!r}, occurs {top_count} times)"
            )
        if max_size is not None:
            ranked = ranked[: int(max_size) - n_specials]
        kept = [t for t, _ in ranked]
        seen = {t: counts[t] for t in shell._itos if t in counts} | dict(ranked)
        return cls(kept, counts=seen, **specials)

    # ------------------------------------------------------------------ lookups
    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token: object) -> bool:
        return token in self._stoi

    def __iter__(self) -> Iterator[str]:
        """The tokens in id order, specials first."""
        return iter(self._itos)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable-style equality: not hashable

    def __repr__(self) -> str:
        roles = ", ".join(f"{r}_token={t!r}" for r, t in self._roles.items() if t is not None)
        return f"Vocabulary(size={len(self)}, {roles})"

    @property
    def specials(self) -> list[str]:
        """The special tokens, in id order (ids ``0 .. len(specials) - 1``)."""
        return self._itos[: self._n_specials]

    @property
    def counts(self) -> dict[str, int]:
        """Corpus count of every vocabulary token (0 for specials not seen in the corpus)."""
        return dict(zip(self._itos, self._counts, strict=True))

    def _role_tokens(self) -> list[str]:
        return [t for t in self._roles.values() if t is not None]

    def _role_id(self, role: str) -> int | None:
        token = self._roles[role]
        return None if token is None else self._stoi[token]

    @property
    def pad_id(self) -> int | None:
        """Id of the padding token, or ``None`` without one."""
        return self._role_id("pad")

    @property
    def unk_id(self) -> int | None:
        """Id unknown tokens map to, or ``None`` (then unknown tokens are an error)."""
        return self._role_id("unk")

    @property
    def bos_id(self) -> int | None:
        """Id of the begin-of-sequence token, or ``None`` without one."""
        return self._role_id("bos")

    @property
    def eos_id(self) -> int | None:
        """Id of the end-of-sequence token, or ``None`` without one."""
        return self._role_id("eos")

    def token_to_id(self, token: str) -> int:
        """The id of ``token``; unknown tokens get :attr:`unk_id` (an error without one).

        >>> Vocabulary(["x"]).token_to_id("x")
        2
        """
        return self.encode([token])[0]

    def id_to_token(self, token_id: int) -> str:
        """The token of ``token_id``.

        >>> Vocabulary(["x"]).id_to_token(2)
        'x'
        """
        return self.decode([token_id])[0]

    def encode(self, tokens: Iterable[str], *, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        """Map tokens to ids, optionally framed by the begin/end-of-sequence ids.

        >>> v = Vocabulary(["a", "b"], bos_token="<s>", eos_token="</s>")
        >>> v.encode(["b", "a", "zzz"], add_bos=True, add_eos=True)
        [2, 5, 4, 1, 3]
        """
        if isinstance(tokens, (str, bytes)):
            raise StructNLPError("encode() expects a list of tokens, got a single string")
        tokens = list(tokens)
        unk = self.unk_id
        try:
            if unk is not None:
                ids = [self._stoi.get(t, unk) for t in tokens]
            else:
                ids = [self._stoi[t] for t in tokens]
        except (KeyError, TypeError):
            missing = next(t for t in tokens if not _hashable_in(t, self._stoi))
            if isinstance(missing, str):
                raise StructNLPError(
                    f"token {missing!r} is not in the vocabulary, which has no unknown token "
                    "(build it with unk_token='<unk>' to map unknown tokens)"
                ) from None
            ids = []  # an unhashable token: reported as a wrong type just below
        if len(ids) != len(tokens) or unk in ids:
            wrong = next((t for t in tokens if not isinstance(t, str)), None)
            if wrong is not None:
                raise StructNLPError(f"tokens must be str, got {type(wrong).__name__} {wrong!r}")
        return self._frame(ids, add_bos, add_eos)

    def _frame(self, ids: list[int], add_bos: bool, add_eos: bool) -> list[int]:
        for flag, role in ((add_bos, "bos"), (add_eos, "eos")):
            if flag and self._roles[role] is None:
                raise StructNLPError(f"add_{role}=True but the vocabulary has no {role}_token")
        if add_bos:
            ids.insert(0, self._stoi[self._roles["bos"]])
        if add_eos:
            ids.append(self._stoi[self._roles["eos"]])
        return ids

    def decode(self, ids: Iterable[int], *, skip_specials: bool = False) -> list[str]:
        """Map ids back to tokens; ``skip_specials`` drops padding, bos/eos and other specials.

        >>> v = Vocabulary(["a", "b"])
        >>> v.decode([3, 2, 1, 0]), v.decode([3, 2, 1, 0], skip_specials=True)
        (['b', 'a', '<unk>', '<pad>'], ['b', 'a'])
        """
        out = []
        n = len(self._itos)
        for i in ids:
            try:
                ok = not isinstance(i, bool) and i == int(i) and 0 <= int(i) < n
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise StructNLPError(f"id {i!r} is not a token id of this vocabulary (0 .. {n - 1})")
            i = int(i)
            if skip_specials and i < self._n_specials:
                continue
            out.append(self._itos[i])
        return out

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (only str, int, list, dict and None), e.g. for a config.

        >>> Vocabulary(["a"], pad_token=None).to_dict()["tokens"]
        ['<unk>', 'a']
        """
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "roles": dict(self._roles),
            "extra_specials": self._itos[len(self._role_tokens()) : self._n_specials],
            "tokens": list(self._itos),
            "counts": list(self._counts),
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "vocabulary") -> Vocabulary:
        """Rebuild a vocabulary from :meth:`to_dict` output, validating every field.

        Raises :class:`~structnlp.errors.ModelFileError` (naming ``source``) on a foreign,
        other-version, truncated or tampered description.

        >>> v = Vocabulary(["a", "b"], counts={"a": 3, "b": 1})
        >>> Vocabulary.from_dict(v.to_dict()) == v
        True
        """

        def bad(problem: str) -> ModelFileError:
            return ModelFileError(f"{source}: {problem}")

        if not isinstance(data, dict):
            raise bad(f"expected a JSON object, got {type(data).__name__}")
        if data.get("format") != FORMAT:
            raise bad(
                f"not a structnlp vocabulary (format field is {data.get('format')!r}, expected {FORMAT!r})"
            )
        version = data.get("version")
        if version != FORMAT_VERSION:
            raise bad(
                f"vocabulary format version {version!r} is not supported (this structnlp reads version "
                f"{FORMAT_VERSION}); it was written by another structnlp release"
            )
        missing, unknown = _KEYS - data.keys(), data.keys() - _KEYS
        if missing:
            raise bad(f"missing field(s): {', '.join(sorted(missing))}")
        if unknown:
            raise bad(f"unknown field(s): {', '.join(sorted(unknown))}")
        roles, extras, tokens, counts = data["roles"], data["extra_specials"], data["tokens"], data["counts"]
        if not isinstance(roles, dict) or set(roles) != set(_ROLES):
            raise bad(f"'roles' must be an object with exactly the keys {', '.join(_ROLES)}")
        for role, token in roles.items():
            if token is not None and not isinstance(token, str):
                raise bad(f"roles.{role} must be a string or null, got {type(token).__name__}")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise bad("'tokens' must be a list of strings")
        if not isinstance(counts, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts
        ):
            raise bad("'counts' must be a list of non-negative integers")
        if len(counts) != len(tokens):
            raise bad(f"'counts' has {len(counts)} entries but 'tokens' has {len(tokens)}")
        duplicates = [t for t, c in Counter(tokens).items() if c > 1]
        if duplicates:
            raise bad(f"token {duplicates[0]!r} occurs more than once")
        if not isinstance(extras, list) or not all(isinstance(t, str) for t in extras):
            raise bad("'extra_specials' must be a list of strings")
        specials = [roles[r] for r in _ROLES if roles[r] is not None] + extras
        if tokens[: len(specials)] != specials:
            raise bad(f"the first tokens must be the specials {specials}, got {tokens[: len(specials)]}")
        try:
            return cls(
                tokens[len(specials) :],
                pad_token=roles["pad"],
                unk_token=roles["unk"],
                bos_token=roles["bos"],
                eos_token=roles["eos"],
                extra_specials=extras,
                counts=dict(zip(tokens, counts, strict=True)),
            )
        except StructNLPError as exc:
            raise bad(str(exc)) from None

    def save(self, path: str | Path) -> None:
        """Write the vocabulary as JSON, atomically (a crash never leaves half a file).

        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "vocab.json"
        >>> v = Vocabulary(["a", "b"])
        >>> v.save(p)
        >>> Vocabulary.load(p) == v
        True
        """
        with atomic_write(path) as fh:
            json.dump(self.to_dict(), fh, ensure_ascii=False, indent=1)
            fh.write("\n")

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        """Read a vocabulary written by :meth:`save`; :class:`ModelFileError` if it is not one."""
        path = Path(path)
        try:
            text = read_text(path)
        except (OSError, StructNLPError) as exc:
            raise ModelFileError(f"{path}: cannot read the vocabulary file ({exc})") from None
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except ValueError as exc:
            raise ModelFileError(f"{path}: not valid JSON, truncated or not a vocabulary ({exc})") from None
        return cls.from_dict(data, source=str(path))


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _hashable_in(token: object, index: dict[str, int]) -> bool:
    try:
        return token in index
    except TypeError:
        return False
