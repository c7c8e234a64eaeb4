"""Logging qinspired models to MLflow (optional extra ``mlflow``).

:func:`log_run` records one fitted model in an MLflow run: its parameters, test
metrics, its provenance as tags (``qinspired.<field>``), and the model itself
through ``mlflow.sklearn`` (skops format, trusting only the qinspired classes the
model holds, from :data:`qinspired.persistence.SKOPS_TRUSTED_TYPES`) with a
signature and an input example, optionally registered in the model registry.
The logged model loads back with ``mlflow.pyfunc.load_model`` (or
``mlflow.sklearn.load_model``) and predicts identically. :func:`log_drift` and
:func:`log_noise_sensitivity` log the monitoring reports of
:mod:`qinspired.monitoring`.

The tracking store is MLflow's own setting (``mlflow.set_tracking_uri`` or
``MLFLOW_TRACKING_URI``); a registry needs a database-backed store, e.g.
``sqlite:///mlflow.db``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

__all__ = ["log_drift", "log_noise_sensitivity", "log_run", "provenance_tags",
           "skops_trusted_types"]

def _mlflow() -> Any:
    """The ``mlflow`` module, with its ``sklearn`` flavour loaded."""
    try:
        import mlflow
        import mlflow.sklearn  # noqa: F401 - makes mlflow.sklearn available
    except ImportError as exc:
        raise ImportError("qinspired.mlflow needs MLflow: pip install 'qinspired[mlflow]'"
                          ) from exc
    return mlflow


def _flat_params(model: Any) -> dict[str, str]:
    out = {}
    for key, value in model.get_params(deep=True).items():
        text = value if isinstance(value, str) else repr(value)
        out[key] = text[:6000]
    return out


def _provenance(model: Any) -> Any:
    """The model's ``provenance_``, or that of the last pipeline step that has one."""
    prov = getattr(model, "provenance_", None)
    for _, step in reversed(getattr(model, "steps", []) if prov is None else []):
        prov = getattr(step, "provenance_", None)
        if prov is not None:
            break
    return prov


def provenance_tags(model: Any) -> dict[str, str]:
    """The model's ``provenance_`` as flat MLflow tags ``qinspired.<field>[.<key>]``.

    For a pipeline, the provenance of its last step that records one.
    """
    prov = _provenance(model)
    if prov is None:
        return {}
    tags = {}
    for key, value in prov.to_dict().items():
        if isinstance(value, dict):
            for sub, v in value.items():
                tags[f"qinspired.{key}.{sub}"] = str(v)[:5000]
        else:
            tags[f"qinspired.{key}"] = str(value)[:5000]
    return tags


def skops_trusted_types(model: Any) -> list[str]:
    """The qinspired classes that ``model``'s skops file names and skops does not trust.

    MLflow stores scikit-learn models with skops by default and refuses types
    it was not told to trust; pass this list as
    ``mlflow.sklearn.log_model(model, ..., skops_trusted_types=...)`` (or use
    ``serialization_format="cloudpickle"``). Only classes listed in
    :data:`qinspired.persistence.SKOPS_TRUSTED_TYPES` are returned, never a
    function: MLflow names any other type the model needs when it refuses it,
    and you add it yourself if you vouch for it.
    """
    import skops.io as sio

    from qinspired.persistence import SKOPS_TRUSTED_TYPES

    untrusted = sio.get_untrusted_types(data=sio.dumps(model))
    return sorted(set(untrusted) & set(SKOPS_TRUSTED_TYPES))


def _metrics(model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.base import is_classifier, is_regressor
    from sklearn.metrics import (
        accuracy_score,
        balanced_accuracy_score,
        f1_score,
        mean_absolute_error,
        mean_squared_error,
        r2_score,
    )

    pred = model.predict(X)
    if is_classifier(model):
        return {"test_accuracy": float(accuracy_score(y, pred)),
                "test_balanced_accuracy": float(balanced_accuracy_score(y, pred)),
                "test_f1_macro": float(f1_score(y, pred, average="macro"))}
    if is_regressor(model):
        return {"test_r2": float(r2_score(y, pred)),
                "test_mse": float(mean_squared_error(y, pred)),
                "test_mae": float(mean_absolute_error(y, pred))}
    return {}


def log_run(model: Any, X_test: Any, y_test: Any = None, *, run_name: str | None = None,
            registered_model_name: str | None = None, name: str = "model",
            extra_metrics: dict[str, float] | None = None, n_example: int = 5) -> Any:
    """Log a fitted model, its test metrics and its provenance in a new MLflow run.

    Parameters
    ----------
    model : fitted estimator
    X_test, y_test : array_like
        Held-out data: metrics (accuracy, balanced accuracy and macro F1 for
        classifiers; R^2, MSE, MAE for regressors), the signature and the input
        example come from it.
    run_name : str, optional
    registered_model_name : str, optional
        Also register the model under this name (a new version per call).
    name : str, default "model"
        The logged model's name within the run.
    extra_metrics : dict, optional
        More metrics to log.
    n_example : int, default 5
        Rows of ``X_test`` stored as the input example.

    Returns
    -------
    mlflow.models.model.ModelInfo
        Its ``model_uri`` loads the model back; the run id is ``run_id``.
    """
    mlflow = _mlflow()
    from mlflow.models import infer_signature
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model)
    X = np.asarray(X_test, dtype=float)
    output = model.predict(X) if hasattr(model, "predict") else model.transform(X)
    signature = infer_signature(X, np.asarray(output))
    with mlflow.start_run(run_name=run_name):
        mlflow.log_params(_flat_params(model))
        tags = provenance_tags(model)
        tags["qinspired.estimator_class"] = f"{type(model).__module__}.{type(model).__name__}"
        mlflow.set_tags(tags)
        metrics = {} if y_test is None else _metrics(model, X, np.asarray(y_test))
        metrics.update(extra_metrics or {})
        if metrics:
            mlflow.log_metrics(metrics)
        prov = _provenance(model)
        if prov is not None:
            mlflow.log_text(json.dumps(prov.to_dict(), indent=2, sort_keys=True),
                            "provenance.json")
        return mlflow.sklearn.log_model(model, name=name, signature=signature,
                                        input_example=X[:n_example],
                                        registered_model_name=registered_model_name,
                                        skops_trusted_types=skops_trusted_types(model))


def log_drift(result: Any, *, step: int | None = None) -> None:
    """Log a :class:`~qinspired.monitoring.DriftResult` as metrics in the active run."""
    _mlflow().log_metrics(result.as_metrics(), step=step)


def log_noise_sensitivity(report: Any) -> None:
    """Log a :class:`~qinspired.monitoring.NoiseSensitivity` in the active run.

    Each noise level is one step of the metrics ``noise_score``,
    ``noise_kernel_mean`` and ``noise_kernel_var`` (with ``noise_level``), and
    the markdown table is stored as ``noise_sensitivity.md``.
    """
    mlflow = _mlflow()
    for step, (p, s, mu, var) in enumerate(zip(report.noise_levels, report.scores,
                                               report.concentration_mean,
                                               report.concentration_var)):
        metrics = {"noise_level": float(p), "noise_score": float(s)}
        if np.isfinite(mu):
            metrics.update(noise_kernel_mean=float(mu), noise_kernel_var=float(var))
        mlflow.log_metrics(metrics, step=step)
    mlflow.log_text(report.as_table(), "noise_sensitivity.md")
