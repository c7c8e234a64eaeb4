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
