"""Model directories: exact round trips, atomic replacement, and a clear error for every bad file."""

from __future__ import annotations

import json
import pickle
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from structnlp import __version__
from structnlp.errors import ModelFileError, StructNLPError
from structnlp.modelio import ARRAYS_FILE, CONFIG_FILE, ModelFile, load_model, read_model_class, save_model

CLS = "test.Toy"


def _save(path, arrays=None, config=None, **kwargs):
    kwargs.setdefault("format_version", 1)
    return save_model(
        path,
        model_class=kwargs.pop("model_class", CLS),
        config={"hidden": 4, "vocab": {"the": 0, "cat": 1}} if config is None else config,
        arrays={"w": np.arange(12, dtype=np.float32).reshape(3, 4)} if arrays is None else arrays,
        **kwargs,
    )


def _load(path, **kwargs):
    kwargs.setdefault("expected_class", CLS)
    kwargs.setdefault("supported_versions", {1})
    return load_model(path, **kwargs)


# --------------------------------------------------------------------------- round trips


def test_round_trip_keeps_values_dtypes_config_and_metadata(tmp_path):
    arrays = {
        "w32": np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4),
        "w16": np.array([0.5, -2.0, 65504.0], dtype=np.float16),
        "w64": np.array([[1e-300, 3.0]]),
        "ids": np.array([3, -1, 7], dtype=np.int64),
        "state": np.array([[0, 255]], dtype=np.uint8),
        "mask": np.array([True, False]),
        "scalar": np.array(2.5, dtype=np.float32),
        "empty": np.zeros((0, 5), dtype=np.int32),
    }
    config = {"vocab": {"the": 0, "ünï": 1}, "sizes": [1, 2], "lr": 0.1, "name": None, "flag": True}
    _save(tmp_path / "m", arrays=arrays, config=config, format_version=3, metadata={"data": "imdb"})
    m = _load(tmp_path / "m", supported_versions=range(1, 4))
    assert isinstance(m, ModelFile)
    assert (m.model_class, m.format_version, m.structnlp_version) == (CLS, 3, __version__)
    assert m.config == config and m.metadata == {"data": "imdb"}
    assert set(m.arrays) == set(arrays)
    for name, array in arrays.items():
        assert m.arrays[name].dtype == array.dtype and m.arrays[name].shape == array.shape
        np.testing.assert_array_equal(m.arrays[name], array)
    m.arrays["w32"][0, 0] = 9.0  # loaded arrays are ordinary writable arrays


def test_empty_config_and_no_arrays(tmp_path):
    _save(tmp_path / "m", arrays={}, config={})
    m = _load(tmp_path / "m")
    assert m.config == {} and m.arrays == {} and m.metadata == {}


def test_numpy_scalars_in_config_become_python_numbers(tmp_path):
    _save(tmp_path / "m", config={"dim": np.int64(8), "lr": np.float32(0.5)})
    assert _load(tmp_path / "m").config == {"dim": 8, "lr": 0.5}


def test_non_contiguous_and_big_endian_arrays_are_stored_by_value(tmp_path):
    base = np.arange(6, dtype=">f4").reshape(2, 3)
    _save(tmp_path / "m", arrays={"t": base.T, "f": np.asfortranarray(base), "s": base[:, ::2]})
    m = _load(tmp_path / "m")
    np.testing.assert_array_equal(m.arrays["t"], [[0, 3], [1, 4], [2, 5]])
    np.testing.assert_array_equal(m.arrays["f"], [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(m.arrays["s"], [[0, 2], [3, 5]])
    assert m.arrays["t"].dtype == np.dtype("<f4")


def test_float16_storage_halves_floats_and_keeps_integers(tmp_path):
    w = np.array([[0.1, 1.5], [-3.25, 1000.0]], dtype=np.float32)
    _save(tmp_path / "m", arrays={"w": w, "ids": np.arange(3)}, float_storage="float16")
    m = _load(tmp_path / "m")
    assert m.arrays["w"].dtype == np.float16 and m.arrays["ids"].dtype == np.int64
    np.testing.assert_array_equal(m.arrays["w"], w.astype(np.float16))
    size16 = (tmp_path / "m" / ARRAYS_FILE).stat().st_size
    _save(tmp_path / "m32", arrays={"w": w, "ids": np.arange(3)})
    assert (tmp_path / "m32" / ARRAYS_FILE).stat().st_size - size16 == 4 * 2  # 4 floats, 2 bytes each


def test_float16_overflow_is_an_error_not_inf(tmp_path):
    with pytest.raises(StructNLPError, match=r"'w' has 1 values outside the float16 range \(largest.*7e\+04"):
        _save(tmp_path / "m", arrays={"w": np.array([1.0, 70000.0])}, float_storage="float16")
    assert not (tmp_path / "m").exists()


def test_torch_tensors_in_and_out(tmp_path):
    torch = pytest.importorskip("torch")
    w = torch.arange(6, dtype=torch.float32).reshape(2, 3).T  # non-contiguous view
    b = torch.tensor([0.5, 1.25], dtype=torch.bfloat16, requires_grad=True)
    _save(tmp_path / "m", arrays={"w": w, "b": b})
    m = _load(tmp_path / "m", as_torch=True)
    assert torch.equal(m.arrays["w"], w)
    assert m.arrays["b"].dtype == torch.float32 and m.arrays["b"].tolist() == [0.5, 1.25]


@settings(max_examples=25, deadline=None)
@given(
    arrays=st.dictionaries(
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=8),
        hnp.arrays(
            st.sampled_from([np.float16, np.float32, np.float64, np.int8, np.int32, np.uint16, np.bool_]),
            hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
        ),
        max_size=4,
    )
)
def test_any_arrays_round_trip_bit_exactly(tmp_path_factory, arrays):
    path = tmp_path_factory.mktemp("rt") / "m"
    _save(path, arrays=arrays)
    loaded = _load(path).arrays
    assert set(loaded) == set(arrays)
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        assert loaded[name].tobytes() == np.ascontiguousarray(array).tobytes()  # NaNs and -0.0 included


def test_read_model_class_reads_only_the_header(tmp_path):
    _save(tmp_path / "m", model_class="parsing.StructFormer")
    (tmp_path / "m" / ARRAYS_FILE).unlink()
    assert read_model_class(tmp_path / "m") == "parsing.StructFormer"


def test_expected_class_may_be_a_tuple(tmp_path):
    _save(tmp_path / "m", model_class="topics.DocNADE")
    m = _load(tmp_path / "m", expected_class=("topics.DocNADE", "topics.iDocNADE"))
    assert m.model_class == "topics.DocNADE"
    with pytest.raises(ModelFileError, match=r"holds a 'topics.DocNADE' model, expected one of \['a', 'b'\]"):
        _load(tmp_path / "m", expected_class=("a", "b"))


# --------------------------------------------------------------------------- atomic writes


def test_replacing_an_existing_model_leaves_no_temporary_files(tmp_path):
    _save(tmp_path / "m", arrays={"w": np.zeros(3)}, config={"v": 1})
    _save(tmp_path / "m", arrays={"w": np.ones(5)}, config={"v": 2})
    m = _load(tmp_path / "m")
    assert m.config == {"v": 2}
    np.testing.assert_array_equal(m.arrays["w"], np.ones(5))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_failed_save_keeps_the_old_model(tmp_path, monkeypatch):
    _save(tmp_path / "m", config={"v": 1})

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("structnlp.modelio.json.dump", crash)
    with pytest.raises(OSError, match="disk full"):
        _save(tmp_path / "m", config={"v": 2})
    assert _load(tmp_path / "m").config == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_crash_during_the_swap_restores_the_old_model(tmp_path, monkeypatch):
    _save(tmp_path / "m", config={"v": 1})
    import structnlp.modelio as modelio

    real_replace = modelio.os.replace

    def replace(src, dst):
        if str(src).endswith(".tmp") and str(dst) == str(tmp_path / "m"):
            raise OSError("power cut")
        return real_replace(src, dst)

    monkeypatch.setattr(modelio.os, "replace", replace)
    with pytest.raises(OSError, match="power cut"):
        _save(tmp_path / "m", config={"v": 2})
    monkeypatch.undo()
    assert _load(tmp_path / "m").config == {"v": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_saving_into_an_empty_directory_is_allowed(tmp_path):
    (tmp_path / "m").mkdir()
    _save(tmp_path / "m")
    assert _load(tmp_path / "m").config["hidden"] == 4


@pytest.mark.parametrize("kind", ["file", "foreign_dir"])
def test_refuses_to_overwrite_what_is_not_a_model(tmp_path, kind):
    target = tmp_path / "m"
    if kind == "file":
        target.write_text("precious")
    else:
        target.mkdir()
        (target / "notes.txt").write_text("precious")
    with pytest.raises(ModelFileError, match="exists and is not a structnlp model directory; refusing"):
        _save(target)
    assert (target.read_text() if kind == "file" else (target / "notes.txt").read_text()) == "precious"


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"config": {1: "a"}}, r"config has the key 1 of type int; JSON keys must be str"),
        ({"config": {"a": (1, 2)}}, r"config\['a'\] is a tuple"),
        ({"config": {"a": [1.0, float("nan")]}}, r"config\['a'\]\[1\] is nan; model configs hold finite"),
        ({"config": {"w": np.zeros(2)}}, r"config\['w'\] is a numpy array; pass arrays in `arrays`"),
        ({"metadata": {"when": object()}}, r"metadata\['when'\] is a object"),
        ({"arrays": {"words": np.array(["a", "b"])}}, r"'words' has dtype <U1; model files hold bool, int"),
        ({"arrays": {"w": [1.0, 2.0]}}, r"'w' is a list; expected a numpy array or torch tensor"),
        ({"format_version": 0}, r"format_version must be a positive int, got 0"),
        ({"model_class": ""}, r"model_class must be a non-empty string"),
        ({"float_storage": "int8"}, r"float_storage must be one of"),
    ],
)
def test_unsavable_inputs_are_clear_errors(tmp_path, kwargs, message):
    with pytest.raises(StructNLPError, match=message):
        _save(tmp_path / "m", **kwargs)
    assert not (tmp_path / "m").exists()


# --------------------------------------------------------------------------- bad files


def test_missing_directory(tmp_path):
    with pytest.raises(ModelFileError, match=r"nowhere: no such model directory"):
        _load(tmp_path / "nowhere")


def test_pickle_file_is_refused_without_being_unpickled(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"w": [1, 2]}))
    with pytest.raises(
        ModelFileError, match=r"model.pkl: is a file, not a model directory; it is a Python pickle,"
    ):
        _load(path)


def test_zip_file_is_named(tmp_path):
    path = tmp_path / "weights.npz"
    np.savez(path, w=np.zeros(2))
    assert zipfile.is_zipfile(path)
    with pytest.raises(ModelFileError, match=r"it is a zip archive \(an .npz or a torch checkpoint\?\)"):
        _load(path)


def test_bare_safetensors_file_is_named(tmp_path):
    _save(tmp_path / "m")
    with pytest.raises(ModelFileError, match=r"it is a bare safetensors file"):
        _load(tmp_path / "m" / ARRAYS_FILE)


def test_random_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(
        ModelFileError, match=r"notes.txt: is a file.*expected a directory holding config.json"
    ):
        _load(path)


def test_missing_config_json(tmp_path):
    _save(tmp_path / "m")
    (tmp_path / "m" / CONFIG_FILE).unlink()
    with pytest.raises(ModelFileError, match=r"config.json: missing; .* is not a structnlp model directory"):
        _load(tmp_path / "m")


def test_malformed_json(tmp_path):
    _save(tmp_path / "m")
    config = tmp_path / "m" / CONFIG_FILE
    config.write_text(config.read_text()[:40])
    with pytest.raises(
        ModelFileError, match=r"config.json: not valid JSON \(line \d+, column \d+: .*truncated"
    ):
        _load(tmp_path / "m")


def test_non_utf8_config(tmp_path):
    _save(tmp_path / "m")
    (tmp_path / "m" / CONFIG_FILE).write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ModelFileError, match=r"config.json: not UTF-8 \(byte 7\)"):
        _load(tmp_path / "m")


def test_foreign_config_json(tmp_path):
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / CONFIG_FILE).write_text(json.dumps({"model_type": "bert", "hidden_size": 768}))
    with pytest.raises(ModelFileError, match=r"not a structnlp model file \(no 'structnlp_model' key\)"):
        _load(tmp_path / "hf")
    with pytest.raises(ModelFileError, match=r"not a structnlp model file"):
        read_model_class(tmp_path / "hf")


def _edit_header(path, **changes):
    config = path / CONFIG_FILE
    header = json.loads(config.read_text())
    for key, value in changes.items():
        if value is None:
            del header[key]
        else:
            header[key] = value
    config.write_text(json.dumps(header))


def test_header_missing_keys(tmp_path):
    _save(tmp_path / "m")
    _edit_header(tmp_path / "m", config=None)
    with pytest.raises(ModelFileError, match=r"lacks the keys \['config'\]"):
        _load(tmp_path / "m")


def test_foreign_model_class(tmp_path):
    _save(tmp_path / "m", model_class="tsetlin.TMClassifier")
    with pytest.raises(ModelFileError, match=r"holds a 'tsetlin.TMClassifier' model, expected 'test.Toy'"):
        _load(tmp_path / "m")


def test_newer_format_version_asks_to_upgrade(tmp_path):
    _save(tmp_path / "m", format_version=3)
    _edit_header(tmp_path / "m", structnlp_version="9.0.0")
    with pytest.raises(
        ModelFileError,
        match=rf"format version 3 of 'test.Toy', saved by structnlp 9.0.0; this is structnlp {__version__},"
        r" which reads versions \[1, 2\]: upgrade structnlp",
    ):
        _load(tmp_path / "m", supported_versions=(1, 2))


def test_older_unsupported_format_version(tmp_path):
    _save(tmp_path / "m", format_version=1)
    with pytest.raises(
        ModelFileError, match=r"format version 1 .* is not read by .* \(reads versions \[2, 3\]\)"
    ):
        _load(tmp_path / "m", supported_versions={2, 3})


def test_non_integer_format_version(tmp_path):
    _save(tmp_path / "m")
    _edit_header(tmp_path / "m", format_version="1")
    with pytest.raises(ModelFileError, match=r"format_version is '1', not an integer"):
        _load(tmp_path / "m")


def test_missing_arrays_file(tmp_path):
    _save(tmp_path / "m")
    (tmp_path / "m" / ARRAYS_FILE).unlink()
    with pytest.raises(
        ModelFileError, match=r"arrays.safetensors: missing; the model directory is incomplete"
    ):
        _load(tmp_path / "m")


def test_truncated_arrays_file(tmp_path):
    _save(tmp_path / "m")
    arrays = tmp_path / "m" / ARRAYS_FILE
    size = arrays.stat().st_size
    arrays.write_bytes(arrays.read_bytes()[:-10])
    with pytest.raises(
        ModelFileError,
        match=rf"arrays.safetensors: truncated \({size - 10} bytes, config.json records {size}\)",
    ):
        _load(tmp_path / "m")


def test_extended_arrays_file(tmp_path):
    _save(tmp_path / "m")
    arrays = tmp_path / "m" / ARRAYS_FILE
    arrays.write_bytes(arrays.read_bytes() + b"\0")
    with pytest.raises(ModelFileError, match=r"arrays.safetensors: longer than written"):
        _load(tmp_path / "m")


def test_tampered_arrays_file_fails_the_checksum(tmp_path):
    _save(tmp_path / "m")
    arrays = tmp_path / "m" / ARRAYS_FILE
    data = bytearray(arrays.read_bytes())
    data[-1] ^= 0x01  # flip one bit of the last weight
    arrays.write_bytes(bytes(data))
    with pytest.raises(
        ModelFileError, match=r"arrays.safetensors: SHA-256 checksum mismatch; the file was modified"
    ):
        _load(tmp_path / "m")


def test_corrupt_safetensors_with_matching_checksum_is_wrapped(tmp_path):
    _save(tmp_path / "m")
    garbage = b"\xff" * 64
    arrays = tmp_path / "m" / ARRAYS_FILE
    arrays.write_bytes(garbage)
    import hashlib

    _edit_header(tmp_path / "m", arrays_file={"bytes": 64, "sha256": hashlib.sha256(garbage).hexdigest()})
    with pytest.raises(ModelFileError, match=r"arrays.safetensors: not a readable safetensors file \(.+\)"):
        _load(tmp_path / "m")


def test_manifest_shape_mismatch(tmp_path):
    _save(tmp_path / "m")
    _edit_header(tmp_path / "m", arrays={"w": {"shape": [4, 3], "dtype": "float32"}})
    with pytest.raises(
        ModelFileError,
        match=r"array 'w' has shape \(3, 4\) and dtype float32, but config.json records .*\[4, 3\]",
    ):
        _load(tmp_path / "m")


def test_manifest_dtype_mismatch(tmp_path):
    _save(tmp_path / "m")
    _edit_header(tmp_path / "m", arrays={"w": {"shape": [3, 4], "dtype": "float16"}})
    with pytest.raises(
        ModelFileError, match=r"array 'w' has shape \(3, 4\) and dtype float32, but config.json"
    ):
        _load(tmp_path / "m")


def test_manifest_names_mismatch(tmp_path):
    _save(tmp_path / "m")
    _edit_header(
        tmp_path / "m",
        arrays={"w": {"shape": [3, 4], "dtype": "float32"}, "b": {"shape": [4], "dtype": "float32"}},
    )
    with pytest.raises(ModelFileError, match=r"holds arrays \['w'\] but config.json lists \['b', 'w'\]"):
        _load(tmp_path / "m")


def test_damaged_arrays_entry(tmp_path):
    _save(tmp_path / "m")
    _edit_header(tmp_path / "m", arrays_file={"sha256": "0"})
    with pytest.raises(ModelFileError, match=r"config.json: the arrays entries are damaged"):
        _load(tmp_path / "m")


def test_model_file_error_is_a_value_error(tmp_path):
    with pytest.raises(ValueError):
        _load(tmp_path / "nowhere")


def test_a_saved_model_directory_gets_normal_permissions(tmp_path):
    """The directory is built privately (mkdtemp) but must end up readable like any other."""
    import os
    import stat

    umask = os.umask(0o022)
    try:
        path = _save(tmp_path / "m")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o755
    assert {stat.S_IMODE(f.stat().st_mode) for f in path.iterdir()} == {0o644}


@pytest.mark.parametrize(
    "arrays_file",
    [{"bytes": "64", "sha256": "0"}, {"bytes": 64, "sha256": 5}],
)
def test_arrays_file_entry_of_the_wrong_type_is_damage_not_a_type_error(tmp_path, arrays_file):
    _save(tmp_path / "m")
    _edit_header(tmp_path / "m", arrays_file=arrays_file)
    with pytest.raises(ModelFileError, match=r"config.json: the arrays entries are damaged"):
        _load(tmp_path / "m")


@pytest.mark.parametrize("entry", [{"shape": 12, "dtype": "float32"}, {"dtype": "float32"}, [3, 4]])
def test_manifest_entry_of_the_wrong_type_is_damage(tmp_path, entry):
    _save(tmp_path / "m")
    _edit_header(tmp_path / "m", arrays={"w": entry})
    with pytest.raises(ModelFileError, match=r"config.json: the arrays entries are damaged"):
        _load(tmp_path / "m")


def test_newer_directory_layout_asks_to_upgrade(tmp_path):
    _save(tmp_path / "m")
    _edit_header(tmp_path / "m", structnlp_model=2, structnlp_version="9.0")
    with pytest.raises(ModelFileError, match=r"structnlp 9.0 in directory layout 2; .* upgrade structnlp"):
        _load(tmp_path / "m")
    with pytest.raises(ModelFileError, match=r"directory layout 2"):
        read_model_class(tmp_path / "m")


@pytest.mark.parametrize("marker", ["1", 0, True, None])
def test_damaged_layout_marker(tmp_path, marker):
    _save(tmp_path / "m")
    config = tmp_path / "m" / CONFIG_FILE
    header = json.loads(config.read_text())
    header["structnlp_model"] = marker
    config.write_text(json.dumps(header))
    with pytest.raises(ModelFileError, match=r"structnlp_model is .*, not a layout version"):
        _load(tmp_path / "m")


def test_reserved_safetensors_name_is_refused_when_saving(tmp_path):
    # safetensors reads '__metadata__' as its own header entry: the model saved but never loaded
    with pytest.raises(StructNLPError, match=r"'__metadata__' is reserved by safetensors"):
        _save(tmp_path / "m", arrays={"__metadata__": np.ones(3)})
    assert not (tmp_path / "m").exists()


def test_arrays_not_a_mapping_is_named(tmp_path):
    with pytest.raises(StructNLPError, match=r"arrays must be a dict of name -> array, got list"):
        _save(tmp_path / "m", arrays=[np.ones(3)])
