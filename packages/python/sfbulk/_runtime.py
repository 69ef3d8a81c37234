"""The bridge to the component: one wasmtime store and instance per `Bulk`, and plain Python
values in and out, converted by the types wasmtime reports for each function.

In: dicts with snake_case keys for records (unknown keys refused), a `str` for enum-like
variants, the primitive itself for `field-value`-like ones, `{"tag", "val"}` otherwise; `bytes`
(or `str`, sent as UTF-8) for `list<u8>`. Out: the same shapes.
"""

from __future__ import annotations

import json
import threading
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Self

from wasmtime import Config, Engine, Store, WasiConfig
from wasmtime.component import (
    Component,
    EnumType,
    Linker,
    ListType,
    OptionType,
    OwnType,
    Record,
    RecordType,
    ResourceAny,
    ResultType,
    Variant,
    VariantType,
)

from . import _fastbytes

PACKAGE = "sfbulk:connector"
FAST_BYTES = _fastbytes.install()
"""Whether `list<u8>` goes through the fast path (see `_fastbytes`)."""


class SfbulkError(Exception):
    """What every operation raises: `case` is the WIT `error`'s kind, `detail` the record
    (`kind`, `message`, `http_status`, `code`)."""

    case: ClassVar[str] = ""
    detail: Any

    def __init__(self, detail: Any, operation: str | None = None) -> None:
        self.detail = detail
        self.operation = operation
        prefix = f"{operation}: " if operation else ""
        super().__init__(f"{prefix}{_describe(self.case or 'error', detail)}")


class SfbulkTrapError(SfbulkError):
    """The component trapped (a bug): the instance is dropped and the next call makes a new one."""

    case = "trap"
    detail: str


def _describe(case: str, detail: Any) -> str:
    """The component's own message (it starts with the stage), else the case and the detail."""
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return str(detail["message"])
    if detail is None:
        return f"{case}: no detail"
    if not isinstance(detail, dict):
        return f"{case}: {detail}"
    return f"{case}: {json.dumps(detail)}"


def _snake(name: str) -> str:
    s = name.replace("-", "_")
    return s + "_" if s in ("from", "import", "class", "def", "in", "is", "not", "and", "or") else s


def _kind(ty: Any) -> str | None:
    """The Python kind of a primitive WIT type: 'str', 'bool', 'int', 'float', else None."""
    name = type(ty).__name__
    if name in ("String", "Char"):
        return "str"
    if name == "Bool":
        return "bool"
    if name in ("F32", "F64"):
        return "float"
    if name in ("U8", "U16", "U32", "U64", "S8", "S16", "S32", "S64"):
        return "int"
    return None


def _shape(ty: VariantType) -> str:
    """'enum', 'primitive' or 'tagged', as in the generated types (gen_wit.py)."""
    cases = list(ty.cases)
    if all(t is None or (n == "other" and _kind(t) == "str") for n, t in cases):
        return "enum"
    kinds = [_kind(t) for _, t in cases if t is not None]
    empty = [n for n, t in cases if t is None]
    groups = {("num" if k in ("int", "float") else k) for k in kinds}
    if len(empty) <= 1 and "other" not in dict(cases) and None not in kinds and len(groups) == len(kinds):
        return "primitive"
    return "tagged"


def _what(v: Any, show: bool = False) -> str:
    """What a value is, for an error; its text only for names and tags (never data)."""
    if v is None:
        return "None"
    if isinstance(v, str):
        return repr(v[:40]) if show else "a str"
    return type(v).__name__


class Bridge:
    """One component instance (and so one set of sessions) in one wasmtime store."""

    _engine: ClassVar[Engine | None] = None
    _component: ClassVar[Component | None] = None
    _lock = threading.Lock()

    def __init__(self, wasm: Path | None = None) -> None:
        with Bridge._lock:
            if Bridge._component is None or Bridge._engine is None:
                config = Config()
                config.cache = True
                Bridge._engine = Engine(config)
                path = wasm or Path(str(resources.files("sfbulk").joinpath("sfbulk.wasm")))
                Bridge._component = Component.from_file(Bridge._engine, str(path))
        self._new_instance()

    def _new_instance(self) -> None:
        assert Bridge._engine is not None and Bridge._component is not None
        linker = Linker(Bridge._engine)
        linker.add_wasip2()
        linker.add_wasi_http()
        self.store = Store(Bridge._engine)
        self.store.set_wasi(WasiConfig())
        self.store.set_wasi_http()
        self.instance = linker.instantiate(self.store, Bridge._component)
        self._funcs: dict[tuple[str, str], Any] = {}

    def _func(self, iface: str, name: str) -> Any:
        key = (iface, name)
        f = self._funcs.get(key)
        if f is None:
            export = self.instance.get_export_index(self.store, f"{PACKAGE}/{iface}@0.1.0")
            if export is None:
                raise TypeError(f"no interface {iface} in the component")
            index = self.instance.get_export_index(self.store, name, export)
            if index is None:
                raise TypeError(f"no operation {name} in {iface}")
            f = self.instance.get_func(self.store, index)
            self._funcs[key] = f
        return f

    def call(self, iface: str, name: str, args: tuple[Any, ...], self_arg: Any = None) -> Any:
        """Calls `name` of `iface` (a `[method]…` with `self_arg` first): lowers, calls, lifts."""
        func = self._func(iface, name)
        ty = func.type(self.store)
        params = list(ty.params)
        lowered: list[Any] = []
        if self_arg is not None:
            lowered.append(self_arg)
            params = params[1:]
        for (pname, pty), a in zip(params, list(args) + [None] * (len(params) - len(args))):
            lowered.append(self.lower(pty, a, _snake(pname)))
        try:
            ret = func(self.store, *lowered)
            func.post_return(self.store)
        except Exception as e:  # a trap: the instance cannot be used again
            self._new_instance()
            raise SfbulkTrapError(str(e), name) from None
        rt = ty.result
        if not isinstance(rt, ResultType):
            return None if rt is None else self.lift(rt, ret)
        if rt._tagged():
            ok, payload = ret.tag == "ok", ret.payload
        else:
            # Untagged: the ok and error payloads are told apart by their Python classes
            # (the error record is a Record; no untagged ok payload is one).
            err_classes: set[type] = set()
            if rt.err is not None:
                rt.err.add_classes(err_classes)
            ok, payload = not isinstance(ret, tuple(err_classes)), ret
        if not ok:
            err = self.lift(rt.err, payload)
            from .errors import CLASSES

            cls = CLASSES.get(err["kind"])
            exc = SfbulkError(err, name) if cls is None else cls(err, name)
            raise exc
        if isinstance(rt.ok, OwnType):
            return (self, iface, payload)
        return None if rt.ok is None else self.lift(rt.ok, payload)

    def drop(self, resource: ResourceAny) -> None:
        resource.drop(self.store)

    def lower(self, ty: Any, v: Any, path: str) -> Any:
        if isinstance(ty, OptionType):
            return None if v is None else self.lower(ty.payload, v, path)
        if isinstance(ty, RecordType):
            if not isinstance(v, dict):
                raise TypeError(f"{path}: expected a dict, came {_what(v)}")
            names = {_snake(n): (n, t) for n, t in ty.fields}
            unknown = [k for k in v if k not in names and v[k] is not None]
            if unknown:
                raise TypeError(f"{path}: unknown key {unknown[0]} (expected one of {', '.join(names)})")
            record = Record()
            for key, (name, fty) in names.items():
                fv = v.get(key)
                if fv is None and not isinstance(fty, OptionType):
                    raise TypeError(f"{path}.{key}: expected a value, came nothing")
                setattr(record, name, self.lower(fty, fv, f"{path}.{key}"))
            return record
        if isinstance(ty, VariantType):
            return self._lower_variant(ty, v, path)
        if isinstance(ty, EnumType):
            if not isinstance(v, str) or v not in ty.names:
                raise TypeError(f"{path}: expected one of {', '.join(ty.names)}, came {_what(v, True)}")
            return v
        if isinstance(ty, ListType):
            if _kind(ty.element) == "int" and type(ty.element).__name__ == "U8":
                if isinstance(v, str):
                    return v.encode()
                if isinstance(v, (bytes, bytearray, memoryview)):
                    return bytes(v)
                raise TypeError(f"{path}: expected bytes, came {_what(v)}")
            if not isinstance(v, (list, tuple)):
                raise TypeError(f"{path}: expected a list, came {_what(v)}")
            return [self.lower(ty.element, e, f"{path}[{i}]") for i, e in enumerate(v)]
        if isinstance(ty, OwnType):
            return v
        kind = _kind(ty)
        ok = {
            "str": isinstance(v, str),
            "bool": isinstance(v, bool),
            "int": isinstance(v, int) and not isinstance(v, bool),
            "float": isinstance(v, (int, float)) and not isinstance(v, bool),
        }.get(kind or "", True)
        if not ok:
            raise TypeError(f"{path}: expected {kind}, came {_what(v)}")
        return float(v) if kind == "float" else v

    def _lower_variant(self, ty: VariantType, v: Any, path: str) -> Any:
        cases = dict(ty.cases)
        shape = _shape(ty)
        tag: str | None = None
        payload: Any = None
        if isinstance(v, dict) and "tag" in v:
            tag = v["tag"]
            if tag not in cases:
                raise TypeError(f"{path}: expected a tag of {', '.join(cases)}, came {_what(tag, True)}")
            payload = v.get("val")
        elif shape == "enum" and isinstance(v, str):
            if v in cases and cases[v] is None:
                tag = v
            elif "other" in cases:
                tag, payload = "other", v
        elif shape == "primitive":
            for name, cty in cases.items():
                k = _kind(cty) if cty is not None else None
                if (cty is None and v is None) or (
                    k == "str" and isinstance(v, str)
                    or k == "bool" and isinstance(v, bool)
                    or k in ("int", "float") and isinstance(v, (int, float)) and not isinstance(v, bool)
                ):
                    tag, payload = name, v
                    break
        if tag is None:
            expected = (
                ", ".join(n for n, t in cases.items() if t is None)
                if shape == "enum"
                else ", ".join("None" if t is None else str(_kind(t)) for t in cases.values())
                if shape == "primitive"
                else f"{{'tag', 'val'}} with a tag of {', '.join(cases)}"
            )
            raise TypeError(f"{path}: expected {expected}, came {_what(v, isinstance(v, str))}")
        cty = cases[tag]
        lowered = None if cty is None else self.lower(cty, payload, f"{path}.val")
        return Variant(tag, lowered) if ty._tagged() else lowered

    def lift(self, ty: Any, v: Any) -> Any:
        if isinstance(ty, OptionType):
            return None if v is None else self.lift(ty.payload, v)
        if isinstance(ty, RecordType):
            return {_snake(n): self.lift(t, getattr(v, n)) for n, t in ty.fields}
        if isinstance(ty, VariantType):
            cases = dict(ty.cases)
            if isinstance(v, Variant):
                tag, payload = v.tag, v.payload
            else:
                tag, payload = self._untagged_case(ty, v), v
            cty = cases.get(tag)
            val = None if cty is None else self.lift(cty, payload)
            shape = _shape(ty)
            if shape == "enum":
                return val if tag == "other" else tag
            if shape == "primitive":
                return val
            return {"tag": tag, "val": val} if cty is not None else {"tag": tag}
        if isinstance(ty, ListType):
            if isinstance(v, (bytes, bytearray)):
                return bytes(v)
            return [self.lift(ty.element, e) for e in v]
        return v

    @staticmethod
    def _untagged_case(ty: VariantType, v: Any) -> str:
        for name, cty in ty.cases:
            if cty is None and v is None:
                return str(name)
            k = _kind(cty) if cty is not None else None
            if (
                k == "str" and isinstance(v, str)
                or k == "bool" and isinstance(v, bool)
                or k in ("int", "float") and isinstance(v, (int, float)) and not isinstance(v, bool)
                or isinstance(cty, RecordType) and isinstance(v, Record)
                or isinstance(cty, ListType) and isinstance(v, (list, bytes))
            ):
                return str(name)
        raise TypeError(f"a value of no case of the variant: {_what(v)}")


class Resource:
    """A resource of the component (a `csv-load`, a `query-stream`, …): its methods are calls
    of `[method]<kind>.<name>`; `close()` drops it."""

    _KIND: ClassVar[str] = ""

    def __init__(self, handle: tuple[Bridge, str, ResourceAny]) -> None:
        self._bridge, self._iface, self._raw = handle
        self._closed = False

    def _method(self, name: str, *args: Any) -> Any:
        if self._closed:
            raise ValueError(f"{self._KIND}.{name}: the resource is closed")
        return self._bridge.call(self._iface, f"[method]{self._KIND}.{name}", args, self._raw)

    def close(self) -> None:
        """Drops the resource."""
        if not self._closed:
            self._closed = True
            self._bridge.drop(self._raw)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
