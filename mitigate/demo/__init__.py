"""``mitigate demo``: scratch vs transfer on an embedded scenario (no download), evaluated and reported.

>>> from mitigate.demo import DEFAULT_PAIR
>>> DEFAULT_PAIR
'wsj-pos:tpos'
"""

from mitigate.demo._figure import plot_pt_nt
from mitigate.demo._run import DEFAULT_PAIR, DemoResult, build_demo_scenario, run_demo, summary_table

__all__ = ["DEFAULT_PAIR", "DemoResult", "build_demo_scenario", "plot_pt_nt", "run_demo", "summary_table"]
