"""The config's schema (allowed keys and their types) and the checker that words errors with file, line and key."""

from __future__ import annotations

import difflib
from typing import Any

from mitigate.bench._toml_lines import key_lines

__all__ = ["COMPOSE_KEYS", "Checker", "PAIR_KEYS", "STRATEGY_KEYS", "TOP_KEYS"]

Schema = dict[str, tuple[tuple[type, ...], str]]

# key -> (python types accepted, human description)
TOP_KEYS: Schema = {
    "name": ((str,), "a string"),
    "description": ((str,), "a string"),
    "seeds": ((list,), "a list of int"),
    "split": ((str,), "a string"),
    "pretrain_epochs": ((int,), "an int"),
    "pairs": ((list,), "an array of tables [[pairs]]"),
    "strategies": ((list,), "an array of tables [[strategies]]"),
}
PAIR_KEYS: Schema = {
    "label": ((str,), "a string"),
    "scenario": ((str,), "a string"),
    "factory": ((str,), "a string 'module:callable'"),
    "source": ((str, dict), "a registry name or a table of files {train = ..., test = ...}"),
    "target": ((str, dict), "a registry name or a table of files {train = ..., test = ...}"),
    "params": ((dict,), "a table"),
    "pretrain_epochs": ((int,), "an int"),
}
STRATEGY_KEYS: Schema = {
    "label": ((str,), "a string"),
    "strategy": ((str,), "a string"),
    "params": ((dict,), "a table"),
    "compose": ((list,), "an array of tables {strategy = ..., params = {...}}"),
    "from_tuning": ((str,), "a path string"),
    "pick": ((int,), "an int (which of the tuning output's best configurations)"),
}
COMPOSE_KEYS: Schema = {
    "strategy": ((str,), "a string"),
    "params": ((dict,), "a table"),
}


class Checker:
    """Validates the parsed TOML and words errors with the file, line and key.

    >>> check = Checker('seeds = "0"', "grid.toml")
    >>> check.check_table({"seeds": "0"}, TOP_KEYS, ())
    Traceback (most recent call last):
    ...
    TypeError: grid.toml:1: expected key `seeds` at top level to be a list of int, but got str ('0').
    """

    def __init__(self, text: str, origin: str) -> None:
        self.lines = key_lines(text)
        self.origin = origin

    def where(self, path: tuple[str | int, ...]) -> str:
        for end in range(len(path), 0, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return f"{self.origin}:{line}"
        return self.origin

    @staticmethod
    def describe(path: tuple[str | int, ...]) -> str:
        table = [str(part) for part in path[:-1] if isinstance(part, str)]
        index = [part for part in path[:-1] if isinstance(part, int)]
        if not table:
            return "at top level"
        if index:
            return f"in [[{'.'.join(table)}]] #{index[0] + 1}"
        return f"in [{'.'.join(table)}]"

    def check_table(
        self, table: dict[str, Any], schema: dict[str, tuple[tuple[type, ...], str]], path: tuple[str | int, ...]
    ) -> None:
        for key, value in table.items():
            key_path = (*path, key)
            if key not in schema:
                close = difflib.get_close_matches(key, list(schema), n=1)
                hint = f"; did you mean `{close[0]}`?" if close else ""
                raise ValueError(
                    f"{self.where(key_path)}: unknown key `{key}` {self.describe(key_path)}"
                    f" (expected one of: {', '.join(sorted(schema))}){hint}"
                )
            types, text = schema[key]
            if isinstance(value, bool) or not isinstance(value, types):
                raise TypeError(
                    f"{self.where(key_path)}: expected key `{key}` {self.describe(key_path)} to be {text},"
                    f" but got {type(value).__name__} ({value!r})."
                )

    def fail(self, path: tuple[str | int, ...], message: str) -> ValueError:
        return ValueError(f"{self.where(path)}: {message}")
