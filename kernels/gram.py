r"""Tiled, sharded Gram-matrix computation.

A kernel's Gram matrix :math:`K_{ij} = k(a_i, b_j)` between two sets of
*state features* (statevectors, flattened density matrices, MPS site tensors,
Bloch vectors, ...) is computed block by block: the rows are cut into tiles
of ``tile_size`` and so are the columns, and one jitted *block function*
turns a pair of tiles into a block of :math:`K`. Memory on the device is then
bounded by two tiles of features and one block, whatever the number of data
points; the blocks are written into a host array (``out``, which may be a NumPy
memmap on disk), so Gram matrices larger than device memory stream to host
memory or disk tile by tile. Features given as JAX arrays stay on their
device and are sliced there; NumPy features are copied tile by tile.

With ``b`` omitted (the symmetric case :math:`K = k(A, A)`), only blocks on
and above the diagonal are computed and the others are filled by
transposition (a matrix of 256 or more rows is cut into at least two row
tiles for this, saving a quarter of the work or more); diagonal blocks are
symmetrised exactly.

Sharding: with more than one device (``devices``, default all of
``jax.devices()``), each row tile is split across a one-axis
:class:`jax.sharding.Mesh` (axis ``"rows"``) and the column tile is
replicated, so every device computes its slice of the block and XLA inserts
no communication. The same code runs multi-host under
``jax.distributed.initialize()``: ``jax.devices()`` then lists the devices of
every process, each process holds the same features (it computes them
itself from the same data), the tiles are placed with
:func:`jax.make_array_from_callback`, and each block is gathered to every
host with :func:`jax.experimental.multihost_utils.process_allgather`. Every
process must take part (:func:`select_devices` spreads a device count evenly
over the processes). A path given as ``out`` is then written by process 0
alone; the file must be on a filesystem every process sees (checked before
the first block), and after the last block every other process opens it
read-only, so each process returns the same matrix and no two write it.

Shapes are bucketed (tiles padded to one of eight sizes per factor of two, at
most ``tile_size``) so that a new number of data points rarely recompiles the
block function and at most 12.5% of the work is padding.
"""

from __future__ import annotations

import os
import secrets
from functools import partial
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from qinspired._batching import round_up
from qinspired._validation import check_int, check_memory

__all__ = ["BlockFn", "gram_matrix", "leading_size", "select_devices"]

_SPLIT_WORK = 1 << 27

BlockFn = Callable[[Any, Any, Any, jax.Array], jax.Array]
"""``block_fn(params, a_tile, b_tile, key) -> (len(a_tile), len(b_tile))`` block."""


def leading_size(tree: Any) -> int:
    """The common leading (data-point) axis of the arrays of a pytree."""
    sizes = {int(np.shape(leaf)[0]) for leaf in jax.tree_util.tree_leaves(tree)}
    if len(sizes) != 1:
        raise ValueError(f"the state arrays disagree on the number of data points: {sorted(sizes)}")
    return sizes.pop()


def _bucket(n: int, tile: int) -> int:
    """Rows of a tile: ``n`` rounded up (see :func:`round_up`), capped at ``tile``."""
    return min(tile, round_up(n))


def _pad(tree: Any, start: int, stop: int, rows: int) -> Any:
    """Rows ``start:stop`` of every leaf, zero-padded to ``rows`` (on the leaf's device)."""

    def cut(leaf):
        xp = jnp if isinstance(leaf, jax.Array) else np
        part = leaf[start:stop] if xp is jnp else np.asarray(leaf[start:stop])
        if part.shape[0] == rows:
            return part
        return xp.pad(part, [(0, rows - part.shape[0])] + [(0, 0)] * (part.ndim - 1))

    return jax.tree_util.tree_map(cut, tree)


@partial(jax.jit, static_argnums=(0,))
def _block(block_fn: BlockFn, params: Any, a: Any, b: Any, key: jax.Array) -> jax.Array:
    return block_fn(params, a, b, key)


def _place(tree: Any, sharding: NamedSharding | None) -> Any:
    if sharding is None:
        return tree
    if jax.process_count() == 1:
        return jax.device_put(tree, sharding)
    return jax.tree_util.tree_map(
        lambda leaf: jax.make_array_from_callback(leaf.shape, sharding, lambda idx: leaf[idx]),
        tree,
    )


def _to_host(block: jax.Array) -> np.ndarray:
    if jax.process_count() > 1 and not block.is_fully_addressable:
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(block, tiled=True))
    return np.asarray(block)


def _prepare_out(out: Any, shape: tuple[int, int]) -> np.ndarray | None:
    if out is None:
        check_memory(8 * shape[0] * shape[1], f"a {shape[0]} x {shape[1]} Gram matrix in host "
                     "memory (pass out= a memmap to stream it to disk)")
        return np.empty(shape, dtype=np.float64)
    if isinstance(out, (str, os.PathLike)):
        if jax.process_count() > 1:
            return _open_shared(os.fspath(out), shape)
        return np.lib.format.open_memmap(os.fspath(out), mode="w+", dtype=np.float64, shape=shape)
    if not isinstance(out, np.ndarray) or out.shape != shape:
        raise ValueError(f"out must be a NumPy array (or memmap) of shape {shape}, got "
                         f"{type(out).__name__} of shape {getattr(out, 'shape', None)}")
    if not np.issubdtype(out.dtype, np.floating):
        raise ValueError(f"out must have a floating dtype, got {out.dtype}")
    return out


def _open_shared(path: str, shape: tuple[int, int]) -> np.ndarray | None:
    """Process 0 creates the ``.npy`` file (returned), the others get None.

    Process 0 writes a random tag into the file and broadcasts it; every
    process checks that it reads the tag back from ``path``, so a path on a
    disk that some host does not share (or a stale file there) is refused in
    every process before any block is computed.
    """
    from jax.experimental import multihost_utils

    result, tag = None, np.int32(0)
    if jax.process_index() == 0:
        result = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=shape)
        tag = np.int32(2 + secrets.randbelow(2**31 - 3))  # not a kernel value
        if result.size:
            result.flat[0] = tag
        result.flush()
    tag = int(multihost_utils.broadcast_one_to_all(tag))
    try:
        seen = np.load(path, mmap_mode="r")
        ok = seen.shape == shape and (seen.size == 0 or seen.flat[0] == tag)
    except (OSError, ValueError):
        ok = False
    oks = np.asarray(multihost_utils.process_allgather(np.int32(ok))).reshape(-1)
    blind = [i for i, flag in enumerate(oks) if not flag]
    if blind:
        raise ValueError(f"out={path!r}: process(es) {blind} do not see the file process 0 "
                         "created there; under several processes out= must be a path on a "
                         "filesystem every process shares")
    return result


def _close_shared(result: np.ndarray | None, path: str) -> np.ndarray:
    """After the last block: process 0 flushes its file, the others open it read-only."""
    from jax.experimental import multihost_utils

    if result is not None:
        result.flush()
    multihost_utils.sync_global_devices(f"qinspired gram_matrix out={path}")
    return result if result is not None else np.load(path, mmap_mode="r")


def select_devices(n: int | None, owner: str) -> list[Any]:
    """The devices a kernel's ``devices=n`` shards over (all visible ones for None).

    With one process, the first ``n`` of ``jax.devices()``. Under several
    processes every process takes part in every block, so ``n`` must be a
    multiple of the process count and the first ``n / process_count`` devices
    of each process are taken.
    """
    devs = jax.devices()
    if n is None:
        return devs
    n = check_int(owner, "devices", n, 1)
    if n > len(devs):
        raise ValueError(f"{owner}: devices={n} but only {len(devs)} are visible")
    procs = jax.process_count()
    if procs == 1:
        return devs[:n]
    per, rest = divmod(n, procs)
    by_process = [[d for d in devs if d.process_index == p] for p in range(procs)]
    if rest or any(len(local) < per for local in by_process):
        raise ValueError(f"{owner}: devices={n} under {procs} processes must be a multiple of "
                         f"{procs} with at most {min(map(len, by_process))} per process "
                         "(every process computes its share of every block)")
    return [d for local in by_process for d in local[:per]]


def _mesh(devices: Sequence[Any] | None) -> Mesh | None:
    devs = list(jax.devices() if devices is None else devices)
    if not devs:
        raise ValueError("devices is empty; pass None to use every visible device")
    missing = set(range(jax.process_count())) - {d.process_index for d in devs}
    if missing:
        raise ValueError(f"devices has none of process(es) {sorted(missing)}: under several "
                         "processes every process must contribute devices")
    return Mesh(np.array(devs), ("rows",)) if len(devs) > 1 else None


def gram_matrix(
    block_fn: BlockFn,
    params: Any,
    a: Any,
    b: Any = None,
    *,
    tile_size: int = 512,
    out: Any = None,
    devices: Sequence[Any] | None = None,
    key: jax.Array | None = None,
    diagonal: np.ndarray | None = None,
) -> np.ndarray:
    """Compute a Gram matrix block by block from two sets of state features.

    Parameters
    ----------
    block_fn : callable
        ``block_fn(params, a_tile, b_tile, key)`` returning the real block of
        shape ``(rows of a_tile, rows of b_tile)``. It must be a module-level
        function (it is a static argument of the jitted block computation),
        pure, and must treat zero-padded rows like any others (they are cut off).
    params : pytree
        Arrays the block function reads (e.g. a bandwidth); traced, so new
        values do not recompile.
    a, b : pytree of arrays
        Features of the rows and the columns, each leaf with the data points
        on its leading axis. ``b=None`` computes the symmetric ``K(a, a)``.
    tile_size : int, default 512
        Rows (and columns) per tile.
    out : ndarray, str or path, optional
        Where to write the result: a float array (or ``numpy.memmap``) of
        the right shape, or a path at which a ``.npy`` memmap is created
        (under several processes process 0 alone writes it and the others
        return it opened read-only). Default: a new float64 array in host memory.
    devices : sequence of jax.Device, optional
        Devices to shard row tiles over (default: all visible devices).
    key : jax.Array, optional
        Passed to the block function, folded with the tile indices, for
        blocks that draw random numbers (finite-shot estimates). Tiles are
        drawn independently; the same key and ``tile_size`` give the same matrix.
    diagonal : ndarray, shape (n_a,), optional
        Symmetric case only: values written on the diagonal instead of the
        computed ones, for kernels whose diagonal has a more accurate closed
        form than the blocks' products (the fidelity kernel's squared norms).

    Returns
    -------
    numpy.ndarray, shape (n_a, n_b)
        ``out`` itself when given as an array; for a path, the memmap of that file.
    """
    tile = check_int("gram_matrix", "tile_size", tile_size, 1)
    symmetric = b is None
    b_tree = a if symmetric else b
    n_a, n_b = leading_size(a), leading_size(b_tree)
    if diagonal is not None and (not symmetric or np.shape(diagonal) != (n_a,)):
        raise ValueError(f"gram_matrix: diagonal= needs the symmetric case and {n_a} values, "
                         f"got shape {np.shape(diagonal)}" + ("" if symmetric else " with b given"))
    shared = isinstance(out, (str, os.PathLike)) and jax.process_count() > 1
    mesh = _mesh(devices)
    result = _prepare_out(out, (n_a, n_b))
    if n_a == 0 or n_b == 0:
        return _close_shared(result, os.fspath(out)) if shared else result
    n_dev = 1 if mesh is None else mesh.devices.size
    # Symmetric: cut even a matrix that fits one tile into 2 or 4 row tiles, so only
    # the 3 of 4 (10 of 16) blocks on and above the diagonal are computed; not where the
    # whole product is small (about 2**27 multiply-adds: n=8 qubits, N=400), where one
    # call costs less than the three calls and their transfers.
    row_size = sum(int(np.prod(np.shape(leaf)[1:])) for leaf in jax.tree_util.tree_leaves(a))
    small = n_a * n_a * row_size < _SPLIT_WORK
    parts = 1 if not symmetric or small or n_a < 256 else 2 if n_a < 1024 else 4
    rows_a = -(-_bucket(-(-n_a // parts), tile) // n_dev) * n_dev
    rows_b = rows_a if symmetric else _bucket(n_b, tile)
    row_sharding = None if mesh is None else NamedSharding(mesh, PartitionSpec("rows"))
    replicated = None if mesh is None else NamedSharding(mesh, PartitionSpec())
    base_key = jax.random.key(0) if key is None else key
    for r0 in range(0, n_a, rows_a):
        r1 = min(r0 + rows_a, n_a)
        a_tile = _place(_pad(a, r0, r1, rows_a), row_sharding)
        for c0 in range(r0 if symmetric else 0, n_b, rows_b):
            c1 = min(c0 + rows_b, n_b)
            b_tile = _place(_pad(b_tree, c0, c1, rows_b), replicated)
            tile_key = base_key if key is None else jax.random.fold_in(
                jax.random.fold_in(base_key, r0), c0)
            block = _to_host(_block(block_fn, params, a_tile, b_tile, tile_key))
            block = block[: r1 - r0, : c1 - c0]
            if symmetric and c0 == r0:
                n_diag = min(r1, c1) - r0
                upper = np.triu(block[:n_diag, :n_diag])
                block = block.copy()
                block[:n_diag, :n_diag] = upper + np.triu(upper, 1).T
                if diagonal is not None:
                    block[np.arange(n_diag), np.arange(n_diag)] = diagonal[r0:r0 + n_diag]
            if result is None:
                continue
            result[r0:r1, c0:c1] = block
            if symmetric and c0 != r0:
                result[c0:c1, r0:r1] = block.T
    return _close_shared(result, os.fspath(out)) if shared else result
