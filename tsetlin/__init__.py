"""Tsetlin Machine text classification with readable rules (Granmo 2018; Berge et al. 2019).

>>> from tsetlin import TsetlinMachineClassifier, Rule, Explanation

Importing the package is cheap: the numba kernels (:mod:`tsetlin.cpu`) are compiled and
loaded on the first ``fit`` or ``predict``.
"""

from tsetlin.estimator import TsetlinMachineClassifier
from tsetlin.explain import Explanation, FiredClause, Rule, explain_pipeline

__all__ = ["Explanation", "FiredClause", "Rule", "TsetlinMachineClassifier", "explain_pipeline"]
