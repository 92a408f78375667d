"""A line-by-line Python port of the CUDA training kernel in :mod:`tsetlin.gpu`, for CPU-only CI.

It keeps the kernel's decomposition -- clause ``g`` owned by warp ``g % n_warps``, lanes
striding over literal words, a warp vote for "fires", integer atomics into triple-buffered class
sums cleared two samples ahead, one grid barrier per sample, lane 0 drawing the random numbers
and running the literal budget -- and runs the warps of each phase in a *random order*, as a GPU
may. The tests check that it reproduces :func:`tsetlin.cpu.train_epoch` bit for bit, so the
kernel's index logic and its independence from scheduling are proven without a GPU; the GPU
tests then check the CUDA code itself against the CPU backend.
"""

from __future__ import annotations

import numpy as np

M64 = (1 << 64) - 1
LANES = 32


def _next(rng: np.ndarray, g: int) -> int:
    z = (int(rng[g]) + 0x9E3779B97F4A7C15) & M64
    rng[g] = z
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def _unit(rng: np.ndarray, g: int) -> float:
    return float(_next(rng, g) >> 11) * (1.0 / 9007199254740992.0)


def _rotl(w: int, rot: int) -> int:
    return ((w << rot) | (w >> ((64 - rot) & 63))) & M64


def _update_word(row: np.ndarray, B: int, k: int, up: int, down: int) -> None:
    """``update_word``: +1 on the automata flagged in ``up``, then -1 on those in ``down``, saturating."""
    if not (up | down):
        return
    t = [int(row[b, k]) for b in range(B)]
    c = up
    for b in range(B):
        if c:
            t[b], c = t[b] ^ c, c & t[b]
    if c:
        t = [v | c for v in t]
    c = down
    for b in range(B):
        if c:
            t[b], c = t[b] ^ c, c & ~t[b] & M64
    if c:
        t = [v & ~c & M64 for v in t]
    for b in range(B):
        row[b, k] = t[b]


def _literal_word(x: list[int], valid: np.ndarray, k: int, W: int) -> int:
    return x[k] if k < W else ~x[k - W] & int(valid[k]) & M64


def _warp_fires(top: np.ndarray, la: np.ndarray, x: list[int], L: int, W: int) -> bool:
    votes = []
    for lane in range(LANES):
        bad = 0
        for k in range(lane, L, LANES):
            inc = int(top[k]) & int(la[k])
            bad |= inc & ~x[k] & M64 if k < W else inc & x[k - W]
        votes.append(bad != 0)
    return not any(votes)


def _limit_new_includes(
    row: np.ndarray, masks: list[int], budget: int, rng: np.ndarray, g: int, B: int
) -> None:
    L = row.shape[1]
    top = row[B - 1]
    cross = []
    for k in range(L):
        c = masks[k] & ~int(top[k]) & M64
        for b in range(B - 1):
            c &= int(row[b, k])
        cross.append(c)
    included = sum(int(top[k]).bit_count() for k in range(L))
    candidates = sum(c.bit_count() for c in cross)
    room = budget - included
    if candidates <= room:
        return
    for k in range(L):
        masks[k] &= ~cross[k] & M64
    for t in range(max(room, 0)):
        j = int(_unit(rng, g) * (candidates - t))
        for k in range(L):
            n = cross[k].bit_count()
            if j < n:
                w = cross[k]
                for _ in range(j):
                    w &= w - 1
                bit = w & (~w + 1) & M64
                cross[k] &= ~bit & M64
                masks[k] |= bit
                break
            j -= n


def _owned(first: int, n_clauses: int, warp: int, n_warps: int) -> range:
    start = first + ((warp - first % n_warps) % n_warps + n_warps) % n_warps
    return range(start, first + n_clauses, n_warps)


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
    n_warps=5,
    schedule_seed=0,
):
    """What ``tm_train_epoch`` computes, with ``n_warps`` warps scheduled in random orders."""
    C, B, L = ta.shape
    W = L // 2
    n_clauses = C // n_classes
    half = n_clauses // 2
    sums = [0] * 6
    fired = np.zeros(C, dtype=bool)
    schedule = np.random.default_rng(schedule_seed)
    for step in range(len(order)):
        i = int(order[step])
        cls = (int(y[i]), int(other[step]))
        base = 2 * (step % 3)
        x = [0] * W
        for p in range(indptr[i], indptr[i + 1]):
            f = int(indices[p])
            x[f >> 6] |= 1 << (f & 63)
        sums[2 * ((step + 1) % 3)] = sums[2 * ((step + 1) % 3) + 1] = 0
        for warp in schedule.permutation(n_warps):  # phase 1: evaluate, add up the votes
            for side in range(2):
                first = cls[side] * n_clauses
                local = 0
                for g in _owned(first, n_clauses, warp, n_warps):
                    on = bool(clause_active[g]) and _warp_fires(ta[g, B - 1], la, x, L, W)
                    fired[g] = on
                    if on:
                        local += int(weights[g])
                sums[base + side] += local
        for warp in schedule.permutation(n_warps):  # grid barrier, then phase 2: feedback
            for side in range(2):
                first = cls[side] * n_clauses
                is_target = side == 0
                total = min(max(sums[base + side], -T), T)
                p = (T - total) / (2.0 * T) if is_target else (T + total) / (2.0 * T)
                for g in _owned(first, n_clauses, warp, n_warps):
                    j = g - first
                    type_i = (j < half) == is_target
                    on = bool(fired[g])
                    if not clause_active[g] or not (type_i or on):
                        continue
                    if not _unit(rng, g) < p:
                        continue
                    r = _next(rng, g) if type_i else 0
                    row = ta[g]
                    away = 1 if j < half else -1
                    rot, off = r & 63, (r >> 6) % (pool.size - L + 1)
                    if type_i and not on:
                        for k in range(L):
                            _update_word(row, B, k, 0, _rotl(int(pool[off + k]), rot) & int(la[k]))
                        continue
                    if type_i:
                        up = []
                        for k in range(L):
                            lit = _literal_word(x, valid, k, W) & int(la[k])
                            up.append(lit if boost else lit & ~_rotl(int(pool[off + k]), rot) & M64)
                        if budget >= 0:
                            _limit_new_includes(row, up, budget, rng, g, B)
                        for k in range(L):
                            lit = _literal_word(x, valid, k, W)
                            sel = _rotl(int(pool[off + k]), rot)
                            _update_word(row, B, k, up[k], ~lit & int(la[k]) & sel & M64)
                        if weighted:
                            weights[g] += away
                    else:
                        up = [
                            ~_literal_word(x, valid, k, W) & int(la[k]) & ~int(row[B - 1, k]) & M64
                            for k in range(L)
                        ]
                        if budget >= 0:
                            _limit_new_includes(row, up, budget, rng, g, B)
                        for k in range(L):
                            _update_word(row, B, k, up[k], 0)
                        if weighted and weights[g] * away > 1:
                            weights[g] -= away
