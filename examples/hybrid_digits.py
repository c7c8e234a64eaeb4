"""A hybrid network on sklearn's digits: nnx.Linear(64 -> 8) -> sigmoid -> MPSLinear(8 -> 10).

The classical layer compresses the 64 standardised pixels to 8 features in
``(0, 1)``; the matrix product state (one site per feature, bond dimension 8)
turns them into 10 class scores. Both are trained together with Adam on the
softmax cross-entropy. Prints the test accuracy and the wall time.

    python examples/hybrid_digits.py [--epochs N] [--seed S]
"""

from __future__ import annotations

import argparse
import time

import jax
import numpy as np
import optax
from flax import nnx
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from qinspired.nn import MPSLinear


class HybridNet(nnx.Module):
    """Linear compression to ``n_hidden`` features in (0, 1), then an MPS classifier layer."""

    def __init__(self, n_features: int, n_hidden: int, n_classes: int, *, bond_dim: int,
                 rngs: nnx.Rngs) -> None:
        self.linear = nnx.Linear(n_features, n_hidden, rngs=rngs)
        self.mps = MPSLinear(n_hidden, n_classes, bond_dim=bond_dim, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return self.mps(jax.nn.sigmoid(self.linear(x)))


def loss_fn(model: HybridNet, x: jax.Array, y: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(model(x), y).mean()


@nnx.jit
def train_step(model: HybridNet, optimizer: nnx.Optimizer, x: jax.Array, y: jax.Array
               ) -> jax.Array:
    loss, grads = nnx.value_and_grad(loss_fn)(model, x, y)
    optimizer.update(model, grads)
    return loss


@nnx.jit
def predict(model: HybridNet, x: jax.Array) -> jax.Array:
    return model(x).argmax(axis=-1)


def main(epochs: int = 20, seed: int = 0, batch_size: int = 32,
         learning_rate: float = 1e-2) -> float:
    """Train, print and return the test accuracy."""
    start = time.perf_counter()
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=seed,
                                                        stratify=y)
    scaler = StandardScaler().fit(X_train)
    X_train = scaler.transform(X_train).astype(np.float32)
    X_test = scaler.transform(X_test).astype(np.float32)

    model = HybridNet(64, 8, 10, bond_dim=8, rngs=nnx.Rngs(seed))
    optimizer = nnx.Optimizer(model, optax.adam(learning_rate), wrt=nnx.Param)
    rng = np.random.default_rng(seed)
    step = nnx.cached_partial(train_step, model, optimizer)  # skips the graph traversal per call
    n_batches = len(X_train) // batch_size
    for epoch in range(epochs):
        order = rng.permutation(len(X_train))[: n_batches * batch_size]
        losses = [step(X_train[idx], y_train[idx]) for idx in order.reshape(n_batches, batch_size)]
        if epoch % 5 == 4 or epoch == epochs - 1:
            print(f"epoch {epoch + 1:3d}  training loss {float(np.mean(losses)):.4f}")
    accuracy = float(np.mean(np.asarray(predict(model, X_test)) == y_test))
    print(f"test accuracy {accuracy:.3f} ({len(y_test)} samples), "
          f"wall time {time.perf_counter() - start:.1f} s")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(epochs=args.epochs, seed=args.seed)
