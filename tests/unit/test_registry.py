"""The task-kind registry fails at import, not in front of a person: a kind module left out of the registry,
or a kind described without a label or a handler (checked on a throwaway package)."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path

import pytest

from jobapp.work import KINDS, discover
from jobapp.work.kind import TaskKind
from jobapp.work.registry import RegistryError, check


async def handler(ctx):  # a stand-in handler; never run
    raise AssertionError("not run")


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Write modules into a fresh package on sys.path; returns a function making one module."""
    name = f"throwaway_{tmp_path.name.replace('-', '_')}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))

    def module(filename: str, source: str) -> str:
        (root / f"{filename}.py").write_text(textwrap.dedent(source))
        return f"{name}.{filename}"

    yield name, module
    for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[loaded]


KIND_MODULE = """
    from jobapp.work.kind import TaskKind

    async def run(ctx):
        raise AssertionError("not run")

    KIND = TaskKind(name="{name}", label="{label}", verb="doing", run={run}, uses_model=False)
"""


def test_a_kind_module_missing_from_the_registry_fails_at_import(package):
    name, module = package
    module("listed", KIND_MODULE.format(name="listed-kind", label="listed", run="run"))
    module("forgotten", KIND_MODULE.format(name="forgotten-kind", label="forgotten", run="run"))
    registry = module(
        "registry",
        f"""
        from jobapp.work.registry import _registry, check
        from {name} import listed

        KINDS = _registry([listed.KIND])
        check(KINDS, "{name}")
        """,
    )
    with pytest.raises(RegistryError, match=r"forgotten defines task kind forgotten-kind but the registry lacks it"):
        importlib.import_module(registry)


def test_a_complete_registry_imports(package):
    name, module = package
    module("only", KIND_MODULE.format(name="only-kind", label="only", run="run"))
    registry = module(
        "registry",
        f"""
        from jobapp.work.registry import _registry, check
        from {name} import only

        KINDS = _registry([only.KIND])
        check(KINDS, "{name}")
        """,
    )
    assert list(importlib.import_module(registry).KINDS) == ["only-kind"]


@pytest.mark.parametrize(
    ("label", "run", "says"),
    [("", "run", "task kind no-label-kind has no label"), ("x", "None", "task kind no-label-kind has no handler")],
)
def test_a_kind_without_a_label_or_a_handler_fails_at_import(package, label, run, says):
    _, module = package
    broken = module("broken", KIND_MODULE.format(name="no-label-kind", label=label, run=run))
    with pytest.raises(TypeError, match=says):
        importlib.import_module(broken)


def test_model_work_without_an_offline_drafter_is_refused(package):
    name, _ = package
    kind = TaskKind(name="ghost-writing", label="ghost", verb="ghosting", run=handler)
    with pytest.raises(RegistryError, match="uses a model but the offline drafter cannot write it"):
        check({kind.name: kind}, name)


def test_a_name_registered_twice_is_refused():
    from jobapp.work.registry import _registry

    with pytest.raises(RegistryError, match="registered twice"):
        _registry([discover.KIND, discover.KIND])


def test_discover_jobs_is_registered():
    assert KINDS["discover-jobs"] is discover.KIND
    assert not discover.KIND.needs_job and not discover.KIND.uses_model
