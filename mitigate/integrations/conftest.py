"""Skip the doctests of integrations whose framework is not installed (they are optional extras)."""

from importlib.util import find_spec

collect_ignore = [
    name
    for name, module in (("lightning.py", "lightning"), ("hf.py", "transformers"))
    if find_spec(module) is None
]
