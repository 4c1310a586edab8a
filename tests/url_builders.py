"""Compile each URL rule's builder once per test run instead of once per app.

Every test builds a fresh app (about 260 URL rules). For each rule of each app werkzeug writes
two Python functions with ``ast`` and ``compile()`` (``Rule._compile_builder``): measured with
cProfile, a fifth of the access matrix's CPU. A builder depends only on the rule's parsed parts
and its defaults (the rule it serves is bound at call time, as ``.self``), so two apps' builders
for the same rule are the same function and the run can share them.

Test-only: production builds one app per process. werkzeug is pinned by requirements.lock; if a
release renames the method, ``install`` leaves werkzeug as it is and the suite is only slower.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_compiled: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _key(rule: Rule, append_unknown: bool) -> tuple[Any, ...]:
    defaults = rule.defaults or {}
    # A default for a part of the rule is folded into the builder as its converted text.
    folded = tuple(
        (name, rule._converters[name].to_url(defaults[name]))
        for is_dynamic, name in rule._trace
        if is_dynamic and name in defaults
    )
    return (rule.rule, append_unknown, tuple(rule._trace), tuple(map(str, defaults)), folded)


def install() -> None:
    original = getattr(Rule, "_compile_builder", None)
    if original is None or getattr(original, "shared_across_apps", False):
        return

    def compile_builder(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
        key = _key(self, append_unknown)
        builder = _compiled.get(key)
        if builder is None:
            builder = _compiled[key] = original(self, append_unknown)
        return builder

    compile_builder.shared_across_apps = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]
