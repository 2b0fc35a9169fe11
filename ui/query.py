"""URL-linked widgets: a link can open a page in a given state, never break it.

One call per widget reads the URL, draws the widget, writes its value back to the URL and keeps
it across page switches::

    n = query.slider("grid", "Grid size n", 5, 25, 15, key="lat_grid_n", where=c1)
    mode = query.radio("mode", "What is normal?", {"all": "All digits", "one": "One digit"},
                       "All digits", key="ano_mode", horizontal=True)
    key = query.model_picker("model", "Model", "rec_model", catalog.is_image, "zoo:ae_k32")

``slider`` / ``number`` (bounds), ``select`` / ``radio`` / ``select_slider`` / ``pills`` /
``tabs`` / ``multiselect`` (options: a sequence, or a mapping {URL text: option} for options
whose own text would make a poor link), ``toggle`` / ``checkbox``, ``text`` and ``model_picker``
share one path, :func:`_linked`. Their first argument is the URL parameter (``None``: kept in the session, not
linked); ``where`` is a column or container; ``show=False`` keeps and links a value whose widget
is hidden (presenter mode); other keywords go to the Streamlit widget. ``put`` sets a value from
a callback. ``app.py`` wraps every full run in ``begin()`` / ``finish()``: a parameter the page
wrote on its last run but not on this one (a control that is hidden now) leaves the URL.

A URL value is applied to the widget only when it is new to this session (not yet applied, and
not what the page last wrote), so a user's later widget changes are never overwritten by the
stale URL of the same page. What counts as written is what the page wrote on its latest run, so
a link to another page is applied even where it repeats a value an earlier page wrote. An unknown
or out-of-range value falls back to the default with a toast naming the bad value; nothing in a
URL can raise. Streamlit forgets the state of a widget that a run did not draw, so each value is
also kept in a plain dict (``KEPT_KEY``) and restored when its page is visited again.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import streamlit as st

from . import catalog, loaders, share

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
    # the value and the reason come from the link: text, never Markdown (a crafted link
    # could otherwise put a live link or an image into this app's own toast)
    plain = catalog.plain
    st.toast(f"Link parameter {name}={plain(repr(shown))} ignored: {plain(why)}. Using the "
             f"default, {plain(default)}.", icon=":material/warning:")


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


def _by_text(options: Sequence[Any] | Mapping[str, Any]) -> dict[str, Any]:
    """{URL text: option}: a mapping as given, else each option under the text ``sync`` writes."""
    return dict(options) if isinstance(options, Mapping) else {_text(o): o for o in options}


def _one_of(by_text: dict[str, Any], raw: str) -> Any:
    if raw not in by_text:
        raise ValueError(f"not one of {', '.join(list(by_text)[:8])}"
                         + (", ..." if len(by_text) > 8 else ""))
    return by_text[raw]


def _model_from_url(name: str, key: str, where: Callable[[dict], bool] | None,
                    default: str) -> None:
    """Set a ``widgets.model_picker`` key from the URL: the URL holds a shipped model's zoo name
    (``model=ae_k2``), the state its catalogue key (``zoo:ae_k2``). Call before the picker."""
    # only shipped models can be named in a link: the zoo's cards, not the model library
    names = [n for n, card in loaders.cards().items() if where is None or where(card)]
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
        src = value.partition(":")[0] if isinstance(value, str) and ":" in value else None
        if src in ("zoo", "user", "shared"):  # a shared model travels as ?shared=, not model=
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


# linked widgets: one call each reads the URL, draws the widget, writes it back and keeps it

KEPT_KEY = "qp_kept"  # {widget key: last value}: Streamlit drops the state of a widget not drawn


def _kept() -> dict[str, Any]:
    return st.session_state.setdefault(KEPT_KEY, {})


def put(key: str, value: Any) -> None:
    """Set a linked widget's value from code (a button callback, a preset): it is shown on the
    next run, kept across page switches like a value the user chose."""
    st.session_state[key] = value
    _kept()[key] = value


def _remember(key: str, on_change: Callable[..., None] | None, args: tuple, kwargs: dict) -> None:
    # saved as the change arrives, even if the rerun it causes is cut short by a page switch
    _kept()[key] = st.session_state[key]
    if on_change is not None:
        on_change(*args, **kwargs)


def _linked(draw: str, name: str | None, label: str, key: str, default: Any,
            parse: Callable[[str], Any], fix: Callable[[Any], Any], where: Any, show: bool,
            url: Callable[[Any], Any], kw: dict[str, Any]) -> Any:
    """The one path of every linked widget: a fresh, valid URL value of ``name`` (a bad one:
    ``default`` and a toast), else the value the session kept, else ``default``; ``fix`` brings
    it inside the widget's current options or bounds; the widget ``where.<draw>`` is drawn with
    it (``show=False``: not drawn, the value stays); the value is kept and, with a ``name``,
    written to the URL as ``url(value)`` (``None`` leaves the parameter out)."""
    if name is not None:
        value, fresh = _parsed(name, default, parse)
        if fresh:
            st.session_state[key] = value
    if key not in st.session_state:
        st.session_state[key] = _kept().get(key, default)
    value = fix(st.session_state[key])
    if value != st.session_state[key] or type(value) is not type(st.session_state[key]):
        st.session_state[key] = value
    if show:
        args = (key, kw.pop("on_change", None), tuple(kw.pop("args", ()) or ()),
                dict(kw.pop("kwargs", {}) or {}))
        value = getattr(where if where is not None else st, draw)(
            label, key=key, on_change=_remember, args=args, **kw)
    _kept()[key] = value
    if name is not None:
        sync(**{name: url(value)})
    return value


def _is_int(*values: Any) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values if v is not None)


def _bounded(lo: float, hi: float, default: float, step: float | None, stops: bool,
             snap: bool) -> tuple[Callable[[str], Any], Callable[[Any], Any]]:
    """(parse, fix) of a number in [lo, hi]: whole numbers where the bounds and the default are.
    With ``stops`` (a slider) a whole number must lie on the steps from ``lo``; with ``snap`` a
    decimal is rounded to the step's decimals."""
    whole = _is_int(lo, hi, default, step)
    places = len(f"{step:.10g}".partition(".")[2]) if step and not whole else None

    def parse(raw: str) -> Any:
        try:
            v = int(raw) if whole else float(raw)
        except ValueError:
            raise ValueError("not a whole number" if whole else "not a number") from None
        if not math.isfinite(v) or not lo <= v <= hi:
            raise ValueError(f"outside {lo}..{hi}" if whole else f"outside {lo:g}..{hi:g}")
        if stops and whole and step and (v - lo) % step:
            raise ValueError(f"not one of the slider's stops {lo}, {lo + step}, ..., {hi}")
        if snap and places is not None:
            v = min(max(round(v, places), lo), hi)
        return v

    def fix(v: Any) -> Any:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return default
        v = min(max(v, lo), hi)  # a range may shrink (the model type, the server's limits)
        return int(v) if whole else float(v)

    return parse, fix


def slider(name: str | None, label: str, lo: float, hi: float, default: float, *, key: str,
           where: Any = None, step: float | None = None, snap: bool = False, show: bool = True,
           **kw: Any) -> Any:
    """A linked ``st.slider`` over [lo, hi] (whole numbers when lo, hi and default are; then a
    link must name one of its stops), kept in the URL as ``name`` (``None``: kept in the session
    only). ``snap``: a link's decimal is rounded onto the step's decimals. ``where``: a column or
    container; ``show=False`` keeps and links the value without drawing the widget; other
    keywords go to the widget. Returns its value."""
    parse, fix = _bounded(lo, hi, default, step, stops=True, snap=snap)
    if step is not None:
        kw["step"] = step
    return _linked("slider", name, label, key, default, parse, fix, where, show, lambda v: v,
                   dict(min_value=lo, max_value=hi, **kw))


def number(name: str | None, label: str, lo: float, hi: float, default: float, *, key: str,
           where: Any = None, show: bool = True, **kw: Any) -> Any:
    """A linked ``st.number_input`` over [lo, hi]; as :func:`slider`."""
    parse, fix = _bounded(lo, hi, default, kw.get("step"), stops=False, snap=False)
    return _linked("number_input", name, label, key, default, parse, fix, where, show,
                   lambda v: v, dict(min_value=lo, max_value=hi, **kw))


def _choice(draw: str, name: str | None, label: str, options: Sequence[Any] | Mapping[str, Any],
            default: Any, key: str, where: Any, show: bool, kw: dict[str, Any],
            clearable: bool = False) -> Any:
    """One of ``options``; with ``clearable`` also ``None`` (left out of the URL)."""
    by_text = _by_text(options)
    shown = list(by_text.values())
    kw["options"] = shown
    return _linked(draw, name, label, key, default, lambda raw: _one_of(by_text, raw),
                   lambda v: v if v in shown or (clearable and v is None) else default,
                   where, show,
                   lambda v: None if v is None else next(t for t, o in by_text.items() if o == v),
                   kw)


def select(name: str | None, label: str, options: Sequence[Any] | Mapping[str, Any],
           default: Any, *, key: str, where: Any = None, show: bool = True, **kw: Any) -> Any:
    """A linked ``st.selectbox``. ``options`` is a sequence (the URL holds each option's text) or
    a mapping {URL text: option} for options whose own text would make a poor link. As
    :func:`slider` otherwise."""
    return _choice("selectbox", name, label, options, default, key, where, show, kw)


def radio(name: str | None, label: str, options: Sequence[Any] | Mapping[str, Any], default: Any,
          *, key: str, where: Any = None, show: bool = True, **kw: Any) -> Any:
    """A linked ``st.radio``; as :func:`select`."""
    return _choice("radio", name, label, options, default, key, where, show, kw)


def select_slider(name: str | None, label: str, options: Sequence[Any] | Mapping[str, Any],
                  default: Any, *, key: str, where: Any = None, show: bool = True,
                  **kw: Any) -> Any:
    """A linked ``st.select_slider``; as :func:`select`."""
    return _choice("select_slider", name, label, options, default, key, where, show, kw)


def pills(name: str | None, label: str, options: Sequence[Any] | Mapping[str, Any], default: Any,
          *, key: str, where: Any = None, show: bool = True, **kw: Any) -> Any:
    """Linked ``st.pills`` (one pick; ``None`` once the user clears it, left out of the URL);
    as :func:`select`."""
    return _choice("pills", name, label, options, default, key, where, show, kw, clearable=True)


def tabs(name: str | None, tabs: Mapping[str, str], default: str, *, key: str,
         opened_by: Mapping[str, Sequence[str]] | None = None) -> list[Any]:
    """Linked ``st.tabs`` whose open tab is tracked: ``tabs`` maps URL text to tab label, the open
    tab's label is the value (kept in the URL as ``name``). Returns the tab containers; a page
    draws a tab's body only where its ``.open`` is true (Streamlit reruns when another tab is
    opened), so a first visit computes and sends one tab, not all of them. ``opened_by`` maps a
    tab's URL text to the URL names of its settings: a link that carries one of them opens that
    tab (instead of ``default``) when it names no tab itself."""
    linked = next((t for t, names in (opened_by or {}).items()
                   if any(n in st.query_params for n in names)), None)
    if linked is not None:
        default = tabs[linked]
    made: list[Any] = []

    class _Draw:  # _linked draws "where.tabs(label, key=..., options=...)": st.tabs takes labels
        @staticmethod
        def tabs(_label: str, *, key: str, on_change: Callable[..., None], args: tuple,
                 options: list[str]) -> str:
            made.extend(st.tabs(options, key=key, on_change=on_change, args=args))
            return st.session_state[key]

    _choice("tabs", name, "", tabs, default, key, _Draw, True, {})
    return made


def multiselect(name: str | None, label: str, options: Sequence[Any], default: Sequence[Any], *,
                key: str, where: Any = None, show: bool = True,
                url: Callable[[list[Any]], Any] | None = None, **kw: Any) -> list[Any]:
    """A linked ``st.multiselect``: comma-separated in the URL (``ks=2,8,32``; empty: none).
    ``url`` maps the value to what the URL holds (``lambda v: v or None``: left out when empty)."""
    by_text = _by_text(options)
    shown = list(by_text.values())

    def parse(raw: str) -> list[Any]:
        picked = [_one_of(by_text, t.strip()) for t in raw.split(",") if t.strip()]
        return list(dict.fromkeys(picked))  # once each, in the link's order

    def fix(v: Any) -> list[Any]:
        return [o for o in v if o in shown] if isinstance(v, (list, tuple)) else list(default)

    return _linked("multiselect", name, label, key, list(default), parse, fix, where, show,
                   url or (lambda v: v), dict(options=shown, **kw))


ON_TEXT = ("1", "true", "on", "yes")
OFF_TEXT = ("0", "false", "off", "no")


def _switch(draw: str, name: str | None, label: str, default: bool, key: str, where: Any,
            show: bool, url: Callable[[bool], Any] | None, kw: dict[str, Any]) -> bool:
    def parse(raw: str) -> bool:
        if raw.lower() not in ON_TEXT + OFF_TEXT:
            raise ValueError("not on or off (1 or 0)")
        return raw.lower() in ON_TEXT

    return _linked(draw, name, label, key, default, parse,
                   lambda v: v if isinstance(v, bool) else default, where, show,
                   url or (lambda v: v), kw)


def toggle(name: str | None, label: str, default: bool = False, *, key: str, where: Any = None,
           show: bool = True, url: Callable[[bool], Any] | None = None, **kw: Any) -> bool:
    """A linked ``st.toggle``; the URL may say 1/0, true/false, on/off or yes/no. ``url`` maps
    the value to what the URL holds (``lambda on: 1 if on else None``)."""
    return _switch("toggle", name, label, default, key, where, show, url, kw)


def checkbox(name: str | None, label: str, default: bool = False, *, key: str, where: Any = None,
             show: bool = True, url: Callable[[bool], Any] | None = None, **kw: Any) -> bool:
    """A linked ``st.checkbox``; as :func:`toggle`."""
    return _switch("checkbox", name, label, default, key, where, show, url, kw)


def text(name: str | None, label: str, default: str = "", *, key: str, where: Any = None,
         show: bool = True, **kw: Any) -> str:
    """A ``st.text_input`` kept across page switches (and in the URL as ``name``, if given)."""
    return _linked("text_input", name, label, key, default, lambda raw: raw,
                   lambda v: v if isinstance(v, str) else default, where, show, lambda v: v, kw)


def model_picker(name: str | None, label: str, key: str, allow: Callable[[dict], bool] | None,
                 default: str, help: str | None = None) -> str | None:
    """``widgets.model_picker`` linked to the URL: the URL holds a shipped model's zoo name
    (``model=ae_k2``), a session's own model is left out (a link cannot carry it). Returns the
    chosen catalogue key, or None where no model fits."""
    from . import widgets  # widgets imports this module

    if name is not None:
        _model_from_url(name, key, allow, default)
    if key not in st.session_state and key in _kept():
        st.session_state[key] = _kept()[key]
    value = widgets.model_picker(label, key, allow, default=default, help=help)
    _kept()[key] = value
    if name is not None:
        sync(**{name: value})
    return value
