"""Design-based estimation for censuses and sample surveys (no Django).

Build a `Design` once over the microdata, then call its estimators; every estimator
returns frozen `Estimates`.
"""

from amargah.stats.design import Design, ReplicateDesign
from amargah.stats.engine import DuckDBEngine, Engine
from amargah.stats.errors import SurveyInputError
from amargah.stats.results import Estimate, Estimates

__all__ = [
    "Design",
    "DuckDBEngine",
    "Engine",
    "Estimate",
    "Estimates",
    "ReplicateDesign",
    "SurveyInputError",
]
