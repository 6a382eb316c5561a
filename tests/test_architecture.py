"""The layering of DESIGN.md holds, and the light paths never import the heavy libraries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("tensorflow", "apache_beam", "tensorflow_transform", "tensorflow_data_validation",
         "tensorflow_model_analysis", "tfx_bsl", "keras")


def test_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], capture_output=True, text=True,
                          cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_dsl_ir_compiler_and_launcher_import_nothing_heavy():
    code = (
        "import sys, headrace, headrace.cli, headrace.ir, headrace.launcher, headrace.runner, "
        "headrace.entrypoint.main, headrace.compiler, headrace.runner.report\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_dsl_imports_run_one_way():
    """No import circle in headrace.dsl (lazy and type-checking imports count too): component
    definitions (definition.py) come before the nodes made from them, and those before the
    components and decorators that make nodes."""
    import grimp

    graph = grimp.build_graph("headrace", cache_dir=None)
    modules = {m for m in graph.modules if m == "headrace.dsl" or m.startswith("headrace.dsl.")}
    edges = {m: {i for i in graph.find_modules_directly_imported_by(m) if i in modules}
             for m in modules}
    circles = []

    def visit(module, path):
        for imported in sorted(edges[module]):
            if imported in path:
                circles.append([*path[path.index(imported) :], imported])
            elif imported not in done:
                visit(imported, [*path, imported])
        done.add(module)

    done: set[str] = set()
    for module in sorted(modules):
        if module not in done:
            visit(module, [module])
    assert not circles, circles
