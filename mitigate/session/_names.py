"""Resolve module / parameter names and glob patterns against a model, with errors that list close matches."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from torch import nn

__all__ = ["match_modules", "match_parameters", "as_name_list"]


def as_name_list(names: str | Iterable[str], *, argument: str) -> list[str]:
    """One name or an iterable of names as a list of non-empty strings (``argument`` names it in errors)."""
    if isinstance(names, str):
        names = [names]
    try:
        result = list(names)
    except TypeError:
        raise TypeError(
            f"Expected argument `{argument}` to be a string or a sequence of strings, but got {type(names).__name__}."
        ) from None
    for name in result:
        if not isinstance(name, str) or not name:
            raise TypeError(f"Expected argument `{argument}` to hold non-empty strings, but got {name!r}.")
    return result


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


def _no_match(pattern: str, candidates: Sequence[str], *, argument: str, kind: str) -> ValueError:
    close = difflib.get_close_matches(pattern, candidates, n=5, cutoff=0.5)
    hint = f" Close matches: {', '.join(repr(c) for c in close)}." if close else ""
    top = sorted({c.split(".")[0] for c in candidates})
    return ValueError(
        f"Expected argument `{argument}` to name {kind} of the model, but {pattern!r} matches nothing.{hint} "
        f"Top-level modules: {', '.join(top)}."
    )


def match_modules(model: nn.Module, patterns: Sequence[str], *, argument: str = "names") -> list[tuple[str, nn.Module]]:
    """Modules named by exact names or glob patterns (``fnmatch``), in model order, without duplicates.

    >>> model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    >>> [name for name, _ in match_modules(model, ["*"])]
    ['0', '1']
    """
    named = [(name, module) for name, module in model.named_modules() if name]
    names = [name for name, _ in named]
    chosen: dict[str, nn.Module] = {}
    for pattern in patterns:
        hits = [(n, m) for n, m in named if (fnmatchcase(n, pattern) if _is_glob(pattern) else n == pattern)]
        if not hits:
            raise _no_match(pattern, names, argument=argument, kind="modules")
        chosen.update(hits)
    return [(name, module) for name, module in named if name in chosen]


def match_parameters(
    model: nn.Module, patterns: Sequence[str], *, argument: str = "names"
) -> list[tuple[str, nn.Parameter]]:
    """Parameters named by parameter names, module names (all their parameters) or glob patterns over either.

    >>> model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    >>> [name for name, _ in match_parameters(model, ["1", "0.bias"])]
    ['0.bias', '1.weight', '1.bias']
    """
    params = list(model.named_parameters())
    module_names = [name for name, _ in model.named_modules() if name]
    chosen: set[str] = set()
    for pattern in patterns:
        glob = _is_glob(pattern)
        hits = set()
        for name, _ in params:
            owners = _owners(name)
            if glob:
                if fnmatchcase(name, pattern) or any(fnmatchcase(owner, pattern) for owner in owners):
                    hits.add(name)
            elif name == pattern or pattern in owners:
                hits.add(name)
        if not hits:
            if not glob and pattern in module_names:
                raise ValueError(
                    f"Expected argument `{argument}` to name modules with parameters, but module {pattern!r} has none."
                )
            raise _no_match(pattern, module_names + [n for n, _ in params], argument=argument, kind="modules or parameters")
        chosen |= hits
    return [(name, param) for name, param in params if name in chosen]


def _owners(param_name: str) -> list[str]:
    parts = param_name.split(".")[:-1]
    return [".".join(parts[: i + 1]) for i in range(len(parts))]
