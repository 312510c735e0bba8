"""tos-monitor: watch AI providers' legal pages and report real wording changes.

Pipeline stages, one module each: config → fetch/archive → extract → clauses →
diff/summary → store → render/notify/digest, joined by ``pipeline`` and driven by
``cli`` and ``schedule``.
"""

__version__ = "0.1.0"
