"""The life of a quantum-kernel model: fit, provenance, reproduce, save, MLflow, monitor.

Run with the ``mlflow`` extra installed::

    python examples/mlops_lifecycle.py [--workdir DIR]

Everything is written under ``--workdir`` (a temporary folder by default): the model
file, the MLflow tracking database and its artifacts.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

import mlflow
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

import qinspired
from qinspired import ZZFeatureMap
from qinspired.datasets import load_dataset, make_preprocessor
from qinspired.estimators.kernel_models import QuantumKernelSVC
from qinspired.kernels import FidelityKernel
from qinspired.mlflow import log_drift, log_noise_sensitivity, log_run
from qinspired.monitoring import KernelDriftDetector, noise_sensitivity
from qinspired.provenance import reproduce


def main(workdir: Path) -> None:
    X, y = load_dataset("breast_cancer", preprocess=False)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=0)
    prep = make_preprocessor(n_features=4, feature_range=(0.0, math.pi)).fit(X_train)
    Z_train, Z_test = prep.transform(X_train), prep.transform(X_test)

    # 1. Fit: the model records how it was made.
    model = QuantumKernelSVC(FidelityKernel(ZZFeatureMap(4, reps=2, feature_scale=0.5)), C=10.0)
    model.fit(Z_train, y_train)
    print(f"test accuracy {model.score(Z_test, y_test):.3f}")
    prov = model.provenance_
    print(f"provenance: seed {prov.seed}, data {prov.data_fingerprint[:12]}, "
          f"jax {prov.versions['jax']}, device {prov.device['device_kind']}")

    # 2. Reproduce: refit from the record and check bit-identity.
    report = reproduce(prov, Z_train, y_train)
    print(f"refit bit-identical: {report.identical}")

    # 3. Save and load: atomic, hashed, signed.
    key = b"team-signing-key"
    path = qinspired.save(model, workdir / "qsvc.qim", key=key)
    loaded = qinspired.load(path, key=key)
    assert np.array_equal(loaded.predict(Z_test), model.predict(Z_test))
    print(f"saved and reloaded {path.name}")

    # 4. MLflow: log, register, load back through pyfunc.
    mlflow.set_tracking_uri(f"sqlite:///{workdir / 'mlflow.db'}")
    exp = mlflow.create_experiment("qinspired-lifecycle",
                                   artifact_location=(workdir / "artifacts").as_uri())
    mlflow.set_experiment(experiment_id=exp)
    info = log_run(model, Z_test, y_test, run_name="qsvc", registered_model_name="qsvc")
    served = mlflow.pyfunc.load_model(info.model_uri)
    assert np.array_equal(served.predict(Z_test), model.predict(Z_test))
    print(f"logged and registered: {info.model_uri}")

    # 5. Monitor: drift in the model's own kernel space, and noise tolerance.
    detector = KernelDriftDetector(model.kernel_, random_state=0).fit(Z_train)
    same = detector.test(Z_test)
    shifted = detector.test(np.clip(Z_test + 0.4, 0, math.pi))
    print(f"drift p-values: held-out {same.p_value:.3f}, shifted {shifted.p_value:.3f}")
    pipeline_model = make_pipeline(MinMaxScaler((0, math.pi)), model)
    sens = noise_sensitivity(pipeline_model, Z_train[:80], y_train[:80], Z_test, y_test,
                             [0.0, 0.01, 0.05],
                             noise_param="quantumkernelsvc__kernel__noise")
    print(sens.as_table())
    with mlflow.start_run(run_name="monitoring"):
        log_drift(shifted)
        log_noise_sensitivity(sens)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    if args.workdir is None:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
    else:
        args.workdir.mkdir(parents=True, exist_ok=True)
        main(args.workdir)
