"""A fast path for `list<u8>` in wasmtime-py 50.0.1.

wasmtime-py converts a `list<u8>` byte by byte: one ctypes `wasmtime_component_val_t` (32 bytes)
per byte, each filled and read by Python code, about 10 µs per KiB. A 1 MiB chunk of a load or a
query cost ~0.1 s of CPU that way (a 100,000-row load 12 s instead of under 1). This module
replaces the two conversions of `ListType` for byte lists only: the same C values, laid out with
strided `bytearray` slices (C speed), copied with one `memmove`. It applies only to the pinned
version, after checking the C layout it was written for (the value's size and field offsets);
else it leaves wasmtime-py as it is. Reading falls back to the slow path for any list whose
values are not all `u8`. The package's test asserts the fast path is on and runs every load and
query of its example through it, checked against the mock.
"""

from __future__ import annotations

import ctypes
from importlib.metadata import version
from typing import Any

PINNED = "50.0.1"


def install() -> bool:
    """Patches `ListType` for `list<u8>`; returns whether it did."""
    try:
        if version("wasmtime") != PINNED:
            return False
        from wasmtime import _ffi as ffi
        from wasmtime.component import _types

        val_t = ffi.wasmtime_component_val_t
        stride = ctypes.sizeof(val_t)
        kind_at = val_t.kind.offset
        u8_at = val_t.of.offset
        u8_kind = ffi.WASMTIME_COMPONENT_U8.value
        list_kind = ffi.WASMTIME_COMPONENT_LIST
        if (stride, kind_at, u8_at) != (32, 0, 8):
            return False
    except Exception:
        return False

    list_type: Any = _types.ListType
    slow_to_c = list_type.convert_to_c
    slow_from_c = list_type.convert_from_c

    def to_c(self: Any, store: Any, val: Any, ptr: Any) -> None:
        if not (self._is_bytes() and isinstance(val, bytes)):
            slow_to_c(self, store, val, ptr)
            return
        n = len(val)
        raw = ffi.wasmtime_component_vallist_t()
        ffi.wasmtime_component_vallist_new_uninit(raw, n)
        if n:
            buf = bytearray(n * stride)
            buf[kind_at::stride] = bytes([u8_kind]) * n
            buf[u8_at::stride] = val
            ctypes.memmove(raw.data, (ctypes.c_char * len(buf)).from_buffer(buf), len(buf))
        ptr.contents.kind = list_kind
        ptr.contents.of.list = raw

    def from_c(self: Any, c: Any) -> Any:
        if not self._is_bytes():
            return slow_from_c(self, c)
        n = c.of.record.size
        if n == 0:
            return slow_from_c(self, c)
        data = c.of.tuple.data
        raw = ctypes.string_at(data, n * stride)
        if raw[kind_at::stride] != bytes([u8_kind]) * n:
            return slow_from_c(self, c)
        out = raw[u8_at::stride]
        # The values hold nothing to free (u8), as the slow path's per-element reset shows.
        ffi.wasmtime_component_valtuple_delete(ctypes.byref(c.of.tuple))
        return out

    list_type.convert_to_c = to_c
    list_type.convert_from_c = from_c
    return True
