"""The registry of task kinds: the one list the runner, pages, live views and the API read.

Adding a kind: write its module with a `KIND = TaskKind(...)` and add it to `KINDS` below. Importing this
module checks the list against the package: a kind module left out, a name used twice, or a kind that
writes with a model but has no offline drafter fails at import, not in front of a person.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable

from jobapp.llm.offline import DRAFTERS
from jobapp.tasks import Handler
from jobapp.work import cover_letter, cv, discover, evaluate, hydrate, research
from jobapp.work.kind import TaskKind


class RegistryError(TypeError):
    """The registry does not match the kind modules."""


def _registry(kinds: Iterable[TaskKind]) -> dict[str, TaskKind]:
    registry: dict[str, TaskKind] = {}
    for kind in kinds:
        if not isinstance(kind, TaskKind):
            raise RegistryError(f"{kind!r} is not a TaskKind")
        if kind.name in registry:
            raise RegistryError(f"task kind {kind.name} is registered twice")
        registry[kind.name] = kind
    return registry


def check(registry: dict[str, TaskKind], package: str = "jobapp.work") -> None:
    """Every module of `package` that defines a `KIND` is registered, and model work can run offline."""
    path = importlib.import_module(package).__path__
    for module_info in pkgutil.iter_modules(path):
        module = importlib.import_module(f"{package}.{module_info.name}")
        kind = getattr(module, "KIND", None)
        if isinstance(kind, TaskKind) and registry.get(kind.name) is not kind:
            raise RegistryError(f"{module.__name__} defines task kind {kind.name} but the registry lacks it")
    for kind in registry.values():
        if kind.uses_model and kind.name not in DRAFTERS:
            raise RegistryError(f"task kind {kind.name} uses a model but the offline drafter cannot write it")


KINDS: dict[str, TaskKind] = _registry(
    [
        hydrate.KIND,
        evaluate.KIND,
        cv.KIND,
        cover_letter.KIND,
        research.KIND,
        discover.KIND,
    ]
)
check(KINDS)

HANDLERS: dict[str, Handler] = {name: kind.run for name, kind in KINDS.items()}


def kind_named(name: str) -> TaskKind | None:
    return KINDS.get(name)
