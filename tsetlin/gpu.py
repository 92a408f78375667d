"""CuPy GPU backend of the Tsetlin Machine: raw CUDA kernels with the CPU backend's semantics.

The state layout, the random streams and the order of every random draw are those of
:mod:`tsetlin.cpu`, so that a model trained here is *bit-identical* to one trained on the CPU
from the same ``random_state`` (the GPU tests check exactly that), and models move freely
between backends.

How one epoch maps onto the GPU
-------------------------------
One persistent kernel runs the whole epoch. Each sample updates two classes (its own and the
drawn other class), i.e. ``2 * n_clauses`` independent clauses; clause ``g`` is owned by warp
``g % n_warps`` for the whole epoch, so a clause's automata, weight and random stream are only
ever touched by one warp (no cross-block coherence to worry about). Per sample:

1. every block packs the document's bits into shared memory;
2. each warp evaluates its clauses of the two classes (lanes stride over literal words, a warp
   vote combines them) and adds their weights to the class sums (integer atomics: the result
   does not depend on the order);
3. a grid-wide barrier; then
4. each warp gives its clauses their feedback, drawing from each clause's stream in the CPU
   backend's order; the automata updates of a clause run lane-parallel over its words, because
   a bit-sliced increment of word ``k`` never touches another word.

The class sums are triple-buffered so that one barrier per sample suffices (a buffer is cleared
two samples before it is reused). The barrier is a software one, which needs every block to be
resident: the grid has one block of ``_TRAIN_BLOCK`` threads per multiprocessor, and the kernel is
compiled to fit one such block per multiprocessor (``__launch_bounds__``). The number of state
bits is compiled in, so that a word's planes stay in registers. On an H200 (IMDb, 2,000 clauses
per class) 512-thread blocks ran an epoch fastest: 0.34 s, against 0.41 s with 256 and 0.34 s
with 1,024 (docs/benchmarks.md has the measurements).

Prediction evaluates each clause's include mask against a document's bits in shared memory,
one thread block per document.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from structnlp.errors import StructNLPError
from tsetlin.cpu import build_index, class_sums_index

__all__ = [
    "DENSE_PREDICTION",
    "build_index",
    "class_sums_dense",
    "class_sums_index",
    "clause_outputs",
    "train_epoch",
]

#: The estimator predicts with :func:`class_sums_dense` on this backend (the GPU is fastest
#: testing every clause mask; the inverted index suits a CPU).
DENSE_PREDICTION = True

_BLOCK = 256
_TRAIN_BLOCK = 512
_SHARED_LIMIT = 48 * 1024
#: Bytes of tm_train_epoch's static shared memory: its block's votes and class totals (4 ints).
_TRAIN_STATIC_SHARED = 16

_SOURCE = r"""
typedef unsigned long long u64;
typedef long long i64;

#define GOLDEN 0x9E3779B97F4A7C15ULL
#define FULL 0xffffffffu

__device__ __forceinline__ u64 next_random(u64* rng, int g) {
    u64 z = rng[g] + GOLDEN;
    rng[g] = z;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

__device__ __forceinline__ double unit_random(u64* rng, int g) {
    return (double)(next_random(rng, g) >> 11) * (1.0 / 9007199254740992.0);
}

__device__ __forceinline__ u64 rotl(u64 w, u64 rot) {
    return (w << rot) | (w >> ((64 - rot) & 63));
}

/* Bit-sliced saturating +1 (automata flagged in `up`), then -1 (flagged in `down`), of word k of
   one clause's STATE_BITS planes (a compile-time constant, so that the planes live in registers).
   All planes are loaded at once (one memory latency, not one per plane), the carries ripple in
   registers, and only the planes that changed are stored. */
__device__ __forceinline__ void update_word(u64* row, int L, int k, u64 up, u64 down) {
    if (!(up | down)) return;
    u64 t[STATE_BITS];
    unsigned changed = 0;
#pragma unroll
    for (int b = 0; b < STATE_BITS; ++b) t[b] = row[(i64)b * L + k];
    u64 c = up;
#pragma unroll
    for (int b = 0; b < STATE_BITS; ++b)
        if (c) { u64 old = t[b]; t[b] = old ^ c; c &= old; changed |= 1u << b; }
    if (c) {  /* saturated at the top state */
#pragma unroll
        for (int b = 0; b < STATE_BITS; ++b) t[b] |= c;
        changed = ~0u;
    }
    c = down;
#pragma unroll
    for (int b = 0; b < STATE_BITS; ++b)
        if (c) { u64 old = t[b]; t[b] = old ^ c; c &= ~old; changed |= 1u << b; }
    if (c) {  /* saturated at state 0 */
#pragma unroll
        for (int b = 0; b < STATE_BITS; ++b) t[b] &= ~c;
        changed = ~0u;
    }
#pragma unroll
    for (int b = 0; b < STATE_BITS; ++b) if (changed >> b & 1u) row[(i64)b * L + k] = t[b];
}

__device__ __forceinline__ u64 literal_word(const u64* x, const u64* valid, int k, int W) {
    return k < W ? x[k] : (~x[k - W] & valid[k]);
}

/* Does clause g fire on x (include plane `top`, literals outside la ignored)? Whole warp. */
__device__ __forceinline__ bool warp_fires(const u64* top, const u64* la, const u64* x,
                                           int L, int W, int lane) {
    u64 bad = 0;
#pragma unroll 4
    for (int k = lane; k < L; k += 32) {
        u64 inc = top[k] & la[k];
        bad |= k < W ? (inc & ~x[k]) : (inc & x[k - W]);
    }
    return !__any_sync(FULL, bad != 0);
}

/* The CPU backend's _limit_new_includes, run by one lane; `cross` is scratch space of L words. */
__device__ void limit_new_includes(u64* row, u64* masks, int budget, u64* rng, int g, int B, int L,
                                   u64* cross) {
    const u64* top = row + (i64)(B - 1) * L;
    long included = 0, candidates = 0;
    for (int k = 0; k < L; ++k) {
        included += __popcll(top[k]);
        u64 c = masks[k] & ~top[k];
        for (int b = 0; b < B - 1; ++b) c &= row[(i64)b * L + k];
        cross[k] = c;
        candidates += __popcll(c);
    }
    long room = budget - included;
    if (candidates <= room) return;
    for (int k = 0; k < L; ++k) masks[k] &= ~cross[k];
    for (long t = 0; t < room; ++t) {
        long j = (long)(unit_random(rng, g) * (double)(candidates - t));
        for (int k = 0; k < L; ++k) {
            long n = __popcll(cross[k]);
            if (j < n) {
                u64 w = cross[k];
                for (long q = 0; q < j; ++q) w &= w - 1;
                u64 bit = w & (~w + 1);
                cross[k] &= ~bit;
                masks[k] |= bit;
                break;
            }
            j -= n;
        }
    }
}

__device__ void grid_barrier(unsigned int* count, volatile unsigned int* generation) {
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0) {
        unsigned int mine = *generation;
        __threadfence();
        if (atomicAdd(count, 1u) == gridDim.x - 1) {
            atomicExch(count, 0u);
            __threadfence();
            atomicAdd((unsigned int*)generation, 1u);
        } else {
            while (*generation == mine) { }
        }
        __threadfence();
    }
    __syncthreads();
}

__device__ __forceinline__ void pack_document(u64* x, const i64* indptr, const i64* indices, i64 i, int W) {
    for (int k = threadIdx.x; k < W; k += blockDim.x) x[k] = 0;
    __syncthreads();
    for (i64 p = indptr[i] + threadIdx.x; p < indptr[i + 1]; p += blockDim.x) {
        u64 f = (u64)indices[p];
        atomicOr(&x[f >> 6], 1ULL << (f & 63));
    }
    __syncthreads();
}

/* First clause g >= first with g % n_warps == warp. */
__device__ __forceinline__ int first_owned(int first, int warp, int n_warps) {
    return first + ((warp - first % n_warps) % n_warps + n_warps) % n_warps;
}

extern "C" __global__ void __launch_bounds__(TRAIN_BLOCK, 1) tm_train_epoch(
    u64* ta, int* weights, u64* rng, unsigned char* fired,
    const i64* indptr, const i64* indices, const int* y, const i64* order, const int* other,
    const unsigned char* clause_active, const u64* la, const u64* valid, const u64* pool, i64 pool_size,
    int T, int boost, int weighted, int budget, int n_clauses, int B, int L, i64 n_steps,
    int* sums, unsigned int* barrier, u64* scratch)
{
    extern __shared__ u64 x[];
    const int W = L / 2;
    const int lane = threadIdx.x & 31;
    const int warp = (blockIdx.x * blockDim.x + threadIdx.x) >> 5;
    const int n_warps = (gridDim.x * blockDim.x) >> 5;
    const int half = n_clauses / 2;
    u64* carry = scratch + (i64)warp * 2 * L;
    u64* cross = carry + L;
    /* The votes are added up per block in shared memory and reach the global class sums with
       one atomic per block and class, and each block reads the sums back once: every thread
       adding to or reading one global address would serialise thousands of atomics per sample. */
    __shared__ int block_votes[2];
    __shared__ int block_totals[2];
    for (i64 step = 0; step < n_steps; ++step) {
        const i64 i = order[step];
        const int cls[2] = {y[i], other[step]};
        int* sum = sums + 2 * (step % 3);
        if (threadIdx.x < 2) block_votes[threadIdx.x] = 0;
        pack_document(x, indptr, indices, i, W);     /* its barriers publish the zeros too */
        if (blockIdx.x == 0 && threadIdx.x < 2) sums[2 * ((step + 1) % 3) + threadIdx.x] = 0;
        for (int side = 0; side < 2; ++side) {            /* evaluate, add up the votes */
            const int first = cls[side] * n_clauses;
            int local = 0;
            for (int g = first_owned(first, warp, n_warps); g < first + n_clauses; g += n_warps) {
                bool on = clause_active[g] &&
                          warp_fires(ta + ((i64)g * B + B - 1) * L, la, x, L, W, lane);
                if (lane == 0) fired[g] = on;
                if (on) local += weights[g];
            }
            if (lane == 0 && local != 0) atomicAdd(&block_votes[side], local);
        }
        __syncthreads();
        if (threadIdx.x < 2 && block_votes[threadIdx.x] != 0)
            atomicAdd(&sum[threadIdx.x], block_votes[threadIdx.x]);
        grid_barrier(barrier, barrier + 1);
        if (threadIdx.x < 2) block_totals[threadIdx.x] = atomicAdd(&sum[threadIdx.x], 0);
        __syncthreads();
        for (int side = 0; side < 2; ++side) {            /* feedback */
            const int first = cls[side] * n_clauses;
            const bool is_target = side == 0;
            int total = block_totals[side];
            total = total < -T ? -T : (total > T ? T : total);
            const double p = is_target ? (T - total) / (2.0 * T) : (T + total) / (2.0 * T);
            for (int g = first_owned(first, warp, n_warps); g < first + n_clauses; g += n_warps) {
                const int j = g - first;
                const bool type_i = (j < half) == is_target;
                const bool on = fired[g] != 0;
                if (!clause_active[g] || !(type_i || on)) continue;
                u64 r = 0;
                int go = 0;
                if (lane == 0) {
                    go = unit_random(rng, g) < p;
                    if (go && type_i) r = next_random(rng, g);
                }
                go = __shfl_sync(FULL, go, 0);
                if (!go) continue;
                r = __shfl_sync(FULL, r, 0);
                u64* row = ta + (i64)g * B * L;
                const u64* top = row + (i64)(B - 1) * L;
                const int away = j < half ? 1 : -1;
                if (type_i && !on) {                      /* Type Ib: forget at rate 1/s */
                    const u64 rot = r & 63;
                    const i64 off = (i64)((r >> 6) % (u64)(pool_size - L + 1));
                    for (int k = lane; k < L; k += 32)
                        update_word(row, L, k, 0, rotl(pool[off + k], rot) & la[k]);
                    continue;
                }
                if (type_i) {                             /* Type Ia */
                    const u64 rot = r & 63;
                    const i64 off = (i64)((r >> 6) % (u64)(pool_size - L + 1));
                    if (budget >= 0) {
                        for (int k = lane; k < L; k += 32) {
                            u64 lit = literal_word(x, valid, k, W) & la[k];
                            carry[k] = boost ? lit : lit & ~rotl(pool[off + k], rot);
                        }
                        __syncwarp();
                        if (lane == 0) limit_new_includes(row, carry, budget, rng, g, B, L, cross);
                        __syncwarp();
                    }
                    for (int k = lane; k < L; k += 32) {
                        const u64 lit = literal_word(x, valid, k, W);
                        const u64 sel = rotl(pool[off + k], rot);
                        const u64 up = budget >= 0 ? carry[k] : (boost ? lit & la[k] : lit & la[k] & ~sel);
                        update_word(row, L, k, up, ~lit & la[k] & sel);
                    }
                    if (lane == 0 && weighted) weights[g] += away;
                } else {                                  /* Type II */
                    if (budget >= 0) {
                        for (int k = lane; k < L; k += 32)
                            carry[k] = ~literal_word(x, valid, k, W) & la[k] & ~top[k];
                        __syncwarp();
                        if (lane == 0) limit_new_includes(row, carry, budget, rng, g, B, L, cross);
                        __syncwarp();
                        for (int k = lane; k < L; k += 32) update_word(row, L, k, carry[k], 0);
                    } else {
                        for (int k = lane; k < L; k += 32)
                            update_word(row, L, k, ~literal_word(x, valid, k, W) & la[k] & ~top[k], 0);
                    }
                    if (lane == 0 && weighted && weights[g] * away > 1) weights[g] -= away;
                }
                __syncwarp();
            }
        }
        __syncthreads();
    }
}

/* Class sums (mode 0) or clause outputs (mode 1) of documents, one block per document. */
extern "C" __global__ void tm_evaluate(
    const u64* top, const unsigned char* counted, const int* votes, const u64* la,
    const i64* indptr, const i64* indices, i64 n_docs, int C, int L, int n_clauses, int n_classes,
    int mode, i64* sums_out, unsigned char* fired_out)
{
    extern __shared__ u64 x[];
    const int W = L / 2;
    int* block_sums = (int*)(x + W);
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int n_warps = blockDim.x >> 5;
    for (i64 i = blockIdx.x; i < n_docs; i += gridDim.x) {
        for (int c = threadIdx.x; c < n_classes; c += blockDim.x) block_sums[c] = 0;
        pack_document(x, indptr, indices, i, W);
        for (int g = warp; g < C; g += n_warps) {
            bool on = counted[g] && warp_fires(top + (i64)g * L, la, x, L, W, lane);
            if (lane == 0) {
                if (mode == 1) fired_out[i * C + g] = on;
                else if (on) atomicAdd(&block_sums[g / n_clauses], votes[g]);
            }
        }
        __syncthreads();
        if (mode == 0)
            for (int c = threadIdx.x; c < n_classes; c += blockDim.x)
                sums_out[i * n_classes + c] = block_sums[c];
        __syncthreads();
    }
}
"""

_module_cache: dict[tuple[int, int, int], Any] = {}


def _cupy():
    """CuPy, or a clear error saying how to get it."""
    try:
        import cupy
    except ImportError:
        raise StructNLPError(
            "backend='gpu' needs CuPy and a CUDA device (pip install 'structnlp[gpu]'); use backend='cpu'"
        ) from None
    return cupy


def _kernels(state_bits: int):
    """The compiled kernels for the current device and number of state bits (compiled once each)."""
    cp = _cupy()
    key = (cp.cuda.runtime.getDevice(), state_bits, _TRAIN_BLOCK)
    if key not in _module_cache:
        options = ("--std=c++14", f"-DSTATE_BITS={state_bits}", f"-DTRAIN_BLOCK={_TRAIN_BLOCK}")
        module = cp.RawModule(code=_SOURCE, options=options)
        _module_cache[key] = (module.get_function("tm_train_epoch"), module.get_function("tm_evaluate"))
    return _module_cache[key]


def _check_shared(n_words: int, n_ints: int, static_bytes: int = 0) -> int:
    """Bytes of dynamic shared memory for one document's bits and ``n_ints`` counters beside them.

    ``static_bytes`` (the kernel's own ``__shared__`` variables) count towards the limit but are
    not part of the dynamic allocation. Too many features is a clear error.
    """
    need = 8 * n_words + 4 * n_ints
    if need + static_bytes > _SHARED_LIMIT:
        raise StructNLPError(
            f"the GPU backend holds a document's bits in {_SHARED_LIMIT // 1024} KiB of shared memory: "
            f"at most {(_SHARED_LIMIT - static_bytes - 4 * n_ints) // 8 * 64} features; "
            "use backend='cpu' or fewer features"
        )
    return need


def _n_blocks() -> int:
    """One block per multiprocessor, so that every block is resident (the grid barrier needs it)."""
    cp = _cupy()
    return int(cp.cuda.Device().attributes["MultiProcessorCount"])


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
    """One epoch on the GPU; same arguments and in-place results as :func:`tsetlin.cpu.train_epoch`.

    ``n_threads`` is accepted for a uniform backend interface and ignored.
    """
    cp = _cupy()
    C, B, L = ta.shape
    train, _ = _kernels(B)
    n_clauses = C // n_classes
    shared = _check_shared(L // 2, 0, static_bytes=_TRAIN_STATIC_SHARED)
    n_blocks = _n_blocks()
    d_ta = cp.asarray(ta)
    d_weights = cp.asarray(weights, dtype=cp.int32)
    d_rng = cp.asarray(rng)
    d_fired = cp.zeros(C, dtype=cp.uint8)
    d_sums = cp.zeros(6, dtype=cp.int32)
    d_barrier = cp.zeros(2, dtype=cp.uint32)
    d_scratch = cp.zeros(n_blocks * (_TRAIN_BLOCK // 32) * 2 * L, dtype=cp.uint64)
    d_pool = cp.asarray(pool)
    args = (
        d_ta,
        d_weights,
        d_rng,
        d_fired,
        cp.asarray(indptr, dtype=cp.int64),
        cp.asarray(indices, dtype=cp.int64),
        cp.asarray(y, dtype=cp.int32),
        cp.asarray(order, dtype=cp.int64),
        cp.asarray(other, dtype=cp.int32),
        cp.asarray(clause_active, dtype=cp.uint8),
        cp.asarray(la),
        cp.asarray(valid),
        d_pool,
        np.int64(d_pool.size),
        np.int32(T),
        np.int32(bool(boost)),
        np.int32(bool(weighted)),
        np.int32(budget),
        np.int32(n_clauses),
        np.int32(B),
        np.int32(L),
        np.int64(len(order)),
        d_sums,
        d_barrier,
        d_scratch,
    )
    train((n_blocks,), (_TRAIN_BLOCK,), args, shared_mem=shared)
    ta[...] = d_ta.get()
    weights[...] = d_weights.get()
    rng[...] = d_rng.get()


def _evaluate(ta, votes, indptr, indices, n_classes, la, counted, mode):
    cp = _cupy()
    C, B, L = ta.shape
    _, evaluate = _kernels(B)
    n_docs = int(indptr.size - 1)
    shared = _check_shared(L // 2, n_classes)
    sums = cp.zeros((n_docs, n_classes), dtype=cp.int64)
    fired = cp.zeros((n_docs, C) if mode == 1 else 1, dtype=cp.uint8)
    if n_docs:
        args = (
            cp.asarray(np.ascontiguousarray(ta[:, B - 1, :])),
            cp.asarray(counted.astype(np.uint8)),
            cp.asarray(votes, dtype=cp.int32),
            cp.asarray(la),
            cp.asarray(indptr, dtype=cp.int64),
            cp.asarray(indices, dtype=cp.int64),
            np.int64(n_docs),
            np.int32(C),
            np.int32(L),
            np.int32(C // n_classes),
            np.int32(n_classes),
            np.int32(mode),
            sums,
            fired,
        )
        evaluate((min(n_docs, 65535),), (_BLOCK,), args, shared_mem=shared)
    return sums.get() if mode == 0 else fired.get()


def class_sums_dense(ta, votes, indptr, indices, n_classes, n_threads=1):
    """Class sums ``(n_docs, n_classes)``, as :func:`tsetlin.cpu.class_sums_dense` computes them."""
    nonempty = (ta[:, -1, :] != 0).any(axis=1)
    everything = np.full(ta.shape[2], np.iinfo(np.uint64).max, dtype=np.uint64)
    return _evaluate(ta, votes, indptr, indices, n_classes, everything, nonempty, mode=0)


def clause_outputs(ta, indptr, indices, n_threads=1, la=None):
    """Clause outputs ``(n_docs, C)`` (uint8), as :func:`tsetlin.cpu.clause_outputs` computes them."""
    C = ta.shape[0]
    if la is None:
        counted = (ta[:, -1, :] != 0).any(axis=1)
        la = np.full(ta.shape[2], np.iinfo(np.uint64).max, dtype=np.uint64)
    else:
        counted = np.ones(C, dtype=bool)
    return _evaluate(ta, np.zeros(C, dtype=np.int32), indptr, indices, 1, la, counted, mode=1)
