"""Every option of the `mediation` CLI is stated once: a flag two commands share is one declaration
(cli/options.py), used by both. Read from the source, so a copy-pasted option fails here."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).parents[2]
SOURCES = [ROOT / "starter.py", *sorted((ROOT / "cli").glob("*.py"))]

# One flag, different things in different commands: a declaration for each meaning.
SAME_FLAG_OTHER_MEANING = {
    "--committee": "the committee you act for (actions); the committee filtered on (list, count)",
    "--to": "escalate's level, transfer's committee, report's last day",
    "--party": "a party described at intake (role:name:id_number:phone); a party of the case by id",
    "--json": "show prints the case as JSON; report writes the report to a JSON file",
    "--channel": "report's intake channel; the outbox's delivery channel",
}


def _typer_call(node: ast.AST) -> str | None:
    """The kind of declaration when `node` is `typer.Option(...)` or `typer.Argument(...)`."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "typer"
        and node.func.attr in ("Option", "Argument")
    ):
        return node.func.attr
    return None


def _flags(call: ast.Call) -> list[str]:
    names = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return [f.strip() for n in names if n.startswith("-") for f in n.split("/")]


def _is_command(fn: ast.AST) -> bool:
    """A function under `@app.command(...)` or `@app.callback(...)`."""
    decorators = fn.decorator_list if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) else []
    calls = [d.func for d in decorators if isinstance(d, ast.Call)]
    return any(isinstance(f, ast.Attribute) and f.attr in {"command", "callback"} for f in calls)


def _aliases(trees: dict[str, ast.Module]) -> set[str]:
    """Module-level names bound to a typer declaration, `X = Annotated[..., typer.Option(...)]`,
    or to one through another alias, `Y = Annotated[str | None, _X]`."""
    assigns = [n for tree in trees.values() for n in tree.body if isinstance(n, ast.Assign)]
    found: set[str] = set()
    while True:
        more = {
            t.id
            for node in assigns
            if any(_typer_call(n) or _named(n, found) for n in ast.walk(node.value))
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        if more <= found:
            return found
        found |= more


def _named(node: ast.AST, names: set[str]) -> bool:
    return isinstance(node, ast.Name) and node.id in names


def _implicit(arg: ast.arg) -> str:
    return f"--{arg.arg.strip('_').replace('_', '-')}"


def _signature(fn: ast.FunctionDef | ast.AsyncFunctionDef, aliases: set[str]) -> list[tuple[str, ast.arg]]:
    """What a command's parameters declare themselves (a parameter typed by an alias declares
    nothing: the alias did), as (flag or `ARG <name>`, parameter)."""
    positional = fn.args.posonlyargs + fn.args.args
    defaults = dict(zip(positional[len(positional) - len(fn.args.defaults) :], fn.args.defaults, strict=True))
    defaults |= {a: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True) if d}
    found = []
    for arg in positional + fn.args.kwonlyargs:
        parts = [p for p in (arg.annotation, defaults.get(arg)) if p is not None]  # Annotated, or old style
        calls = [c for p in parts for c in ast.walk(p) if _typer_call(c)]
        annotation = ast.unparse(arg.annotation) if arg.annotation else ""
        if calls:
            call = calls[0]
            assert isinstance(call, ast.Call)
            if _typer_call(call) == "Argument":
                found.append((f"ARG {arg.arg}", arg))
            else:
                found += [(flag, arg) for flag in _flags(call) or [_implicit(arg)]]
        elif annotation in aliases or annotation.startswith("typer."):
            continue  # declared where the alias is; or the typer.Context
        else:
            found.append((_implicit(arg) if arg in defaults else f"ARG {arg.arg}", arg))
    return found


def declarations(sources: dict[str, str]) -> tuple[dict[str, list[str]], list[str]]:
    """Each option's flag (an argument as `ARG <name>`) → where it is declared; and the
    declarations outside a command's signature that do not name their flag."""
    trees = {name: ast.parse(text) for name, text in sources.items()}
    aliases = _aliases(trees)
    sites: dict[str, list[str]] = defaultdict(list)
    unnamed: list[str] = []
    for name, tree in trees.items():
        commands = [
            fn
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) and _is_command(fn)
        ]
        for fn in commands:
            for flag, arg in _signature(fn, aliases):
                sites[flag].append(f"{name}:{arg.lineno}")
        signatures = {id(n) for fn in commands for n in ast.walk(fn.args) if _typer_call(n)}
        for node in ast.walk(tree):
            if not _typer_call(node) or id(node) in signatures:
                continue
            assert isinstance(node, ast.Call)
            where = f"{name}:{node.lineno}"
            if _typer_call(node) == "Argument":
                sites[f"ARG at {where}"].append(where)
            elif not _flags(node):
                unnamed.append(where)
            for flag in _flags(node):
                sites[flag].append(where)
    return dict(sites), unnamed


def repeated(sites: dict[str, list[str]]) -> dict[str, list[str]]:
    return {f: w for f, w in sites.items() if len(w) > 1 and f not in SAME_FLAG_OTHER_MEANING}


def _cli() -> dict[str, str]:
    return {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in SOURCES}


def test_every_option_of_the_cli_is_stated_once() -> None:
    sites, unnamed = declarations(_cli())
    assert repeated(sites) == {}
    assert unnamed == [], "a shared option names its flag: typer.Option('--flag', ...)"
    assert len(sites["--as"]) == 1 and "ARG case_id" not in sites  # the actions take Actor, CaseId
    for flag in SAME_FLAG_OTHER_MEANING:  # the exceptions stay true
        assert len(sites.get(flag, [])) > 1, f"{flag} is declared once now: drop it from the list"


def test_starter_only_puts_the_commands_together() -> None:
    tree = ast.parse((ROOT / "starter.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(tree) if _is_command(n) or _typer_call(n)]


def test_a_repeated_option_is_found() -> None:
    """The scan sees what a copied option looks like: the same flag declared in two commands,
    explicitly or by a parameter's name, and an argument written out again."""
    copied = """
@app.command()
def one(case_id: str, case: Annotated[str, typer.Option("--case")], county: str | None = None): ...
@app.command()
def two(case_id: str, case: Annotated[str, typer.Option("--case", help="again")], county: int = 1): ...
"""
    sites, _ = declarations({"copied.py": copied})
    assert repeated(sites) == {
        "ARG case_id": ["copied.py:3", "copied.py:5"],
        "--case": ["copied.py:3", "copied.py:5"],
        "--county": ["copied.py:3", "copied.py:5"],
    }
