"""Model files shared by every structnlp model: a directory, never a pickle.

A model directory holds two files:

``config.json``
    the model class, its format version, the structnlp version that wrote it, the
    hyper-parameters and vocabularies (plain JSON), free-form metadata, and a manifest of
    the arrays (name, shape, dtype) with the size and SHA-256 of the arrays file.
``arrays.safetensors``
    the numeric arrays (weights, clause states, counts) in the safetensors format, which
    stores raw bytes and a JSON header and, unlike pickle, cannot run code when loaded.

:func:`save_model` writes the whole directory into a temporary sibling and renames it into
place, so a crash never leaves half a model and an existing model is replaced only once
the new one is complete. :func:`load_model` checks everything it reads and raises
:class:`~structnlp.errors.ModelFileError` naming the file and the problem: a pickle or a
random file passed by mistake, a model of another class, a format version newer than
this structnlp understands, a truncated or modified arrays file, a manifest that does not
match the arrays. Model packages call these two functions with their own class names; no
registry is needed, and :func:`read_model_class` lets a generic loader dispatch.

This module imports numpy and safetensors only; torch tensors are accepted (and returned
with ``as_torch=True``) through a lazily imported path.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from structnlp._version import __version__
from structnlp.errors import ModelFileError, StructNLPError
from structnlp.files import atomic_write, default_mode

CONFIG_FILE = "config.json"
ARRAYS_FILE = "arrays.safetensors"
#: Marker key of every structnlp ``config.json``; tells our files from other libraries' ``config.json``.
MARKER = "structnlp_model"
#: Version of the directory layout itself (the model's own ``format_version`` is separate).
LAYOUT_VERSION = 1

_HEADER_KEYS = ("model_class", "format_version", "structnlp_version", "config", "metadata", "arrays")
_FLOAT_STORAGE = ("float16", "float32", "float64")


@dataclass
class ModelFile:
    """What :func:`load_model` returns: the checked contents of a model directory."""

    path: Path
    model_class: str
    format_version: int
    structnlp_version: str
    config: dict[str, Any]
    arrays: dict[str, Any]
    metadata: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- JSON checks


def _plain_json(value: Any, where: str) -> Any:
    """Return ``value`` as plain JSON types, or raise naming the first offending entry.

    ``json.dumps`` would silently turn ``{1: "a"}`` into ``{"1": "a"}`` and a tuple into a
    list, and write ``NaN`` that other JSON readers reject; a model file must round-trip
    exactly, so those are errors here. NumPy scalars become Python numbers.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic) and value.ndim == 0 and value.dtype.kind in "biuf":
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise StructNLPError(f"{where} is {value}; model configs hold finite numbers only")
        return value
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise StructNLPError(
                    f"{where} has the key {key!r} of type {type(key).__name__}; JSON keys must be str"
                    " (convert them, e.g. store a vocabulary as {token: id})"
                )
            out[key] = _plain_json(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, list):
        return [_plain_json(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, np.ndarray):
        raise StructNLPError(f"{where} is a numpy array; pass arrays in `arrays`, not in the JSON config")
    raise StructNLPError(
        f"{where} is a {type(value).__name__}, which JSON cannot store exactly"
        " (use None, bool, int, float, str, list or dict with str keys)"
    )


# --------------------------------------------------------------------------- arrays


def _as_numpy(name: str, value: Any, float_storage: str | None) -> np.ndarray:
    """Convert one array (numpy or torch) to the little-endian, C-contiguous array to store."""
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        tensor = value.detach().cpu()
        if str(tensor.dtype) == "torch.bfloat16":  # numpy has no bfloat16; float32 holds it exactly
            tensor = tensor.float()
        value = tensor.numpy()
    if not isinstance(value, np.ndarray):
        kind = type(value).__name__
        raise StructNLPError(f"array {name!r} is a {kind}; expected a numpy array or torch tensor")
    if value.dtype.kind not in "biuf":
        raise StructNLPError(
            f"array {name!r} has dtype {value.dtype}; model files hold bool, integer and float arrays only"
            " (put strings such as vocabularies in `config`)"
        )
    if float_storage is not None and value.dtype.kind == "f" and value.dtype != np.dtype(float_storage):
        with np.errstate(over="ignore"):
            cast = value.astype(float_storage)
        overflow = np.isfinite(value) & ~np.isfinite(cast)
        if overflow.any():
            raise StructNLPError(
                f"array {name!r} has {int(overflow.sum())} values outside the {float_storage} range"
                f" (largest magnitude {float(np.abs(value[overflow]).max()):.4g}); store it in a wider type"
            )
        value = cast
    value = value.astype(value.dtype.newbyteorder("<"), copy=False)
    return value if value.flags.c_contiguous else value.copy(order="C")  # safetensors ignores strides


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- saving


def _fsync_dir(path: Path) -> None:
    """Make a rename durable on POSIX file systems (a no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def can_replace(path: Path) -> bool:
    """True if ``path`` is absent, an empty directory or a structnlp model directory.

    Saving never replaces anything else, so a mistyped ``--out`` cannot wipe a user's folder.

    >>> import pathlib, tempfile
    >>> home = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (home / "thesis.tex").write_text("...")
    >>> can_replace(home / "new-model"), can_replace(home)
    (True, False)
    """
    if not path.exists():
        return True
    if not path.is_dir():
        return False
    if not any(path.iterdir()):
        return True
    try:
        header = json.loads((path / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(header, dict) and MARKER in header


def save_model(
    path: str | os.PathLike,
    *,
    model_class: str,
    format_version: int,
    config: Mapping[str, Any],
    arrays: Mapping[str, Any],
    metadata: Mapping[str, Any] | None = None,
    float_storage: str | None = None,
) -> Path:
    """Write a model directory atomically and return its path.

    ``config`` holds the hyper-parameters and vocabularies (JSON types, str keys);
    ``arrays`` maps names to numpy arrays or torch tensors; ``metadata`` is free-form JSON
    (training data, scores). ``float_storage="float16"`` stores every float array in half
    precision, halving the size of shipped models (an error is raised if a value overflows).
    An existing model directory at ``path`` is replaced only once the new one is complete;
    any other existing file or non-empty directory is left alone and reported.

    >>> import tempfile, numpy as np
    >>> d = save_model(tempfile.mkdtemp() + "/m", model_class="demo.Linear", format_version=1,
    ...                config={"vocab": {"a": 0, "b": 1}}, arrays={"w": np.eye(2, dtype=np.float32)})
    >>> sorted(p.name for p in d.iterdir())
    ['arrays.safetensors', 'config.json']
    """
    from safetensors.numpy import save as safetensors_save

    path = Path(path)
    if not isinstance(model_class, str) or not model_class:
        raise StructNLPError(f"model_class must be a non-empty string, got {model_class!r}")
    if isinstance(format_version, bool) or not isinstance(format_version, int) or format_version < 1:
        raise StructNLPError(f"format_version must be a positive int, got {format_version!r}")
    if float_storage is not None and float_storage not in _FLOAT_STORAGE:
        raise StructNLPError(f"float_storage must be one of {_FLOAT_STORAGE} or None, got {float_storage!r}")
    if not isinstance(config, Mapping):
        raise StructNLPError(f"config must be a dict, got {type(config).__name__}")
    plain_config = _plain_json(config, "config")
    plain_metadata = _plain_json(dict(metadata or {}), "metadata")
    if not isinstance(arrays, Mapping):
        raise StructNLPError(f"arrays must be a dict of name -> array, got {type(arrays).__name__}")
    stored: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name:
            raise StructNLPError(f"array names must be non-empty strings, got {name!r}")
        if name == "__metadata__":  # safetensors' own header entry: the file would not load again
            raise StructNLPError("the array name '__metadata__' is reserved by safetensors; choose another")
        stored[name] = _as_numpy(name, value, float_storage)
    blob = safetensors_save(stored)
    header = {
        MARKER: LAYOUT_VERSION,
        "model_class": model_class,
        "format_version": format_version,
        "structnlp_version": __version__,
        "config": plain_config,
        "metadata": plain_metadata,
        "arrays": {name: {"shape": list(a.shape), "dtype": str(a.dtype)} for name, a in stored.items()},
        "arrays_file": {"bytes": len(blob), "sha256": _sha256(blob)},
    }
    if not can_replace(path):
        raise ModelFileError(
            f"{path}: exists and is not a structnlp model directory; refusing to overwrite it"
            " (choose another path or remove it yourself)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    old = None
    try:
        os.chmod(tmp, default_mode(path, directory=True))
        with atomic_write(tmp / ARRAYS_FILE, "wb") as fh:
            fh.write(blob)
        with atomic_write(tmp / CONFIG_FILE) as fh:
            json.dump(header, fh, indent=1, ensure_ascii=False, allow_nan=False)
            fh.write("\n")
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.replace(path, old / path.name)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        if old is not None and not path.exists():
            os.replace(old / path.name, path)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return path


# --------------------------------------------------------------------------- loading


def _describe_file(path: Path) -> str:
    """Guess what a regular file passed instead of a model directory is, for the error message."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[:1] == b"\x80" and head[1:2] in b"\x02\x03\x04\x05":
        return "it is a Python pickle, which structnlp never loads because unpickling can run arbitrary code"
    if head.startswith(b"PK\x03\x04"):
        return "it is a zip archive (an .npz or a torch checkpoint?), not a structnlp model directory"
    if head.startswith(b"\x1f\x8b"):
        return "it is a gzip file (an archive of a model? unpack it first)"
    if len(head) >= 8 and int.from_bytes(head[:8], "little") < 100_000_000 and head[8:9] == b"{":
        return "it is a bare safetensors file; structnlp models are directories holding config.json too"
    return "expected a directory holding config.json and arrays.safetensors"


def _read_header(path: str | os.PathLike) -> tuple[Path, dict[str, Any]]:
    """Check that ``path`` is a structnlp model directory and return its parsed ``config.json``."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such model directory")
    if not path.is_dir():
        raise ModelFileError(f"{path}: is a file, not a model directory; {_describe_file(path)}")
    config_path = path / CONFIG_FILE
    if not config_path.is_file():
        raise ModelFileError(f"{config_path}: missing; {path} is not a structnlp model directory")
    try:
        header = json.loads(config_path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ModelFileError(f"{config_path}: not UTF-8 (byte {exc.start}); the file is corrupt") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            f"{config_path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg});"
            " the file is truncated or was edited by hand"
        ) from None
    if not isinstance(header, dict) or MARKER not in header:
        raise ModelFileError(
            f"{config_path}: not a structnlp model file (no {MARKER!r} key); another program wrote it"
        )
    missing = [key for key in _HEADER_KEYS if key not in header]
    if missing:
        raise ModelFileError(f"{config_path}: lacks the keys {missing}; the file was edited or is damaged")
    layout = header[MARKER]
    if isinstance(layout, bool) or not isinstance(layout, int) or layout < 1:
        raise ModelFileError(
            f"{config_path}: {MARKER} is {layout!r}, not a layout version; the file is damaged"
        )
    if layout > LAYOUT_VERSION:
        raise ModelFileError(
            f"{config_path}: written by structnlp {header['structnlp_version']} in directory layout {layout};"
            f" this is structnlp {__version__}, which reads layout {LAYOUT_VERSION}:"
            " upgrade structnlp to load it"
        )
    return path, header


def read_model_class(path: str | os.PathLike) -> str:
    """Return the model class recorded in a model directory, without loading its arrays.

    Lets a generic loader pick the right model package before loading anything.

    >>> import tempfile
    >>> d = save_model(tempfile.mkdtemp() + "/m", model_class="demo.Empty", format_version=1,
    ...                config={}, arrays={})
    >>> read_model_class(d)
    'demo.Empty'
    """
    return _read_header(path)[1]["model_class"]


def _check_version(config_path: Path, header: dict[str, Any], supported: Collection[int]) -> int:
    version = header["format_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise ModelFileError(f"{config_path}: format_version is {version!r}, not an integer")
    if version in supported:
        return version
    known = sorted(supported)
    saved_by = f"saved by structnlp {header['structnlp_version']}"
    if known and version > max(known):
        raise ModelFileError(
            f"{config_path}: format version {version} of {header['model_class']!r}, {saved_by}; this is"
            f" structnlp {__version__}, which reads versions {known}: upgrade structnlp to load it"
        )
    raise ModelFileError(
        f"{config_path}: format version {version} of {header['model_class']!r}, {saved_by}, is not read by"
        f" structnlp {__version__} (reads versions {known}); re-train the model or load it with the"
        " structnlp that saved it"
    )


def _read_arrays(path: Path, header: dict[str, Any]) -> dict[str, np.ndarray]:
    """Read the arrays file, verifying size, checksum, format and manifest."""
    from safetensors import SafetensorError
    from safetensors.numpy import load as safetensors_load

    info = header.get("arrays_file")
    manifest = header["arrays"]
    if not (
        isinstance(info, dict)
        and isinstance(info.get("bytes"), int)
        and isinstance(info.get("sha256"), str)
        and isinstance(manifest, dict)
        and all(isinstance(e, dict) and isinstance(e.get("shape"), list) for e in manifest.values())
    ):
        raise ModelFileError(f"{path / CONFIG_FILE}: the arrays entries are damaged")
    arrays_path = path / ARRAYS_FILE
    if not arrays_path.is_file():
        raise ModelFileError(f"{arrays_path}: missing; the model directory is incomplete")
    blob = arrays_path.read_bytes()
    if len(blob) != info["bytes"]:
        what = "truncated" if len(blob) < info["bytes"] else "longer than written"
        recorded = info["bytes"]
        raise ModelFileError(f"{arrays_path}: {what} ({len(blob)} bytes, config.json records {recorded})")
    if _sha256(blob) != info["sha256"]:
        raise ModelFileError(
            f"{arrays_path}: SHA-256 checksum mismatch; the file was modified or corrupted after it was saved"
        )
    try:
        arrays = safetensors_load(blob)
    except SafetensorError as exc:
        raise ModelFileError(f"{arrays_path}: not a readable safetensors file ({exc})") from None
    if set(arrays) != set(manifest):
        raise ModelFileError(
            f"{arrays_path}: holds arrays {sorted(arrays)} but config.json lists {sorted(manifest)}"
        )
    for name, array in arrays.items():
        entry = manifest[name]
        if (tuple(entry["shape"]), entry.get("dtype")) != (array.shape, str(array.dtype)):
            raise ModelFileError(
                f"{arrays_path}: array {name!r} has shape {array.shape} and dtype {array.dtype}, but"
                f" config.json records {entry}"
            )
    return arrays


def load_model(
    path: str | os.PathLike,
    *,
    expected_class: str | tuple[str, ...],
    supported_versions: Collection[int],
    as_torch: bool = False,
) -> ModelFile:
    """Load and check a model directory written by :func:`save_model`.

    ``expected_class`` is the class name (or names) the caller can build; ``supported_versions``
    the format versions it understands. Arrays come back as numpy arrays (as torch tensors
    with ``as_torch=True``), in the dtype they were stored in.

    >>> import tempfile, numpy as np
    >>> d = save_model(tempfile.mkdtemp() + "/m", model_class="demo.Linear", format_version=2,
    ...                config={"dim": 2}, arrays={"w": np.ones((2, 3), np.float16)})
    >>> m = load_model(d, expected_class="demo.Linear", supported_versions={1, 2})
    >>> m.config, m.arrays["w"].shape, m.arrays["w"].dtype, m.format_version
    ({'dim': 2}, (2, 3), dtype('float16'), 2)
    >>> load_model(d, expected_class="demo.Tree", supported_versions={1, 2})
    Traceback (most recent call last):
    ...
    structnlp.errors.ModelFileError: ...: holds a 'demo.Linear' model, expected 'demo.Tree'
    """
    path, header = _read_header(path)
    config_path = path / CONFIG_FILE
    expected = (expected_class,) if isinstance(expected_class, str) else tuple(expected_class)
    if header["model_class"] not in expected:
        wanted = repr(expected[0]) if len(expected) == 1 else f"one of {list(expected)}"
        raise ModelFileError(f"{config_path}: holds a {header['model_class']!r} model, expected {wanted}")
    version = _check_version(config_path, header, supported_versions)
    if not isinstance(header["config"], dict) or not isinstance(header["metadata"], dict):
        raise ModelFileError(f"{config_path}: 'config' and 'metadata' must be JSON objects")
    arrays: dict[str, Any] = _read_arrays(path, header)
    if as_torch:
        import torch

        arrays = {name: torch.from_numpy(array) for name, array in arrays.items()}
    return ModelFile(
        path=path,
        model_class=header["model_class"],
        format_version=version,
        structnlp_version=str(header["structnlp_version"]),
        config=header["config"],
        arrays=arrays,
        metadata=header["metadata"],
    )
