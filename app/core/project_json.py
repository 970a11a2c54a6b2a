"""Reading a project's index (project.json) as hostile input: its size was checked by the caller;
here the nesting and the number of values are counted before parsing, so that parsing costs no
more than a real index does, and the constants and the format tag are checked."""

from __future__ import annotations

import io
import json
import math
import struct

import numpy as np

from latentbrush.core.projectfile import FORMAT, ProjectError

MAX_JSON_DEPTH = 12                # the format nests 7 deep
MAX_JSON_VALUES = 1_000_000        # a real index: ~10 values a patch, 200 steps × 33 patches ≈ 70 000
MAX_JSON_CONTAINERS = 200_000
NPY_HEADER = 64 << 10             # the most an array member's header may take


def check_json_shape(data: bytes) -> None:
    """Before parsing: count values and containers and measure the nesting depth outside strings
    (numpy, no Python objects per value), so that parsing costs no more than a real index does."""
    text = data.replace(b"\\\\", b"__").replace(b'\\"', b"__")     # escaped \ and " are not delimiters
    a = np.frombuffer(text, np.uint8)
    inside = np.bitwise_xor.accumulate((a == 34).view(np.uint8))      # 1 from an opening " to its closing "
    outside = a[inside == 0]                                            # the JSON without string contents
    opens = int(np.count_nonzero((outside == 91) | (outside == 123)))                  # [ {
    values = opens + int(np.count_nonzero((outside == 44) | (outside == 58))) + 1      # , :
    if opens > MAX_JSON_CONTAINERS or values > MAX_JSON_VALUES:
        raise ProjectError(f"project.json holds {values:,} values in {opens:,} lists and tables, more than a "
                           f"project needs")
    brackets = outside[(outside == 91) | (outside == 93) | (outside == 123) | (outside == 125)]
    step = np.where((brackets == 91) | (brackets == 123), 1, -1).astype(np.int32)
    if step.size and int(np.cumsum(step).max()) > MAX_JSON_DEPTH:
        raise ProjectError(f"project.json is nested more than {MAX_JSON_DEPTH} deep")


def parse_index(data: bytes) -> dict:
    """project.json → dict (its size checked by the caller; shape and constants checked here)."""
    def constant(s: str) -> float:
        if s == "Infinity":                 # the PSNR of a perfect fit
            return math.inf
        raise ProjectError(f"{s} is not a number a project holds")
    check_json_shape(data)
    try:
        meta = json.loads(data, parse_constant=constant)
    except RecursionError:                  # (the depth check above makes this unreachable)
        raise ProjectError("project.json is nested too deeply") from None
    except ProjectError:
        raise
    except (ValueError, UnicodeDecodeError) as e:
        raise ProjectError(f"damaged project.json ({e})") from e
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ProjectError("not a Latentbrush project")
    return meta


def npy(data: bytes, name: str) -> np.ndarray:
    """A plain numeric `.npy` (no pickles), its declared size checked against the bytes present
    before anything is allocated."""
    buf = io.BytesIO(data)
    fmt = np.lib.format
    try:
        major, _ = fmt.read_magic(buf)
        read_header = {1: fmt.read_array_header_1_0, 2: fmt.read_array_header_2_0}.get(major)
        if read_header is None:
            raise ProjectError(f"{name}: .npy version {major} is not supported")
        shape, fortran, dtype = read_header(buf, max_header_size=NPY_HEADER)
    except ProjectError:
        raise
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, struct.error) as e:
        raise ProjectError(f"{name}: not a plain array ({e})") from e
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in "fiub":
        raise ProjectError(f"{name}: unexpected array type {dtype}")
    if any(not isinstance(n, int) or n < 0 for n in shape):
        raise ProjectError(f"{name}: bad array shape {shape}")
    count = math.prod(shape)
    offset = buf.tell()
    if count * dtype.itemsize != len(data) - offset:
        raise ProjectError(f"{name}: declares {shape} {dtype} ({count * dtype.itemsize:,} bytes) but holds "
                           f"{len(data) - offset:,} bytes")
    a = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    return a.reshape(shape, order="F" if fortran else "C").copy()
