"""structnlp: the shared corpus/feature pipeline of the structnlp model families.

Importing this package is cheap: torch, spaCy and CuPy are imported only by the
functions that need them.
"""

from structnlp._version import __version__

__all__ = ["__version__"]
