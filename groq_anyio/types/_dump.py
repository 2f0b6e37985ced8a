"""``model_dump`` / ``model_dump_json`` with the pydantic keyword arguments, for Structs.

The official SDK's response types are pydantic models, and code written against them calls
``model_dump(exclude_none=True)``, ``model_dump_json(indent=2, by_alias=True)`` and so on. This
module gives the Structs the same calls:

- by default every field is present, ``None`` included (as pydantic does);
- ``exclude_none`` drops fields whose value is ``None``, at every depth;
- ``exclude_defaults`` drops fields equal to their default, at every depth. ``exclude_unset``
  does the same: a Struct does not record which fields the server actually sent, so a field the
  server sent with its default value (usually an explicit ``null``) counts as unset here, where
  pydantic would keep it;
- ``include`` / ``exclude``: a set of field names, or pydantic's nested form (a mapping from a
  field name, or a list index, to ``True`` or to the same form for the value);
- ``by_alias``: the wire names (``msgspec.field(name=...)``), which are the field names here;
- ``mode="json"`` makes every value a JSON value (it already is for the API's types);
- ``round_trip``, ``warnings``, ``context``, ``serialize_as_any``, ``fallback`` are accepted and
  have no effect.

Nothing here runs on a request path.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

import msgspec

__all__ = ["dump", "dump_json"]

_NOTHING: Final = msgspec.NODEFAULT
_encode = msgspec.json.Encoder().encode
_Filter = Any  # set[str] | Mapping[str | int, bool | _Filter] | None


def _sub(flt: _Filter, key: str | int) -> _Filter:
    """The part of an include/exclude filter that applies inside ``key`` (``True``: all)."""
    if flt is None:
        return None
    if isinstance(flt, Mapping):
        value = flt.get(key, flt.get("__all__") if isinstance(key, int) else None)
        return value
    return True if key in flt else None


def _default(field: msgspec.structs.FieldInfo) -> Any:
    if field.default is not _NOTHING:
        return field.default
    if field.default_factory is not _NOTHING:
        return field.default_factory()
    return _NOTHING


def _value(
    value: Any,
    include: _Filter,
    exclude: _Filter,
    none: bool,
    defaults: bool,
    alias: bool,
) -> Any:
    if isinstance(value, msgspec.Struct):
        return _struct(value, include, exclude, none, defaults, alias)
    if isinstance(value, list | tuple):
        out = []
        for i, item in enumerate(value):
            inc = None if include is None or include is True else _sub(include, i)
            exc = None if exclude is None else _sub(exclude, i)
            if exc is True or (include is not None and include is not True and inc is None):
                continue
            out.append(_value(item, inc, exc if exc is not True else None, none, defaults, alias))
        return out
    if isinstance(value, dict):
        result: dict[Any, Any] = {}
        for key, item in value.items():
            inc = None if include is None or include is True else _sub(include, key)
            exc = None if exclude is None else _sub(exclude, key)
            if exc is True or (include is not None and include is not True and inc is None):
                continue
            if none and item is None:
                continue
            result[key] = _value(item, inc, exc, none, defaults, alias)
        return result
    return value


def _struct(
    obj: msgspec.Struct,
    include: _Filter,
    exclude: _Filter,
    none: bool,
    defaults: bool,
    alias: bool,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in msgspec.structs.fields(obj):
        name = field.name
        inc = None if include is None or include is True else _sub(include, name)
        exc = None if exclude is None else _sub(exclude, name)
        if exc is True or (include is not None and include is not True and inc is None):
            continue
        value = getattr(obj, name)
        if none and value is None:
            continue
        if defaults:
            default = _default(field)
            if default is not _NOTHING and value == default:
                continue
        key = field.encode_name if alias else name
        out[key] = _value(value, inc, exc, none, defaults, alias)
    return out


def _check_filter(name: str, flt: object) -> _Filter:
    if flt is None or isinstance(flt, set | frozenset | Mapping):
        return flt
    raise TypeError(f"{name} must be a set or a mapping of field names, not {type(flt).__name__}")


def dump(
    obj: msgspec.Struct,
    *,
    mode: Literal["python", "json"] | str = "python",
    include: Any = None,
    exclude: Any = None,
    by_alias: bool | None = False,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
) -> dict[str, Any]:
    """``obj`` as a dict of builtins, filtered the way pydantic's ``model_dump`` does."""
    if mode not in ("python", "json"):
        raise ValueError(f"mode must be 'python' or 'json', not {mode!r}")
    out = _struct(
        obj,
        _check_filter("include", include),
        _check_filter("exclude", exclude),
        bool(exclude_none),
        bool(exclude_unset or exclude_defaults),
        bool(by_alias),
    )
    if mode == "json":
        converted: dict[str, Any] = msgspec.to_builtins(out)
        return converted
    return out


def dump_json(
    obj: msgspec.Struct,
    *,
    indent: int | None = None,
    include: Any = None,
    exclude: Any = None,
    by_alias: bool | None = False,
    exclude_unset: bool = False,
    exclude_defaults: bool = False,
    exclude_none: bool = False,
) -> str:
    """``obj`` as JSON text, filtered like :func:`dump` (``indent``: pretty-printed)."""
    raw = _encode(
        dump(
            obj,
            include=include,
            exclude=exclude,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
        )
    )
    if indent:
        raw = msgspec.json.format(raw, indent=indent)
    return raw.decode()
