"""States per second of the exact statevector simulator on the ZZ feature map.

Side by side, in the same run and on the same data: Qiskit's ``Statevector``
(one bound circuit per data point) and PennyLane's ``default.qubit`` (with
parameter broadcasting over the batch), when the ``peers`` extra is installed.
Compile time is reported apart from the steady-state time; the latter is the
median over repeats. Peers are timed on at most ``--peer-states`` data points
per cell (their cost is linear in the batch), and their states are compared
with ours.

Usage::

    python benchmarks/simulator.py --out bench-results/simulator
    python benchmarks/simulator.py --qubits 4 8 12 --batches 1 100 1000
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import jax
import numpy as np
from _timing import median_time

from qinspired import info
from qinspired._validation import SimulationTooLargeError
from qinspired.circuits import statevector
from qinspired.feature_maps import ZZFeatureMap


def time_qinspired(n: int, batch: int, reps: int, x: np.ndarray) -> dict:
    fm = ZZFeatureMap(n_features=n, reps=reps, entanglement="full")
    t0 = time.perf_counter()
    try:
        psi = statevector(fm, x).block_until_ready()
    except SimulationTooLargeError as exc:
        return {"skipped": str(exc)}
    first = time.perf_counter() - t0
    steady, repeats = median_time(lambda: statevector(fm, x).block_until_ready())
    return {
        "compile_plus_first_s": first,
        "compile_s": max(first - steady, 0.0),
        "steady_s": steady,
        "repeats": repeats,
        "states_per_s": batch / steady,
        "psi": psi,
    }


def time_qiskit(n: int, reps: int, x: np.ndarray) -> dict:
    from qiskit.circuit.library import zz_feature_map
    from qiskit.quantum_info import Statevector

    qc = zz_feature_map(n, reps=reps, entanglement="full")

    def run():
        return [Statevector(qc.assign_parameters(row)).data for row in x]

    run()
    steady, repeats = median_time(run, min_repeats=1, budget_s=5.0)
    states = np.stack(run())
    # Qiskit's qubit 0 is the least significant bit; ours is the most significant.
    states = states.reshape((len(x),) + (2,) * n).transpose([0] + list(range(n, 0, -1)))
    return {"steady_s": steady, "repeats": repeats, "states_per_s": len(x) / steady,
            "psi": states.reshape(len(x), -1)}


def time_pennylane(n: int, reps: int, x: np.ndarray) -> dict:
    import pennylane as qml

    dev = qml.device("default.qubit", wires=n)

    @qml.qnode(dev)
    def circuit(xb):
        for _ in range(reps):
            for i in range(n):
                qml.Hadamard(i)
            for i in range(n):
                qml.PhaseShift(2.0 * xb[:, i], wires=i)
            for i in range(n):
                for j in range(i + 1, n):
                    qml.CNOT([i, j])
                    qml.PhaseShift(2.0 * (np.pi - xb[:, i]) * (np.pi - xb[:, j]), wires=j)
                    qml.CNOT([i, j])
        return qml.state()

    circuit(x)
    steady, repeats = median_time(lambda: circuit(x), min_repeats=1, budget_s=5.0)
    return {"steady_s": steady, "repeats": repeats, "states_per_s": len(x) / steady,
            "psi": np.asarray(circuit(x)).reshape(len(x), -1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, nargs="+", default=[4, 8, 12, 16, 20])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--peer-states", type=int, default=50,
                        help="at most this many data points per cell for Qiskit and PennyLane")
    parser.add_argument("--peer-max-qubits", type=int, default=16)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench-results/simulator"))
    args = parser.parse_args(argv)

    peers = {}
    if not args.no_peers:
        for name, fn in (("qiskit", time_qiskit), ("pennylane", time_pennylane)):
            try:
                __import__(name)
                peers[name] = fn
            except ImportError:
                print(f"{name} not installed: skipped")

    rng = np.random.default_rng(args.seed)
    rows = []
    for n in args.qubits:
        for batch in args.batches:
            x = rng.uniform(0.0, 2.0 * np.pi, size=(batch, n))
            ours = time_qinspired(n, batch, args.reps, x)
            row = {"n_qubits": n, "batch": batch, "reps": args.reps}
            psi = ours.pop("psi", None)
            row["qinspired"] = ours
            for name, fn in peers.items():
                if n > args.peer_max_qubits or psi is None:
                    continue
                k = min(batch, args.peer_states)
                res = fn(n, args.reps, x[:k])
                res["n_states_timed"] = k
                res["max_abs_diff"] = float(np.max(np.abs(res.pop("psi") - np.asarray(psi[:k]))))
                res["speedup"] = ours["states_per_s"] / res["states_per_s"]
                row[name] = res
            rows.append(row)
            print(_format_row(row, list(peers)), flush=True)

    env = info()
    env.update({"machine": platform.machine(), "processor": platform.processor(),
                "dtype": str(np.dtype(jax.dtypes.canonicalize_dtype(np.complex128))),
                "seed": args.seed})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "simulator.json").write_text(json.dumps({"environment": env, "results": rows},
                                                        indent=2, default=str))
    table = _markdown(rows, list(peers), env)
    (args.out / "simulator.md").write_text(table)
    print()
    print(table)
    return 0


def _format_row(row: dict, peers: list[str]) -> str:
    ours = row["qinspired"]
    if "skipped" in ours:
        return f"n={row['n_qubits']:>2} batch={row['batch']:>5}: skipped (too large)"
    text = (f"n={row['n_qubits']:>2} batch={row['batch']:>5}: {ours['states_per_s']:>12,.0f} "
            f"states/s  compile {ours['compile_s']:.2f} s")
    for name in peers:
        if name in row:
            text += f"  {name} x{row[name]['speedup']:,.0f}"
    return text


def _markdown(rows: list[dict], peers: list[str], env: dict) -> str:
    head = ["n", "batch", "qinspired states/s", "compile (s)"]
    for name in peers:
        head += [f"{name} states/s", f"speed-up vs {name}", f"max abs diff vs {name}"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        ours = row["qinspired"]
        if "skipped" in ours:
            cells = [str(row["n_qubits"]), str(row["batch"]), "too large for memory", ""]
            cells += [""] * (3 * len(peers))
        else:
            cells = [str(row["n_qubits"]), str(row["batch"]), f"{ours['states_per_s']:,.0f}",
                     f"{ours['compile_s']:.2f}"]
            for name in peers:
                r = row.get(name)
                cells += ([f"{r['states_per_s']:,.1f}", f"{r['speedup']:,.0f}x",
                           f"{r['max_abs_diff']:.1e}"] if r else ["", "", ""])
        lines.append("| " + " | ".join(cells) + " |")
    devices = ", ".join(f"{d['platform']}:{d['device_kind']}" for d in env.get("devices", []))
    lines.append("")
    lines.append(f"ZZ feature map, reps={rows[0]['reps'] if rows else ''}, full entanglement; "
                 f"{env.get('dtype')}; devices: {devices}; jax {env['versions'].get('jax')}.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
