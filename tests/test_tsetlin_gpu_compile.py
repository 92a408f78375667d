"""The GPU backend's CUDA source compiles for Hopper without spilling registers, checked on any CPU.

CI has no GPU, so a kernel that does not compile, or one that spills its bit planes to memory
(which made one version of the training kernel three times slower on an H200), would otherwise
go unnoticed until a GPU session. NVIDIA's runtime compiler (NVRTC) and assembler (ptxas) come
as PyPI wheels (``nvidia-cuda-nvrtc-cu12``, ``nvidia-cuda-nvcc-cu12``, in the ``dev`` extra on
x86-64 Linux); without them these tests are skipped.
"""

from __future__ import annotations

import ctypes
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

from tsetlin import gpu

KERNELS = ("tm_train_epoch", "tm_evaluate")


def _nvidia_file(package: str, relative: str) -> Path | None:
    spec = importlib.util.find_spec(f"nvidia.{package}")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        matches = sorted(Path(folder).glob(relative))
        if matches:
            return matches[0]
    return None


NVRTC = _nvidia_file("cuda_nvrtc", "lib/libnvrtc.so*")
PTXAS = _nvidia_file("cuda_nvcc", "bin/ptxas")


def compile_ptx(state_bits: int, train_block: int) -> str:
    """PTX of the backend's CUDA source for compute capability 9.0, as ``tsetlin.gpu`` compiles it."""
    lib = ctypes.CDLL(str(NVRTC))
    program = ctypes.c_void_p()
    assert lib.nvrtcCreateProgram(ctypes.byref(program), gpu._SOURCE.encode(), b"tm.cu", 0, None, None) == 0
    options = [b"--std=c++14", f"-DSTATE_BITS={state_bits}".encode(), f"-DTRAIN_BLOCK={train_block}".encode()]
    options.append(b"--gpu-architecture=compute_90")
    status = lib.nvrtcCompileProgram(program, len(options), (ctypes.c_char_p * len(options))(*options))
    size = ctypes.c_size_t()
    lib.nvrtcGetProgramLogSize(program, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetProgramLog(program, log)
    assert status == 0, log.value.decode()
    lib.nvrtcGetPTXSize(program, ctypes.byref(size))
    ptx = ctypes.create_string_buffer(size.value)
    lib.nvrtcGetPTX(program, ptx)
    lib.nvrtcDestroyProgram(ctypes.byref(program))
    return ptx.value.decode()


def kernel_resources(ptx: str, tmp_path: Path) -> dict[str, dict[str, int]]:
    """Registers and spilled bytes of each kernel, as ``ptxas -v`` reports them for sm_90."""
    source = tmp_path / "tm.ptx"
    source.write_text(ptx)
    proc = subprocess.run(
        [str(PTXAS), "-arch=sm_90", "-v", str(source), "-o", str(tmp_path / "tm.cubin")],
        capture_output=True,
        text=True,
        check=True,
    )
    report = proc.stdout + proc.stderr
    resources = {}
    entries = re.findall(r"Compiling entry function '(\w+)'(.*?)(?=Compiling entry|\Z)", report, re.S)
    for name, block in entries:
        resources[name] = {
            "registers": int(re.search(r"Used (\d+) registers", block).group(1)),
            "spill_stores": int(re.search(r"(\d+) bytes spill stores", block).group(1)),
            "spill_loads": int(re.search(r"(\d+) bytes spill loads", block).group(1)),
            "static_shared": int(m.group(1)) if (m := re.search(r"(\d+) bytes smem", block)) else 0,
        }
    return resources


needs_nvrtc = pytest.mark.skipif(NVRTC is None, reason="needs the nvidia-cuda-nvrtc-cu12 wheel")


@needs_nvrtc
@pytest.mark.parametrize("state_bits", [2, 8, 16])
def test_source_compiles_for_every_state_width(state_bits):
    ptx = compile_ptx(state_bits, gpu._TRAIN_BLOCK)
    for kernel in KERNELS:
        assert f".entry {kernel}" in ptx


@needs_nvrtc
@pytest.mark.skipif(PTXAS is None, reason="needs the nvidia-cuda-nvcc-cu12 wheel (ptxas)")
def test_default_kernels_keep_their_planes_in_registers(tmp_path):
    resources = kernel_resources(compile_ptx(8, gpu._TRAIN_BLOCK), tmp_path)
    assert set(KERNELS) <= set(resources)
    for kernel in KERNELS:
        assert resources[kernel]["spill_stores"] == 0, (kernel, resources[kernel])
        assert resources[kernel]["spill_loads"] == 0, (kernel, resources[kernel])
    # the shared-memory limit check counts the training kernel's static shared memory
    assert resources["tm_train_epoch"]["static_shared"] == gpu._TRAIN_STATIC_SHARED
    # one block per multiprocessor must fit: 65,536 registers per multiprocessor on sm_90
    assert resources["tm_train_epoch"]["registers"] * gpu._TRAIN_BLOCK <= 65536
