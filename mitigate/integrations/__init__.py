"""Optional integrations with training frameworks, each importing its framework lazily.

- ``mitigate.integrations.lightning.MitigateCallback`` (``pip install 'mitigate[lightning]'``)
- ``mitigate.integrations.hf.MitigateTrainerCallback`` (``pip install 'mitigate[hf]'``)
"""

__all__: list[str] = []
