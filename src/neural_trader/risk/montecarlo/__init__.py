"""Monte Carlo simulation of correlated multi-asset paths (GBM, Student-t copula, filtered
historical bootstrap), seeded and chunked, on numpy+numba or torch (CUDA when present).

See :mod:`.models` for the models and how they are fitted, :mod:`.paths` for the engine's
memory, reproducibility and parallelism contract.
"""

from neural_trader.risk.montecarlo.models import (
    GBM,
    MODEL_KINDS,
    FilteredBootstrap,
    Model,
    ModelKind,
    StudentTCopula,
    factorize_covariance,
    fit_model,
)
from neural_trader.risk.montecarlo.paths import (
    BACKENDS,
    Backend,
    DType,
    SimulationResult,
    default_chunk_size,
    simulate,
)

__all__ = [
    "BACKENDS",
    "GBM",
    "MODEL_KINDS",
    "Backend",
    "DType",
    "FilteredBootstrap",
    "Model",
    "ModelKind",
    "SimulationResult",
    "StudentTCopula",
    "default_chunk_size",
    "factorize_covariance",
    "fit_model",
    "simulate",
]
