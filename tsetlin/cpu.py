"""Numba CPU backend of the Tsetlin Machine.

Representation (shared by every kernel here)
--------------------------------------------
A model with ``n_classes`` classes of ``n_clauses`` clauses holds ``C = n_classes * n_clauses``
clauses; clause ``g = class_index * n_clauses + j`` votes *for* its class when
``j < n_clauses // 2`` and *against* it otherwise. Each clause has one Tsetlin automaton
per literal: ``2 * n_features`` literals, the features ``x_f`` first, then their negations
``NOT x_f``. Literals are bit-packed in 64-bit words: ``W = ceil(n_features / 64)`` words of
positive literals followed by ``W`` words of negated literals (``L = 2 * W`` words; the
padding bits of the last word of each half are never set).

The automata states are *bit-sliced* as in pyTsetlinMachine and tmu: ``ta[g, b, k]`` holds
bit ``b`` of the states of the 64 automata of word ``k`` of clause ``g``, so one word
operation moves 64 automata at once; a state is ``0 .. 2**n_state_bits - 1`` and the
literal is *included* when its most significant bit is set, so ``ta[g, n_state_bits - 1]``
is the clause's include mask, read directly by clause evaluation. Updates run plane by
plane over a clause's contiguous words without branches, which the compiler vectorizes.
During learning each clause also has a *summary* (one bit per literal word holding an
include), so testing a clause costs a few word operations when it includes few literals.

Training follows Granmo (2018) with integer clause weights (Phoulady et al. 2020): the
class sum is clipped to ``[-T, T]``; each clause of the target class gets feedback with
probability ``(T - sum) / 2T``, each clause of one randomly drawn other class with
probability ``(T + sum) / 2T``; clauses voting for the class receive Type I feedback on the
target class and Type II on the other, and conversely for clauses voting against. During
learning an empty clause outputs 1; at prediction it outputs 0.

Parallelism and randomness: the classes are dealt to worker threads; each worker replays
the epoch's sample sequence and updates only its own classes' clauses, so workers never
wait for each other (the kernels release the GIL). Every clause owns a splitmix64 stream
(``rng[g]``); the sample order, the other class, clause and literal drop are drawn by the
caller per epoch. Results are therefore identical for any number of threads. The
``1/s`` literal selections of Type I feedback are windows (random offset and bit rotation,
from the clause's stream) into a pool of words whose bits are independent Bernoulli(1/s)
draws, regenerated every epoch: each literal is selected with probability exactly ``1/s``
at a cost of one word read per 64 literals instead of one random number per literal.

Prediction uses an inverted index over the features present in a document (text is
sparse: a clause including ``NOT w`` is switched off by the presence of ``w``, and a clause
including positive literals fires when all of them are present), or, when the clauses
include so many literals that the posting lists are longer than the clause masks, a
bit-parallel evaluation of every clause; both give identical sums.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

__all__ = [
    "BLOCK",
    "build_index",
    "class_sums_dense",
    "class_sums_index",
    "clause_outputs",
    "init_clause_rng",
    "initial_planes",
    "n_words",
    "nonempty_clauses",
    "planes_to_states",
    "states_to_planes",
    "summaries",
    "train_epoch",
    "train_worker",
    "valid_mask",
]

BLOCK = 64
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_U6 = np.uint64(6)
_U11 = np.uint64(11)
_U27 = np.uint64(27)
_U30 = np.uint64(30)
_U31 = np.uint64(31)
_U63 = np.uint64(63)
_U64 = np.uint64(64)
_ALL = np.uint64(0xFFFFFFFFFFFFFFFF)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@intrinsic
def _popcount(typingctx, x):
    """Number of set bits of a uint64 (LLVM ctpop, one instruction on x86-64)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


def n_words(n_features: int) -> int:
    """Number of 64-bit words holding one bit per feature.

    >>> n_words(64), n_words(65)
    (1, 2)
    """
    return (n_features + BLOCK - 1) // BLOCK


def valid_mask(n_features: int) -> np.ndarray:
    """The ``L = 2W`` literal words with a bit set for every real (non-padding) literal.

    >>> [hex(w) for w in valid_mask(3)]
    ['0x7', '0x7']
    """
    W = n_words(n_features)
    half = np.full(W, np.iinfo(np.uint64).max, dtype=np.uint64)
    rest = n_features % BLOCK
    if rest:
        half[-1] = np.uint64((1 << rest) - 1)
    return np.concatenate([half, half])


# --------------------------------------------------------------------------- random numbers
@njit(cache=True)
def _next(rng, g):
    """Advance clause ``g``'s splitmix64 stream and return 64 random bits."""
    z = rng[g] + _GOLDEN
    rng[g] = z
    z = (z ^ (z >> _U30)) * _MIX1
    z = (z ^ (z >> _U27)) * _MIX2
    return z ^ (z >> _U31)


@njit(cache=True)
def _unit(rng, g):
    """A uniform float in [0, 1) from clause ``g``'s stream."""
    return float(_next(rng, g) >> _U11) * _TO_UNIT


@njit(cache=True)
def init_clause_rng(seed, n):
    """One splitmix64 state per clause, derived from ``seed`` (a non-negative int)."""
    out = np.empty(n, dtype=np.uint64)
    base = np.zeros(1, dtype=np.uint64)
    base[0] = np.uint64(seed)
    for g in range(n):
        out[g] = _next(base, 0)
    return out


# --------------------------------------------------------------------------- data layout
@njit(cache=True)
def _pack_row(indptr, indices, i, x):
    """Bit-pack row ``i`` of a CSR 0/1 matrix into ``x``: bit ``f % 64`` of word ``f // 64``."""
    x[:] = _U0
    for p in range(indptr[i], indptr[i + 1]):
        f = np.uint64(indices[p])
        x[f >> _U6] |= _U1 << (f & _U63)


def initial_planes(n_total_clauses: int, n_state_bits: int, n_features: int) -> np.ndarray:
    """States of a fresh machine: every automaton just below the include threshold.

    >>> p = initial_planes(2, 3, 5)
    >>> p.shape, [hex(w) for w in p[0, :, 0]]
    ((2, 3, 2), ['0x1f', '0x1f', '0x0'])
    """
    valid = valid_mask(n_features)
    planes = np.zeros((n_total_clauses, n_state_bits, valid.size), dtype=np.uint64)
    planes[:, : n_state_bits - 1, :] = valid
    return planes


@njit(cache=True)
def planes_to_states(ta, n_features):
    """Bit-sliced planes -> one integer state per automaton, shape ``(C, 2 * n_features)``."""
    C, B, L = ta.shape
    W = L // 2
    out = np.zeros((C, 2 * n_features), dtype=np.uint16)
    for g in range(C):
        for half in range(2):
            for f in range(n_features):
                k = half * W + f // 64
                bit = np.uint64(f % 64)
                v = 0
                for b in range(B):
                    if (ta[g, b, k] >> bit) & _U1:
                        v |= 1 << b
                out[g, half * n_features + f] = v
    return out


@njit(cache=True)
def states_to_planes(states, n_state_bits):
    """Inverse of :func:`planes_to_states`."""
    C = states.shape[0]
    n_features = states.shape[1] // 2
    W = (n_features + 63) // 64
    ta = np.zeros((C, n_state_bits, 2 * W), dtype=np.uint64)
    for g in range(C):
        for half in range(2):
            for f in range(n_features):
                v = states[g, half * n_features + f]
                k = half * W + f // 64
                bit = _U1 << np.uint64(f % 64)
                for b in range(n_state_bits):
                    if (v >> b) & 1:
                        ta[g, b, k] |= bit
    return ta


# --------------------------------------------------------------------------- clause evaluation
@njit(cache=True)
def nonempty_clauses(ta):
    """Which clauses include at least one literal (only those can fire at prediction)."""
    C, B, L = ta.shape
    out = np.zeros(C, dtype=np.bool_)
    for g in range(C):
        for k in range(L):
            if ta[g, B - 1, k] != _U0:
                out[g] = True
                break
    return out


@njit(cache=True, nogil=True)
def _clause_outputs_rows(ta, summary, nonempty, indptr, indices, la, learning, out, lo, hi):
    """Clause outputs of rows ``lo..hi``: the prediction or (``learning``) the learning convention."""
    C, B, L = ta.shape
    W = L // 2
    x = np.empty(W, dtype=np.uint64)
    for i in range(lo, hi):
        _pack_row(indptr, indices, i, x)
        for g in range(C):
            if (learning or nonempty[g]) and _fires_summary(ta, g, B - 1, summary, x, la, W):
                out[i, g] = 1


@njit(cache=True, nogil=True)
def _class_sums_dense_rows(ta, summary, nonempty, votes, indptr, indices, n_classes, out, lo, hi):
    C, B, L = ta.shape
    W = L // 2
    n_clauses = C // n_classes
    la = np.empty(L, dtype=np.uint64)
    la[:] = _ALL
    x = np.empty(W, dtype=np.uint64)
    for i in range(lo, hi):
        _pack_row(indptr, indices, i, x)
        for g in range(C):
            if nonempty[g] and _fires_summary(ta, g, B - 1, summary, x, la, W):
                out[i, g // n_clauses] += votes[g]


def _row_ranges(n_rows: int, n_threads: int) -> list[tuple[int, int]]:
    """Split ``n_rows`` into at most ``n_threads`` contiguous ranges (at least 64 rows each)."""
    parts = max(1, min(n_threads, n_rows // 64))
    return [(p * n_rows // parts, (p + 1) * n_rows // parts) for p in range(parts)]


def clause_outputs(ta, indptr, indices, n_threads=1, la=None):
    """Clause outputs ``(n_docs, C)`` (uint8) of CSR documents.

    By default the prediction convention (empty clauses output 0); with a literal mask
    ``la`` the learning convention (empty clauses output 1, literals outside ``la`` ignored).

    >>> import scipy.sparse as sp
    >>> states = np.zeros((2, 6), dtype=np.uint16)  # 2 clauses, 3 features: x0 x1 x2 NOT x0 NOT x1 NOT x2
    >>> states[0, 0] = states[0, 4] = 8  # clause 0 is "x0 AND NOT x1" (4 state bits: include from 8)
    >>> ta = states_to_planes(states, 4)
    >>> X = sp.csr_matrix(np.array([[1, 0, 1], [1, 1, 0]]))
    >>> indptr, indices = X.indptr.astype(np.int64), X.indices.astype(np.int64)
    >>> clause_outputs(ta, indptr, indices)  # clause 1 is empty: silent at prediction
    array([[1, 0],
           [0, 0]], dtype=uint8)
    >>> clause_outputs(ta, indptr, indices, la=valid_mask(3))  # ... and firing while learning
    array([[1, 1],
           [0, 1]], dtype=uint8)
    """
    n = indptr.size - 1
    out = np.zeros((n, ta.shape[0]), dtype=np.uint8)
    learning = la is not None
    if la is None:
        la = np.full(ta.shape[2], np.iinfo(np.uint64).max, dtype=np.uint64)
    summary, nonempty = summaries(ta), nonempty_clauses(ta)
    calls = [
        (ta, summary, nonempty, indptr, indices, la, learning, out, lo, hi)
        for lo, hi in _row_ranges(n, n_threads)
    ]
    _in_threads(calls, _clause_outputs_rows)
    return out


def class_sums_dense(ta, votes, indptr, indices, n_classes, n_threads=1):
    """Class sums ``(n_docs, n_classes)`` by testing every clause's packed include mask.

    >>> import scipy.sparse as sp
    >>> states = np.zeros((2, 4), dtype=np.uint16)  # 1 class, 2 clauses over x0 x1
    >>> states[0, 0] = states[1, 1] = 8  # clause 0 "x0" votes +3, clause 1 "x1" votes -1
    >>> X = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 0]]))
    >>> class_sums_dense(states_to_planes(states, 4), np.array([3, -1]), X.indptr.astype(np.int64),
    ...                  X.indices.astype(np.int64), n_classes=1)
    array([[3],
           [2],
           [0]])
    """
    n = indptr.size - 1
    out = np.zeros((n, n_classes), dtype=np.int64)
    summary, nonempty = summaries(ta), nonempty_clauses(ta)
    calls = [
        (ta, summary, nonempty, votes, indptr, indices, n_classes, out, lo, hi)
        for lo, hi in _row_ranges(n, n_threads)
    ]
    _in_threads(calls, _class_sums_dense_rows)
    return out


@njit(cache=True)
def build_index(ta, n_features):
    """Inverted index of the include masks, for prediction on sparse documents.

    Returns ``(pos_ptr, pos_clauses, neg_ptr, neg_clauses, n_pos, nonempty)``: the clauses
    including ``x_f`` are ``pos_clauses[pos_ptr[f]:pos_ptr[f + 1]]``, those including
    ``NOT x_f`` likewise in ``neg_*``; ``n_pos[g]`` counts clause ``g``'s positive literals.
    """
    C, B, L = ta.shape
    W = L // 2
    top = B - 1
    pos_count = np.zeros(n_features + 1, dtype=np.int64)
    neg_count = np.zeros(n_features + 1, dtype=np.int64)
    n_pos = np.zeros(C, dtype=np.int32)
    nonempty = np.zeros(C, dtype=np.bool_)
    for g in range(C):
        for k in range(W):
            w = ta[g, top, k]
            while w:
                f = k * 64 + int(_popcount((w & (~w + _U1)) - _U1))
                pos_count[f + 1] += 1
                n_pos[g] += 1
                w &= w - _U1
            w = ta[g, top, W + k]
            while w:
                f = k * 64 + int(_popcount((w & (~w + _U1)) - _U1))
                neg_count[f + 1] += 1
                nonempty[g] = True
                w &= w - _U1
        if n_pos[g] > 0:
            nonempty[g] = True
    pos_ptr = np.cumsum(pos_count)
    neg_ptr = np.cumsum(neg_count)
    pos_clauses = np.empty(pos_ptr[-1], dtype=np.int32)
    neg_clauses = np.empty(neg_ptr[-1], dtype=np.int32)
    pos_fill = pos_ptr[:-1].copy()
    neg_fill = neg_ptr[:-1].copy()
    for g in range(C):
        for k in range(W):
            w = ta[g, top, k]
            while w:
                f = k * 64 + int(_popcount((w & (~w + _U1)) - _U1))
                pos_clauses[pos_fill[f]] = g
                pos_fill[f] += 1
                w &= w - _U1
            w = ta[g, top, W + k]
            while w:
                f = k * 64 + int(_popcount((w & (~w + _U1)) - _U1))
                neg_clauses[neg_fill[f]] = g
                neg_fill[f] += 1
                w &= w - _U1
    return pos_ptr, pos_clauses, neg_ptr, neg_clauses, n_pos, nonempty


@njit(cache=True, nogil=True)
def _class_sums_index_rows(
    indptr,
    indices,
    pos_ptr,
    pos_clauses,
    neg_ptr,
    neg_clauses,
    n_pos,
    nonempty,
    votes,
    n_classes,
    out,
    lo,
    hi,
):
    C = votes.size
    n_clauses = C // n_classes
    base = np.zeros(n_classes, dtype=np.int64)
    for g in range(C):
        if nonempty[g] and n_pos[g] == 0:
            base[g // n_clauses] += votes[g]
    killed = np.zeros(C, dtype=np.int64)  # holds (row + 1) once the clause is switched off for that row
    seen = np.zeros(C, dtype=np.int64)
    hits = np.zeros(C, dtype=np.int32)
    for i in range(lo, hi):
        tag = i + 1
        for c in range(n_classes):
            out[i, c] = base[c]
        for p in range(indptr[i], indptr[i + 1]):
            f = indices[p]
            for q in range(neg_ptr[f], neg_ptr[f + 1]):
                g = neg_clauses[q]
                if killed[g] != tag:
                    killed[g] = tag
                    if n_pos[g] == 0:
                        out[i, g // n_clauses] -= votes[g]
        for p in range(indptr[i], indptr[i + 1]):
            f = indices[p]
            for q in range(pos_ptr[f], pos_ptr[f + 1]):
                g = pos_clauses[q]
                if seen[g] != tag:
                    seen[g] = tag
                    hits[g] = 0
                hits[g] += 1
                if hits[g] == n_pos[g] and killed[g] != tag:
                    out[i, g // n_clauses] += votes[g]


def class_sums_index(indptr, indices, index, votes, n_classes, n_threads=1):
    """Class sums ``(n_docs, n_classes)`` from the inverted ``index`` (:func:`build_index`).

    A clause with only negated literals fires unless one of its features is present; a
    clause with positive literals fires when all of them are present and none of its
    negated features is. Work per document: the posting lists of its present features.

    >>> import scipy.sparse as sp
    >>> states = np.zeros((2, 4), dtype=np.uint16)  # 1 class, 2 clauses over x0 x1
    >>> states[0, 0] = states[1, 3] = 8  # clause 0 "x0" votes +3, clause 1 "NOT x1" votes -1
    >>> ta = states_to_planes(states, 4)
    >>> X = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 0]]))
    >>> class_sums_index(X.indptr.astype(np.int64), X.indices.astype(np.int64), build_index(ta, 2),
    ...                  np.array([3, -1]), n_classes=1)
    array([[ 2],
           [ 3],
           [-1]])
    """
    n = indptr.size - 1
    out = np.zeros((n, n_classes), dtype=np.int64)
    calls = [(indptr, indices, *index, votes, n_classes, out, lo, hi) for lo, hi in _row_ranges(n, n_threads)]
    _in_threads(calls, _class_sums_index_rows)
    return out


# --------------------------------------------------------------------------- automata updates
@njit(cache=True)
def _inc_planes(row, carry, B, L):
    """Add 1 to the states flagged in ``carry`` (one word per literal word; saturating).

    ``row`` is one clause's ``(B, L)`` planes; the loops run plane by plane over contiguous
    words without branches, which the compiler vectorizes. ``carry`` is consumed.
    """
    for b in range(B):
        pending = _U0
        for k in range(L):
            t = row[b, k]
            c = carry[k]
            row[b, k] = t ^ c
            c &= t
            carry[k] = c
            pending |= c
        if pending == _U0:
            return
    for b in range(B):
        for k in range(L):
            row[b, k] |= carry[k]


@njit(cache=True)
def _dec_planes(row, carry, B, L):
    """Subtract 1 from the states flagged in ``carry`` (saturating at 0); ``carry`` is consumed."""
    for b in range(B):
        pending = _U0
        for k in range(L):
            t = row[b, k]
            c = carry[k]
            row[b, k] = t ^ c
            c &= ~t
            carry[k] = c
            pending |= c
        if pending == _U0:
            return
    for b in range(B):
        for k in range(L):
            row[b, k] &= ~carry[k]


@njit(cache=True)
def _rotl(w, rot):
    """Rotate left by ``rot`` in 0..63 (``rot == 0`` included, without undefined shifts)."""
    return (w << rot) | (w >> ((_U64 - rot) & _U63))


@njit(cache=True)
def _refresh_summary(ta, g, top, summary, L):
    """Mark in ``summary[g]`` the literal words where clause ``g`` includes something."""
    for s in range(summary.shape[1]):
        summary[g, s] = _U0
    for k in range(L):
        if ta[g, top, k] != _U0:
            summary[g, k >> 6] |= _U1 << np.uint64(k & 63)


@njit(cache=True)
def _fires_summary(ta, g, top, summary, x, la, W):
    """:func:`_fires` visiting only the words marked in ``summary[g]`` (a superset of the
    words with includes), so a clause with few literals is tested in a few steps."""
    for s in range(summary.shape[1]):
        m = summary[g, s]
        while m:
            k = s * 64 + int(_popcount((m & (~m + _U1)) - _U1))
            m &= m - _U1
            if k < W:
                if ta[g, top, k] & la[k] & ~x[k]:
                    return False
            elif ta[g, top, k] & la[k] & x[k - W]:
                return False
    return True


@njit(cache=True)
def _limit_new_includes(ta, g, masks, budget, rng, B, L, cross):
    """Clear bits of ``masks`` so that incrementing by them keeps the clause within ``budget``.

    The literals that an increment would newly include (state just below the threshold)
    are kept in a uniformly random subset of the size still allowed, drawn without
    replacement one literal at a time (as many draws as literals kept, so a clause at its
    budget costs no random numbers); the others are not incremented this time. ``cross`` is
    scratch space of ``L`` words.
    """
    top = B - 1
    included = 0
    candidates = 0
    for k in range(L):
        included += int(_popcount(ta[g, top, k]))
        c = masks[k] & ~ta[g, top, k]
        for b in range(top):
            c &= ta[g, b, k]
        cross[k] = c
        candidates += int(_popcount(c))
    room = budget - included
    if candidates <= room:
        return
    for k in range(L):
        masks[k] &= ~cross[k]
    for t in range(max(room, 0)):
        j = int(_unit(rng, g) * (candidates - t))
        for k in range(L):
            n = int(_popcount(cross[k]))
            if j < n:
                w = cross[k]
                for _ in range(j):
                    w &= w - _U1
                bit = w & (~w + _U1)
                cross[k] &= ~bit
                masks[k] |= bit
                break
            j -= n


@njit(cache=True)
def _type_i(ta, g, fired, x, valid, la, pool, rng, boost, budget, carry, carry2, spare, B, L, W):
    """Type I feedback: reinforce a firing clause's true literals; forget at rate 1/s."""
    r = _next(rng, g)
    rot = r & _U63
    off = int((r >> _U6) % np.uint64(pool.size - L + 1))
    row = ta[g]
    if not fired:  # Type Ib: every literal decremented with probability 1/s
        for k in range(L):
            carry[k] = _rotl(pool[off + k], rot) & la[k]
        _dec_planes(row, carry, B, L)
        return
    for k in range(L):  # Type Ia: true literals up, false literals down with probability 1/s
        lit = x[k] if k < W else ~x[k - W] & valid[k]
        sel = _rotl(pool[off + k], rot)
        carry[k] = lit & la[k] if boost else lit & la[k] & ~sel
        carry2[k] = ~lit & la[k] & sel
    if budget >= 0:
        _limit_new_includes(ta, g, carry, budget, rng, B, L, spare)
    _inc_planes(row, carry, B, L)
    _dec_planes(row, carry2, B, L)


@njit(cache=True)
def _type_ii(ta, g, x, valid, la, rng, budget, carry, spare, B, L, W):
    """Type II feedback on a firing clause: step its excluded false literals towards include."""
    top = B - 1
    for k in range(L):
        lit = x[k] if k < W else ~x[k - W] & valid[k]
        carry[k] = ~lit & la[k] & ~ta[g, top, k]
    if budget >= 0:
        _limit_new_includes(ta, g, carry, budget, rng, B, L, spare)
    _inc_planes(ta[g], carry, B, L)


@njit(cache=True)
def _update_class(
    ta,
    weights,
    rng,
    summary,
    x,
    cls,
    is_target,
    clause_active,
    la,
    valid,
    pool,
    T,
    boost,
    weighted,
    budget,
    n_clauses,
    outputs,
    carry,
    carry2,
    carry3,
):
    """Evaluate the clauses of class ``cls`` on ``x``, then give each its feedback."""
    B, L = ta.shape[1], ta.shape[2]
    W = L // 2
    top = B - 1
    half = n_clauses // 2
    first = cls * n_clauses
    total = 0
    for j in range(n_clauses):
        g = first + j
        fired = clause_active[g] != 0 and _fires_summary(ta, g, top, summary, x, la, W)
        outputs[j] = fired
        if fired:
            total += weights[g]
    total = min(max(total, -T), T)
    p = (T - total) / (2.0 * T) if is_target else (T + total) / (2.0 * T)
    for j in range(n_clauses):
        g = first + j
        type_i = (j < half) == is_target
        if clause_active[g] == 0 or not (type_i or outputs[j]):
            continue  # Type II does nothing to a clause that did not fire
        if _unit(rng, g) >= p:
            continue
        fired = outputs[j] != 0
        away = 1 if j < half else -1  # moves a weight away from zero
        if type_i:
            _type_i(ta, g, fired, x, valid, la, pool, rng, boost, budget, carry, carry2, carry3, B, L, W)
            if fired:
                _refresh_summary(ta, g, top, summary, L)
                if weighted:
                    weights[g] += away
        else:
            _type_ii(ta, g, x, valid, la, rng, budget, carry, carry3, B, L, W)
            _refresh_summary(ta, g, top, summary, L)
            if weighted and weights[g] * away > 1:
                weights[g] -= away


@njit(cache=True, nogil=True)
def train_worker(
    worker,
    n_workers,
    ta,
    weights,
    rng,
    summary,
    indptr,
    indices,
    y,
    order,
    other,
    clause_active,
    la,
    valid,
    pool,
    T,
    boost,
    weighted,
    budget,
    n_classes,
):
    """Replay the sample sequence, updating the classes ``c`` with ``c % n_workers == worker``."""
    C, L = ta.shape[0], ta.shape[2]
    W = L // 2
    n_clauses = C // n_classes
    x = np.empty(W, dtype=np.uint64)
    outputs = np.zeros(n_clauses, dtype=np.bool_)
    carry = np.empty(L, dtype=np.uint64)
    carry2 = np.empty(L, dtype=np.uint64)
    carry3 = np.empty(L, dtype=np.uint64)
    for step in range(order.size):
        i = order[step]
        target = y[i]
        negative = other[step]
        mine_target = target % n_workers == worker
        mine_negative = negative % n_workers == worker
        if not (mine_target or mine_negative):
            continue
        _pack_row(indptr, indices, i, x)
        if mine_target:
            _update_class(
                ta,
                weights,
                rng,
                summary,
                x,
                target,
                True,
                clause_active,
                la,
                valid,
                pool,
                T,
                boost,
                weighted,
                budget,
                n_clauses,
                outputs,
                carry,
                carry2,
                carry3,
            )
        if mine_negative:
            _update_class(
                ta,
                weights,
                rng,
                summary,
                x,
                negative,
                False,
                clause_active,
                la,
                valid,
                pool,
                T,
                boost,
                weighted,
                budget,
                n_clauses,
                outputs,
                carry,
                carry2,
                carry3,
            )


@njit(cache=True)
def summaries(ta):
    """For every clause, the literal words holding an include (one bit per word)."""
    C, B, L = ta.shape
    summary = np.zeros((C, (L + 63) // 64), dtype=np.uint64)
    for g in range(C):
        _refresh_summary(ta, g, B - 1, summary, L)
    return summary


def train_epoch(
    ta,
    weights,
    rng,
    indptr,
    indices,
    y,
    order,
    other,
    clause_active,
    la,
    valid,
    pool,
    T,
    boost,
    weighted,
    budget,
    n_classes,
    n_threads,
):
    """One pass over ``order`` (row indices of the CSR matrix), updating ``ta``, ``weights``, ``rng``.

    ``weights`` are the signed clause weights (positive for clauses voting for their class);
    ``other[step]`` is the non-target class updated at that step; ``clause_active`` (uint8,
    per clause) and ``la`` (literal words) implement clause and literal drop; ``pool`` holds
    the Bernoulli(1/s) words; ``budget < 0`` means no literal budget.

    The classes are dealt to ``min(n_threads, n_classes)`` workers (class ``c`` to worker
    ``c % n_workers``); each worker replays the whole sample sequence and updates only its
    own classes. The classes' clause banks are independent given the sequence, so the
    workers never wait for each other (they run the GIL-free kernel in threads) and the
    result is identical for any number of threads.

    One epoch on two documents of two classes, from fresh clauses (states just below include),
    with no forgetting (an all-zero ``pool``: s = infinity):

    >>> import scipy.sparse as sp
    >>> X = sp.csr_matrix(np.array([[1, 0], [0, 1]]))  # document 0 has x0 (class 0), document 1 x1
    >>> args = (X.indptr.astype(np.int64), X.indices.astype(np.int64), np.array([0, 1], dtype=np.int32),
    ...         np.array([0, 1]), np.array([1, 0], dtype=np.int32), np.ones(4, dtype=np.uint8),
    ...         valid_mask(2), valid_mask(2), np.zeros(64, dtype=np.uint64), 1, True, True, -1, 2)
    >>> def learn(n_threads):
    ...     ta = initial_planes(4, 8, 2)  # 2 classes x 2 clauses (for, against), 8 state bits
    ...     train_epoch(ta, np.array([1, -1, 1, -1], dtype=np.int32), init_clause_rng(0, 4), *args, n_threads)
    ...     return (planes_to_states(ta, 2) >= 128).astype(int)  # included: x0 x1 NOT x0 NOT x1
    >>> learn(1)  # each class's "against" clause learnt the other class's document
    array([[0, 0, 0, 0],
           [0, 1, 1, 0],
           [0, 0, 0, 0],
           [1, 0, 0, 1]])
    >>> bool((learn(2) == learn(1)).all())
    True
    """
    n_workers = max(1, min(n_threads, n_classes))
    summary = summaries(ta)
    args = (
        ta,
        weights,
        rng,
        summary,
        indptr,
        indices,
        y,
        order,
        other,
        clause_active,
        la,
        valid,
        pool,
        T,
        boost,
        weighted,
        budget,
        n_classes,
    )
    _in_threads([(w, n_workers, *args) for w in range(n_workers)], train_worker)


def _in_threads(calls, kernel):
    """Run ``kernel(*args)`` for each argument tuple, in parallel threads when there are several."""
    if len(calls) == 1:
        return [kernel(*calls[0])]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda args: kernel(*args), calls))
