"""URL query parameters, validated: a link can open a page in a given state, never break it.

A page reads each parameter with ``qp_choice`` / ``qp_choices`` / ``qp_int`` / ``qp_float`` /
``qp_model`` *before* it creates the widget the parameter sets, passing the widget's ``key``; after
its widgets it calls ``sync(name=value, ...)`` so the address bar always holds the current state (a
shareable link). ``app.py`` wraps every full run in ``begin()`` / ``finish()``: a parameter the page
wrote on its last run but not on this one (a control that is hidden now) leaves the URL.

A URL value is applied to the widget only when it is new to this session (not yet applied, and
not what ``sync`` last wrote), so a user's later widget changes are never overwritten by the stale
URL of the same page. What counts as written is what the page wrote on its latest run, so a link
to another page is applied even where it repeats a value an earlier page wrote. An unknown or
out-of-range value falls back to the default with a toast naming the bad value; nothing in a URL
can raise.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import streamlit as st

from . import catalog, share

SEEN_KEY = "qp_seen"  # {parameter name: raw value last applied from or written to the URL}
RUN_KEY = "qp_run"  # names sync() wrote (or removed) during the current full run
LAST_KEY = "qp_last"  # names sync() wrote during the last full run that finished
MAX_SHOWN = 40  # characters of a bad value quoted back to the user


def _seen() -> dict[str, str]:
    return st.session_state.setdefault(SEEN_KEY, {})


def _fresh(name: str) -> str | None:
    """The URL's raw value of ``name`` if this session has not applied or written it yet."""
    raw = st.query_params.get(name)
    if raw is None or _seen().get(name) == raw:
        return None
    _seen()[name] = raw
    return raw


def _notice(name: str, raw: str, why: str, default: Any) -> None:
    shown = raw if len(raw) <= MAX_SHOWN else raw[:MAX_SHOWN] + "..."
    st.toast(f"Link parameter {name}={shown!r} ignored: {why}. Using the default, {default}.",
             icon=":material/warning:")


def _parsed(name: str, default: Any, parse: Callable[[str], Any]) -> tuple[Any, bool]:
    """(value, True) for a fresh URL value of ``name`` (``default`` with a notice if it is bad),
    else (default, False)."""
    raw = _fresh(name)
    if raw is None:
        return default, False
    try:
        return parse(raw.strip()), True
    except (ValueError, TypeError, OverflowError) as exc:
        _notice(name, raw, str(exc), default)
        return default, True


def _read(name: str, default: Any, parse: Callable[[str], Any], key: str | None) -> Any:
    """The URL's value of ``name``; a fresh one (or its fallback) is also set as ``key``'s state."""
    value, fresh = _parsed(name, default, parse)
    if key is None:
        return value
    if fresh:
        st.session_state[key] = value
    return st.session_state.get(key, default)


def _by_text(options: Sequence[Any] | Mapping[str, Any]) -> dict[str, Any]:
    """{URL text: option}: a mapping as given, else each option under the text ``sync`` writes."""
    return dict(options) if isinstance(options, Mapping) else {_text(o): o for o in options}


def _one_of(by_text: dict[str, Any], raw: str) -> Any:
    if raw not in by_text:
        raise ValueError(f"not one of {', '.join(list(by_text)[:8])}"
                         + (", ..." if len(by_text) > 8 else ""))
    return by_text[raw]


def qp_choice(name: str, options: Sequence[Any] | Mapping[str, Any], default: Any, *,
              key: str | None = None) -> Any:
    """One of ``options`` from the URL, else ``default``. ``options`` is a sequence (matched by the
    text ``sync`` writes for each) or a mapping {URL text: option}, for options whose own text
    would make a poor link (``{"class": "By class"}``)."""
    by_text = _by_text(options)
    return _read(name, default, lambda raw: _one_of(by_text, raw), key)


def text_of(options: Mapping[str, Any], option: Any) -> str:
    """The URL text under which ``options`` ({URL text: option}, as given to ``qp_choice``)
    holds ``option``: what ``sync`` should write for it."""
    return next(t for t, o in options.items() if o == option)


def qp_choices(name: str, options: Sequence[Any], default: Sequence[Any], *,
               key: str | None = None) -> list[Any]:
    """Several of ``options`` (a multiselect's), comma-separated in the URL (``ks=2,8,32``; empty:
    none), else ``default``."""
    by_text = _by_text(options)

    def parse(raw: str) -> list[Any]:
        picked = [_one_of(by_text, t.strip()) for t in raw.split(",") if t.strip()]
        return list(dict.fromkeys(picked))  # once each, in the link's order

    return _read(name, list(default), parse, key)


def qp_int(name: str, lo: int, hi: int, default: int, *, key: str | None = None) -> int:
    """A whole number in [lo, hi] from the URL, else ``default``."""

    def parse(raw: str) -> int:
        try:
            v = int(raw)
        except ValueError:
            raise ValueError("not a whole number") from None
        if not lo <= v <= hi:
            raise ValueError(f"outside {lo}..{hi}")
        return v

    return _read(name, default, parse, key)


def qp_float(name: str, lo: float, hi: float, default: float, *, key: str | None = None) -> float:
    """A finite number in [lo, hi] from the URL, else ``default``."""

    def parse(raw: str) -> float:
        try:
            v = float(raw)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(v) or not lo <= v <= hi:
            raise ValueError(f"outside {lo:g}..{hi:g}")
        return v

    return _read(name, default, parse, key)


def qp_model(name: str, key: str, where: Callable[[dict], bool] | None, default: str) -> None:
    """Set a ``widgets.model_picker`` key from the URL: the URL holds a shipped model's zoo name
    (``model=ae_k2``), the state its catalogue key (``zoo:ae_k2``). Call before the picker."""
    names = [e.key.removeprefix("zoo:") for e in catalog.entries(where) if e.key.startswith("zoo:")]
    fallback = default.removeprefix("zoo:")

    def parse(raw: str) -> str:
        if raw not in names:
            raise ValueError("no such model here")
        return raw

    value, fresh = _parsed(name, fallback, parse)
    if fresh:
        st.session_state[key] = f"zoo:{value}"


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    return str(value)


def sync(**values: Any) -> None:
    """Write the page's current state to the URL (``None`` removes a parameter); a model's
    catalogue key is written as its zoo name, a session's own model is left out (a link cannot
    carry it)."""
    for name, value in values.items():
        st.session_state.setdefault(RUN_KEY, set()).add(name)
        if isinstance(value, str) and ":" in value and value.partition(":")[0] in ("zoo", "user"):
            value = value.removeprefix("zoo:") if value.startswith("zoo:") else None
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
            _seen().pop(name, None)
            continue
        text = _text(value)
        _seen()[name] = text
        if st.query_params.get(name) != text:
            st.query_params[name] = text
    share.refresh_link()  # a fragment's rerun: the sidebar's link follows the URL


def begin() -> None:
    """Start a full run of the app (``app.py``, before the page): nothing written yet."""
    st.session_state[RUN_KEY] = set()


def finish() -> None:
    """End a full run that completed: a parameter the page wrote on its last run but not on this
    one (its control is hidden now, e.g. a setting of another model type) leaves the URL, and
    only the names written on this run count as seen, so a link from another page that repeats a
    value written here earlier is still applied."""
    written = st.session_state.get(RUN_KEY, set())
    for name in st.session_state.get(LAST_KEY, set()) - written:
        if name in st.query_params:
            del st.query_params[name]
    seen = _seen()
    for name in list(seen):
        if name not in written:
            del seen[name]
    st.session_state[LAST_KEY] = set(written)
