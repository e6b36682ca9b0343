"""Messages composed by the Qt-free layers, shown in the current language.

A service or an analysis (no Qt) builds its notes, reasons and warnings in English from templates it marks with
``console.texts.QT_TRANSLATE_NOOP("Context", "text with {placeholders}")`` and lists in a tuple; the CLI, logs and
CSV exports keep the English. The UI registers those tuples here and :func:`translate_message` turns a finished
English message back into its template and values, then fills the translated template: values that are themselves
registered messages (a nested phrase) are translated too, data (ids, names, numbers) stays as it is.

>>> register("Example", ("pipe {pipe} is {status}: it carries no gas", "out of service"))
>>> translate_message("pipe 'P1' is out of service: it carries no gas")  # no translator installed: English
"pipe 'P1' is out of service: it carries no gas"
>>> translate_message("an unknown text")
'an unknown text'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from console.ui.i18n import translate

__all__ = ["register", "translate_message"]

_FIELD = re.compile(r"\{(\w+)(?:[:!][^{}]*)?\}")
_templates: dict[tuple[str, str], re.Pattern[str]] = {}


def _pattern(template: str) -> re.Pattern[str]:
    parts, names, pos = [], set(), 0
    for m in _FIELD.finditer(template):
        parts.append(re.escape(template[pos : m.start()]))
        name = m[1]
        parts.append(f"(?P={name})" if name in names else f"(?P<{name}>.+?)")
        names.add(name)
        pos = m.end()
    parts.append(re.escape(template[pos:]))
    return re.compile("".join(parts), re.DOTALL)


def register(context: str, templates: Iterable[str]) -> None:
    """Make ``templates`` (marked with ``QT_TRANSLATE_NOOP(context, …)``) known to :func:`translate_message`."""
    for template in templates:
        if (context, template) not in _templates:
            _templates[(context, template)] = _pattern(template)


def translate_message(text: str) -> str:
    """``text`` in the current language when it is a registered template filled in, else ``text`` unchanged."""
    return _translate(text, 0)


def _translate(text: str, depth: int) -> str:
    if not text or depth > 3:
        return text
    best = None
    for (context, template), pattern in _templates.items():
        m = pattern.fullmatch(text)
        # The template with the most fixed text wins ("{a} at {b}" loses to "break at {layer} {id}").
        if m is not None and (best is None or len(template) > len(best[1])):
            best = (context, template, m)
    if best is None:
        return text
    context, template, m = best
    values = {name: _translate(value, depth + 1) for name, value in m.groupdict().items()}
    translated = translate(context, template)
    return _FIELD.sub(lambda f: values.get(f[1], f[0]), translated)
