"""The in-page JavaScript: plain ES modules in ``ui/static/``, one per part, each importing its
siblings as ``./name.js``. A Components v2 component runs its ``js`` string from a ``blob:``
URL, where a relative import cannot resolve, and its file paths work only for installed
packages; so :func:`component_js` gives the component ``static/loader.js`` with the entry's
modules as data, and the loader links them in the page (see docs/LIVE.md)."""
from __future__ import annotations

import json
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
_IMPORT = re.compile(r'\bfrom\s*"\./([\w.-]+\.js)"')  # the one import form the modules use


def modules(entry: str) -> dict[str, str]:
    """``entry`` and every module it imports (transitively), as {file name: source}."""
    found: dict[str, str] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name not in found:
            found[name] = (STATIC / name).read_text()
            todo += _IMPORT.findall(found[name])
    return found


def component_js(entry: str) -> str:
    """The ``js`` of a component whose default export is ``ui/static/<entry>``'s."""
    return (f"const MODULES = {json.dumps(modules(entry))};\n"
            f"const ENTRY = {json.dumps(entry)};\n{(STATIC / 'loader.js').read_text()}")


def css(name: str) -> str:
    """The text of ``ui/static/<name>``."""
    return (STATIC / name).read_text()
