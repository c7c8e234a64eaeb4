"""MLflow end to end against a real local tracking store (sqlite) in a temporary folder."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import RidgeClassifier
from sklearn.pipeline import make_pipeline

from qinspired import AngleEncoding, QuantumFourierFeatures

mlflow = pytest.importorskip("mlflow")


@pytest.fixture()
def tracking(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    exp = mlflow.create_experiment("qinspired-test", artifact_location=(tmp_path / "art").as_uri())
    mlflow.set_experiment(experiment_id=exp)
    yield tmp_path
    mlflow.set_tracking_uri(None)


def _data():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 2, (60, 2))
    y = (np.sin(2 * X[:, 0]) > np.cos(X[:, 1])).astype(int)
    return X[:40], y[:40], X[40:], y[40:]


def test_log_run_logs_params_metrics_provenance_and_a_loadable_model(tracking):
    from qinspired.mlflow import log_run

    X, y, Xt, yt = _data()
    model = make_pipeline(QuantumFourierFeatures(AngleEncoding(2), n_components=32,
                                                 random_state=0), RidgeClassifier()).fit(X, y)
    info = log_run(model, Xt, yt, run_name="fourier", registered_model_name="qfourier")
    run = mlflow.get_run(info.run_id)
    assert run.data.metrics["test_accuracy"] == pytest.approx(model.score(Xt, yt))
    assert run.data.params["quantumfourierfeatures__n_components"] == "32"
    assert run.data.tags["qinspired.seed"] == "0"
    assert run.data.tags["qinspired.versions.qinspired"]
    assert info.signature is not None
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_array_equal(loaded.predict(Xt), model.predict(Xt))
    log_run(model, Xt, yt, registered_model_name="qfourier")
    versions = mlflow.MlflowClient().search_model_versions("name='qfourier'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    again = mlflow.sklearn.load_model("models:/qfourier/2")
    np.testing.assert_array_equal(again.predict(Xt), model.predict(Xt))


def test_monitoring_reports_log_as_metrics(tracking):
    from qinspired.kernels import FidelityKernel
    from qinspired.mlflow import log_drift
    from qinspired.monitoring import KernelDriftDetector

    X, _, Xt, _ = _data()
    res = KernelDriftDetector(FidelityKernel(AngleEncoding(2)), random_state=0).fit(X).test(Xt)
    with mlflow.start_run() as run:
        log_drift(res, step=0)
    metrics = mlflow.get_run(run.info.run_id).data.metrics
    assert metrics["drift_p_value"] == pytest.approx(res.p_value)


def _small_estimators():
    from qinspired import (
        AngleEncoding,
        MPSAnomalyDetector,
        MPSClassifier,
        MPSRegressor,
        QuantumKernelPCA,
        QuantumKernelRidge,
        QuantumKernelSVC,
        QuantumKernelSVR,
        QuantumNystroem,
        TTNClassifier,
        TTNRegressor,
        VariationalCircuitClassifier,
        VariationalCircuitRegressor,
    )
    from qinspired.kernels import FidelityKernel

    k = FidelityKernel(AngleEncoding(2))
    return [QuantumKernelSVC(k), QuantumKernelSVR(k), QuantumKernelRidge(k),
            QuantumKernelPCA(k, n_components=2),
            QuantumFourierFeatures(AngleEncoding(2), n_components=8, random_state=0),
            QuantumNystroem(k, 4, random_state=0),
            VariationalCircuitClassifier(epochs=2, random_state=0),
            VariationalCircuitRegressor(epochs=2, random_state=0),
            MPSClassifier(bond_dim=2, max_iter=2, random_state=0),
            MPSRegressor(bond_dim=2, max_iter=2, random_state=0),
            TTNClassifier(bond_dim=2, max_iter=2, random_state=0),
            TTNRegressor(bond_dim=2, max_iter=2, random_state=0),
            MPSAnomalyDetector(bond_dim=2, max_iter=2, random_state=0)]


@pytest.mark.parametrize("model", _small_estimators(), ids=lambda m: type(m).__name__)
def test_plain_mlflow_sklearn_log_model_works_on_every_estimator(tracking, model):
    from qinspired.mlflow import skops_trusted_types

    X, y, Xt, _ = _data()
    X, Xt = X / 2, Xt / 2  # [0, 1] for the tensor networks' local maps
    model.fit(X, y)
    out = model.predict if hasattr(model, "predict") else model.transform
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="m",
                                        skops_trusted_types=skops_trusted_types(model))
    loaded = mlflow.sklearn.load_model(info.model_uri)
    reload_out = loaded.predict if hasattr(loaded, "predict") else loaded.transform
    np.testing.assert_array_equal(reload_out(Xt), out(Xt))
