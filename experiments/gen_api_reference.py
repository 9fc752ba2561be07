"""Generate ``docs/api.md``, the API reference, from the docstrings of mitigate's public packages.

For each package in ``PACKAGES`` it walks ``__all__`` (sorted) and writes each public name's signature
(``inspect.signature``; keyword-only arguments appear after ``*``), the first paragraph of its docstring and its
first doctest example. Classes also list their public methods and properties with a one-line summary. The output
is deterministic: sorted names, no memory addresses, no absolute paths.

    python experiments/gen_api_reference.py            # rewrite docs/api.md
    python experiments/gen_api_reference.py --check    # exit 1 and print a short diff when docs/api.md is stale

``--check`` is also run by ``tests/test_docs.py``.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import importlib
import inspect
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, ForwardRef

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "docs" / "api.md"

PACKAGES: tuple[str, ...] = (
    "evaluation",
    "data",
    "models",
    "session",
    "strategies",
    "transferability",
    "selection",
    "attribution",
    "gating",
    "tune",
    "bench",
    "integrations.lightning",
    "integrations.hf",
    "testing",
    "demo",
)

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_WIDTH = 100
_DIFF_LINES = 40


def _clean(text: str) -> str:
    """Remove what differs between machines and runs: memory addresses and absolute paths."""
    text = _ADDRESS.sub("", text)
    for root in sorted({str(REPO), str(REPO.parent), str(Path.home())}, key=len, reverse=True):
        text = text.replace(root + "/", "").replace(root, ".")
    return text


def _own_doc(obj: Any) -> str | None:
    """The docstring written for ``obj`` itself (not inherited, not a dataclass's generated signature)."""
    if inspect.isclass(obj):
        doc = obj.__dict__.get("__doc__")
        if doc and dataclasses.is_dataclass(obj) and doc.startswith(f"{obj.__name__}("):
            return None
    else:
        doc = getattr(obj, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    return inspect.cleandoc(doc)


def is_documentable(obj: Any) -> bool:
    """Classes and functions carry their own docstring; constants and type aliases cannot."""
    return inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj) or inspect.ismethod(obj)


def missing_docstrings(package: str) -> list[str]:
    """Public names of ``mitigate.<package>`` that are classes or functions without a docstring of their own."""
    module = importlib.import_module(f"mitigate.{package}")
    return [
        name
        for name in sorted(getattr(module, "__all__", []))
        if is_documentable(getattr(module, name)) and _own_doc(getattr(module, name)) is None
    ]


def _first_paragraph(doc: str) -> str:
    lines: list[str] = []
    for line in doc.splitlines():
        if not line.strip() or line.lstrip().startswith(">>>"):
            break
        lines.append(line.strip())
    return " ".join(lines)


def _first_example(doc: str) -> str | None:
    """The first contiguous doctest block (``>>>`` lines and their expected output)."""
    lines = doc.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">>>")), None)
    if start is None:
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    block: list[str] = []
    for line in lines[start:]:
        if not line.strip():
            break
        block.append(line[indent:] if line[:indent].isspace() or not line[:indent] else line.lstrip())
    return "\n".join(block)


class _Annotation:
    """Shows a string annotation (``from __future__ import annotations``) without quotes."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _unquote(annotation: Any) -> Any:
    if isinstance(annotation, ForwardRef):
        annotation = annotation.__forward_arg__
    return _Annotation(annotation) if isinstance(annotation, str) else annotation


def _signature(obj: Any) -> str | None:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    params = [param.replace(annotation=_unquote(param.annotation)) for param in signature.parameters.values()]
    if inspect.isclass(obj):
        return str(signature.replace(parameters=params, return_annotation=inspect.Signature.empty))
    return str(signature.replace(parameters=params, return_annotation=_unquote(signature.return_annotation)))


def _format_call(name: str, signature: str, *, prefix: str) -> str:
    """``prefix name(signature)``, one parameter per line when it would be wider than the page."""
    one_line = f"{prefix}{name}{signature}"
    if len(one_line) <= _WIDTH:
        return one_line
    params_part, _, returns = signature.rpartition(")")
    params = _split_params(params_part[1:])
    body = "".join(f"    {param},\n" for param in params)
    return f"{prefix}{name}(\n{body}){returns}"


def _split_params(text: str) -> list[str]:
    """Split a parameter list at top-level commas (not inside brackets, parentheses or quotes)."""
    params: list[str] = []
    depth, quote, current = 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            params.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    if "".join(current).strip():
        params.append("".join(current).strip())
    return params


def _members(cls: type) -> list[str]:
    """Bullet lines for the public methods and properties a class defines itself."""
    lines: list[str] = []
    for name in sorted(cls.__dict__):
        if name.startswith("_"):
            continue
        attr = cls.__dict__[name]
        if isinstance(attr, property):
            summary = _first_paragraph(_own_doc(attr) or "")
            lines.append(f"- `{name}` (property){' — ' + summary if summary else ''}")
            continue
        func = attr.__func__ if isinstance(attr, (staticmethod, classmethod)) else attr
        if not inspect.isfunction(func):
            continue
        signature = _signature(func)
        if signature is not None and not isinstance(attr, staticmethod):
            signature = re.sub(r"^\((self|cls)(, )?", "(", signature)
        summary = _first_paragraph(_own_doc(func) or "")
        lines.append(f"- `{name}{signature or '(...)'}`{' — ' + summary if summary else ''}")
    return lines


def _render_name(module: ModuleType, name: str) -> list[str]:
    obj = getattr(module, name)
    out = [f"### `{name}`", ""]
    if is_documentable(obj):
        signature = _signature(obj)
        kind = "class " if inspect.isclass(obj) else "def "
        if signature is not None:
            out += ["```python", _format_call(name, signature, prefix=kind), "```", ""]
        doc = _own_doc(obj)
        if doc is None:
            out += ["*(no docstring)*", ""]
        else:
            summary = _first_paragraph(doc)
            if summary:
                out += [summary, ""]
            example = _first_example(doc)
            if example:
                out += ["```pycon", example, "```", ""]
        if inspect.isclass(obj):
            members = _members(obj)
            if members:
                out += ["Members:", "", *members, ""]
    else:
        shown = repr(obj)
        if len(shown) <= _WIDTH and "\n" not in shown:
            out += ["```python", f"{name} = {shown}", "```", ""]
        else:
            out += [f"A `{type(obj).__name__}` constant (too long to show; see the source).", ""]
    return out


def render_api_reference() -> str:
    """The full text of ``docs/api.md``."""
    out = [
        "# API reference",
        "",
        "Generated from the docstrings by `python experiments/gen_api_reference.py`; do not edit by hand.",
        "Each package's public names (its `__all__`) are listed alphabetically. Arguments after `*` are",
        "keyword-only. For the concepts behind the names, start with the [user guide](guide.md).",
        "",
        "Packages: " + ", ".join(f"[`mitigate.{p}`](#mitigate{p.replace('.', '')})" for p in PACKAGES) + ".",
        "",
    ]
    for package in PACKAGES:
        module = importlib.import_module(f"mitigate.{package}")
        out += [f"## mitigate.{package}", ""]
        doc = _own_doc(module)
        if doc:
            out += [_first_paragraph(doc), ""]
        for name in sorted(getattr(module, "__all__", [])):
            out += _render_name(module, name)
    return _clean("\n".join(out).rstrip() + "\n")


def check(path: Path) -> tuple[bool, str]:
    """Whether ``path`` equals freshly generated text, and a short unified diff when it does not."""
    expected = render_api_reference()
    current = path.read_text(encoding="utf-8") if path.is_file() else ""
    if current == expected:
        return True, ""
    diff = list(
        difflib.unified_diff(
            current.splitlines(), expected.splitlines(), "docs/api.md (on disk)", "docs/api.md (generated)", lineterm=""
        )
    )
    shown = diff[:_DIFF_LINES]
    if len(diff) > _DIFF_LINES:
        shown.append(f"... ({len(diff) - _DIFF_LINES} more diff lines)")
    return False, "\n".join(shown)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 with a short diff when the file is stale")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="default: docs/api.md")
    args = parser.parse_args(argv)
    if args.check:
        ok, diff = check(args.output)
        if not ok:
            print(f"{args.output.name} is stale; run `python experiments/gen_api_reference.py`.\n{diff}")
            return 1
        print(f"{args.output.name} is up to date.")
        return 0
    args.output.write_text(render_api_reference(), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
