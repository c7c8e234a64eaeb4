"""Noisy simulation: exact density matrices against PennyLane and Qiskit Aer, and trajectories.

Part 1, density matrices. The ZZ feature map (``reps=2``) with a depolarizing channel
(``rho -> (1-p) rho + p I/2``) followed by amplitude damping (``gamma``) on every wire of
every gate, for a batch of data points: our ``density_matrix`` (jitted, vectorised over the
batch) against PennyLane's ``default.mixed`` (with parameter broadcasting) and Qiskit Aer's
``AerSimulator(method="density_matrix")`` (one bound circuit per data point, all in one
``run``), timed in the same run on the same data. PennyLane's ``DepolarizingChannel(q)`` is
``rho -> (1 - 4q/3) rho + (4q/3) I/2``, so it gets ``q = 3p/4``. The peers are timed on at most
``--peer-states`` data points (their cost is linear in the batch) and up to
``--pennylane-max-qubits`` / ``--aer-max-qubits`` (a peer call slower than 20 s is timed
once, not repeated); their density matrices are compared with ours (max abs difference).

Part 2, trajectories. For each ``n`` in ``--traj-qubits``, ``--n-trajectories`` Monte Carlo
wave functions per data point against the exact density matrix (up to ``--dm-max-qubits``):
time of both, and the error of the trajectory estimate of ``<Z_i>`` and ``<Z_i Z_{i+1}>``
(max abs error against the exact values, with the trajectories' own standard error), plus the
trace distance of the averaged trajectory density matrix where that fits in memory.

Compile time is reported apart from steady-state time; the latter is the median over
repeats. Results go to ``--out`` as JSON and a markdown table.

Usage::

    python benchmarks/noise.py --out bench-results/noise
    python benchmarks/noise.py --qubits 2 4 6 --batch 10 --traj-qubits 8 10 --no-peers
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import jax
import numpy as np
from _timing import median_time

from qinspired import info
from qinspired._validation import SimulationTooLargeError
from qinspired.circuits import pauli
from qinspired.circuits.channels import AmplitudeDamping, Depolarizing
from qinspired.circuits.density import density_expectation, density_matrix
from qinspired.circuits.trajectory import (
    trajectories,
    trajectory_density,
    trajectory_expectation,
)
from qinspired.circuits.noise_model import NoiseModel
from qinspired.feature_maps import ZZFeatureMap


def _peer_steady(fn, first: float, slow_s: float = 20.0) -> tuple[float, int]:
    """Median of repeats after the first call; a first call over ``slow_s`` is used alone."""
    if first > slow_s:
        return first, 1
    return median_time(fn, min_repeats=1, budget_s=5.0)


def noise_model(p: float, gamma: float) -> NoiseModel:
    return NoiseModel().add_all_qubit(Depolarizing(p)).add_all_qubit(AmplitudeDamping(gamma))


def feature_map(n: int, reps: int, entanglement: str) -> ZZFeatureMap:
    return ZZFeatureMap(n_features=n, reps=reps, entanglement=entanglement)


def gate_list(fm: ZZFeatureMap, x: np.ndarray) -> list[tuple[str, tuple[int, ...], np.ndarray]]:
    """The map's gates with their angles for every row of ``x`` (shape (batch,) per angle)."""
    out = []
    for op in fm.circuit.operations:
        angles = []
        for a in op.params:
            prod = np.ones(len(x))
            for f in a.factors:
                prod = prod * (f.shift + f.coef * x[:, f.index])
            angles.append(a.offset + a.scale * prod)
        out.append((op.name, op.wires, np.asarray(angles)))
    return out


# ----------------------------------------------------------------------------- part 1

def time_qinspired(fm, x, noise) -> dict:
    n = fm.n_qubits
    t0 = time.perf_counter()
    try:
        rho = density_matrix(fm, x, noise=noise).block_until_ready()
    except SimulationTooLargeError as exc:
        return {"skipped": str(exc)}
    first = time.perf_counter() - t0
    steady, repeats = median_time(lambda: density_matrix(fm, x, noise=noise).block_until_ready())
    return {"compile_plus_first_s": first, "compile_s": max(first - steady, 0.0),
            "steady_s": steady, "repeats": repeats, "states_per_s": len(x) / steady,
            "n_qubits": n, "rho": rho}


def time_pennylane(fm, x, p: float, gamma: float) -> dict:
    import pennylane as qml

    n = fm.n_qubits
    dev = qml.device("default.mixed", wires=n)
    gates = gate_list(fm, x)
    q_pl = 0.75 * p  # PennyLane's DepolarizingChannel(q) = (1 - 4q/3) rho + (4q/3) I/2

    @qml.qnode(dev)
    def circuit():
        for name, wires, angles in gates:
            if name == "h":
                qml.Hadamard(wires[0])
            elif name == "p":
                qml.PhaseShift(angles[0], wires=wires[0])
            elif name == "cx":
                qml.CNOT(list(wires))
            else:
                raise ValueError(f"unexpected gate {name}")
            for w in wires:
                qml.DepolarizingChannel(q_pl, wires=w)
                qml.AmplitudeDamping(gamma, wires=w)
        return qml.density_matrix(wires=list(range(n)))

    t0 = time.perf_counter()
    rho = np.asarray(circuit())
    first = time.perf_counter() - t0
    steady, repeats = _peer_steady(circuit, first)
    if rho.ndim == 2:  # a single data point is not broadcast
        rho = rho[None]
    return {"first_s": first, "steady_s": steady, "repeats": repeats,
            "states_per_s": len(x) / steady, "rho": rho}


def time_aer(fm, x, p: float, gamma: float) -> dict:
    from qiskit import QuantumCircuit
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel as AerNoiseModel
    from qiskit_aer.noise import amplitude_damping_error, depolarizing_error

    n = fm.n_qubits
    err1 = depolarizing_error(p, 1).compose(amplitude_damping_error(gamma))
    model = AerNoiseModel()
    model.add_all_qubit_quantum_error(err1, ["h", "p"])
    model.add_all_qubit_quantum_error(err1.tensor(err1), ["cx"])
    sim = AerSimulator(method="density_matrix", noise_model=model)
    gates = gate_list(fm, x)
    circuits = []
    for b in range(len(x)):
        qc = QuantumCircuit(n)
        for name, wires, angles in gates:
            if name == "h":
                qc.h(wires[0])
            elif name == "p":
                qc.p(float(angles[0][b]), wires[0])
            else:
                qc.cx(*wires)
        qc.save_density_matrix()
        circuits.append(qc)

    def run():
        return sim.run(circuits).result()

    t0 = time.perf_counter()
    result = run()
    first = time.perf_counter() - t0
    steady, repeats = _peer_steady(run, first)
    rhos = np.stack([np.asarray(result.data(b)["density_matrix"]) for b in range(len(x))])
    # Qiskit's qubit 0 is the least significant bit; ours is the most significant.
    rev = list(range(n - 1, -1, -1))
    rhos = rhos.reshape((len(x),) + (2,) * (2 * n))
    rhos = rhos.transpose([0] + [1 + q for q in rev] + [1 + n + q for q in rev])
    return {"first_s": first, "steady_s": steady, "repeats": repeats,
            "states_per_s": len(x) / steady, "rho": rhos.reshape(len(x), 2**n, 2**n)}


# ----------------------------------------------------------------------------- part 2

def observables(n: int):
    obs = [pauli(f"Z{i}") for i in range(n)] + [pauli(f"Z{i} Z{i + 1}") for i in range(n - 1)]
    return obs


def run_trajectories(fm, x, noise, n_traj: int, seed: int, dm_max: int) -> dict:
    n = fm.n_qubits
    key = jax.random.key(seed)
    row: dict = {"n_qubits": n, "batch": len(x), "n_trajectories": n_traj,
                 "n_gates": len(fm.circuit)}
    try:
        t0 = time.perf_counter()
        states = trajectories(fm, x, noise=noise, key=key, n_trajectories=n_traj)
        states.block_until_ready()
        first = time.perf_counter() - t0
        steady, repeats = median_time(
            lambda: trajectories(fm, x, noise=noise, key=key,
                                 n_trajectories=n_traj).block_until_ready(),
            min_repeats=1, budget_s=10.0)
    except SimulationTooLargeError as exc:
        row["trajectories"] = {"skipped": str(exc)}
        return row
    obs = observables(n)
    traj_vals = np.stack([np.asarray(trajectory_expectation(states, o)[0]) for o in obs])
    traj_se = np.stack([np.asarray(trajectory_expectation(states, o)[1]) for o in obs])
    row["trajectories"] = {"compile_s": max(first - steady, 0.0), "steady_s": steady,
                           "repeats": repeats, "states_per_s": len(x) / steady,
                           "mean_standard_error": float(np.mean(traj_se)),
                           "max_standard_error": float(np.max(traj_se))}
    if n > dm_max:
        row["density"] = {"skipped": f"n > --dm-max-qubits={dm_max}"}
        return row
    try:
        t0 = time.perf_counter()
        rho = density_matrix(fm, x, noise=noise).block_until_ready()
        first = time.perf_counter() - t0
        steady, repeats = median_time(
            lambda: density_matrix(fm, x, noise=noise).block_until_ready(),
            min_repeats=1, budget_s=10.0)
    except SimulationTooLargeError as exc:
        row["density"] = {"skipped": str(exc)}
        return row
    exact = np.stack([np.asarray(density_expectation(rho, o)) for o in obs])
    err = np.abs(traj_vals - exact)
    row["density"] = {"compile_s": max(first - steady, 0.0), "steady_s": steady,
                      "repeats": repeats, "states_per_s": len(x) / steady}
    row["error"] = {"max_abs_expectation_error": float(err.max()),
                    "mean_abs_expectation_error": float(err.mean()),
                    "max_error_in_standard_errors": float(np.max(err / np.maximum(traj_se,
                                                                                   1e-12)))}
    if n <= 10:
        approx = np.asarray(trajectory_density(states), dtype=np.complex128)
        diff = approx - np.asarray(rho, dtype=np.complex128)
        row["error"]["max_trace_distance"] = float(max(
            0.5 * np.sum(np.abs(np.linalg.eigvalsh(d))) for d in diff.reshape(-1, 2**n, 2**n)))
    row["speedup_trajectories_vs_density"] = steady / row["trajectories"]["steady_s"]
    return row


# ----------------------------------------------------------------------------- driver

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, nargs="*", default=list(range(2, 13)),
                        help="density-matrix part; give none to skip it")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--entanglement", default="full",
                        help="ZZ map pairs: full (Qiskit's default), linear, circular, ...")
    parser.add_argument("--p", type=float, default=0.01, help="depolarizing probability")
    parser.add_argument("--gamma", type=float, default=0.02, help="amplitude damping")
    parser.add_argument("--max-batch-qubits", type=int, default=99,
                        help="above this n, simulate --large-batch data points instead of --batch")
    parser.add_argument("--large-batch", type=int, default=1)
    parser.add_argument("--peer-states", type=int, default=10,
                        help="at most this many data points per cell for PennyLane and Aer")
    parser.add_argument("--pennylane-max-qubits", type=int, default=8)
    parser.add_argument("--aer-max-qubits", type=int, default=10)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--traj-qubits", type=int, nargs="*", default=[8, 10, 12, 14, 16],
                        help="trajectory part; give none to skip it")
    parser.add_argument("--traj-batch", type=int, default=1)
    parser.add_argument("--traj-entanglement", default=None,
                        help="ZZ map pairs in the trajectory part (default: --entanglement); "
                             "'linear' keeps the unrolled trajectory program small enough to "
                             "compile quickly at 14-16 qubits")
    parser.add_argument("--n-trajectories", type=int, default=200)
    parser.add_argument("--dm-max-qubits", type=int, default=12,
                        help="largest n for the exact density matrix in the trajectory part")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench-results/noise"))
    args = parser.parse_args(argv)

    peers = {}
    if not args.no_peers:
        for name, module, fn in (("pennylane", "pennylane", time_pennylane),
                                 ("qiskit_aer", "qiskit_aer", time_aer)):
            try:
                __import__(module)
                peers[name] = fn
            except ImportError:
                print(f"{name} not installed: skipped")

    load_start = os.getloadavg()
    env = info()
    env.update({"machine": platform.machine(), "processor": platform.processor(),
                "dtype": str(np.dtype(jax.dtypes.canonicalize_dtype(np.complex128))),
                "seed": args.seed,
                "noise": {"depolarizing_p": args.p, "amplitude_damping": args.gamma},
                "reps": args.reps, "entanglement": args.entanglement,
                "traj_entanglement": args.traj_entanglement or args.entanglement,
                "cpu_count": os.cpu_count()})
    rows: list[dict] = []
    traj_rows: list[dict] = []
    rng = np.random.default_rng(args.seed)
    noise = noise_model(args.p, args.gamma)
    for n in args.qubits:
        batch = args.batch if n <= args.max_batch_qubits else args.large_batch
        x = rng.uniform(0.0, 2.0 * np.pi, size=(batch, n))
        fm = feature_map(n, args.reps, args.entanglement)
        ours = time_qinspired(fm, x, noise)
        rho = ours.pop("rho", None)
        row = {"n_qubits": n, "batch": batch, "n_gates": len(fm.circuit), "qinspired": ours}
        for name, fn in peers.items():
            limit = args.pennylane_max_qubits if name == "pennylane" else args.aer_max_qubits
            if n > limit or rho is None:
                continue
            k = min(batch, args.peer_states)
            try:
                res = fn(fm, x[:k], args.p, args.gamma)
            except Exception as exc:  # noqa: BLE001 - a peer's failure is reported, not fatal
                row[name] = {"error": f"{type(exc).__name__}: {exc}"}
                continue
            res["n_states_timed"] = k
            res["max_abs_diff"] = float(np.max(np.abs(res.pop("rho") - np.asarray(rho[:k]))))
            res["speedup"] = ours["states_per_s"] / res["states_per_s"]
            row[name] = res
        rows.append(row)
        print(_format_row(row, list(peers)), flush=True)
        _write(args, env, rows, traj_rows, list(peers), load_start)

    for n in args.traj_qubits:
        x = rng.uniform(0.0, 2.0 * np.pi, size=(args.traj_batch, n))
        fm = feature_map(n, args.reps, args.traj_entanglement or args.entanglement)
        row = run_trajectories(fm, x, noise, args.n_trajectories, args.seed, args.dm_max_qubits)
        traj_rows.append(row)
        print(_format_traj(row), flush=True)
        _write(args, env, rows, traj_rows, list(peers), load_start)

    _write(args, env, rows, traj_rows, list(peers), load_start, final=True)
    return 0


def _write(args, env: dict, rows: list[dict], traj_rows: list[dict], peers: list[str],
           load_start: tuple, final: bool = False) -> None:
    """Write JSON and markdown (after every row, so an interrupted run keeps its results)."""
    env = dict(env, load_average_1_5_15min={"start": load_start, "end": os.getloadavg()},
               complete=final)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "noise.json").write_text(json.dumps(
        {"environment": env, "density_matrix": rows, "trajectories": traj_rows},
        indent=2, default=str))
    table = _markdown(rows, traj_rows, peers, env)
    (args.out / "noise.md").write_text(table)
    if final:
        print()
        print(table)


def _format_row(row: dict, peers: list[str]) -> str:
    ours = row["qinspired"]
    head = f"n={row['n_qubits']:>2} batch={row['batch']:>4}: "
    if "skipped" in ours:
        return head + "skipped (too large)"
    text = head + f"{ours['states_per_s']:>10,.1f} states/s  compile {ours['compile_s']:.2f} s"
    for name in peers:
        r = row.get(name)
        if r and "error" in r:
            text += f"  {name}: failed"
        elif r:
            text += f"  {name} x{r['speedup']:,.1f} (diff {r['max_abs_diff']:.1e})"
    return text


def _format_traj(row: dict) -> str:
    t = row["trajectories"]
    head = f"trajectories n={row['n_qubits']:>2} T={row['n_trajectories']}: "
    if "skipped" in t:
        return head + "skipped (too large)"
    text = head + f"{t['steady_s']:.3f} s  mean s.e. {t['mean_standard_error']:.3f}"
    if "error" in row:
        text += (f"  density {row['density']['steady_s']:.3f} s  max err "
                 f"{row['error']['max_abs_expectation_error']:.3f}")
    return text


def _markdown(rows: list[dict], traj_rows: list[dict], peers: list[str], env: dict) -> str:
    head = ["n", "batch", "gates", "qinspired states/s", "compile (s)"]
    for name in peers:
        head += [f"{name} states/s", f"speed-up vs {name}", f"max abs diff vs {name}"]
    lines: list[str] = []
    if rows:
        lines += ["### Density matrices", "", "| " + " | ".join(head) + " |",
                  "|" + "---|" * len(head)]
    for row in rows:
        ours = row["qinspired"]
        cells = [str(row["n_qubits"]), str(row["batch"]), str(row["n_gates"])]
        if "skipped" in ours:
            cells += ["too large for memory", ""] + [""] * (3 * len(peers))
        else:
            cells += [f"{ours['states_per_s']:,.2f}", f"{ours['compile_s']:.2f}"]
            for name in peers:
                r = row.get(name)
                if r is None:
                    cells += ["not timed", "", ""]
                elif "error" in r:
                    cells += ["failed", "", ""]
                else:
                    cells += [f"{r['states_per_s']:,.2f} ({r['n_states_timed']} pts)",
                              f"{r['speedup']:,.1f}x", f"{r['max_abs_diff']:.1e}"]
        lines.append("| " + " | ".join(cells) + " |")
    if traj_rows:
        lines += ["", "### Trajectories vs density matrix", "",
                  f"ZZ map with {env['traj_entanglement']} entanglement, one data point per row.",
                  ""]
    head = ["n", "gates", "trajectories", "traj. compile (s)", "traj. time (s)", "mean s.e.",
            "density time (s)",
            "max abs error", "max error / s.e.", "trace distance", "traj. speed-up"]
    if traj_rows:
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in traj_rows:
        t, d, e = row["trajectories"], row.get("density", {}), row.get("error", {})
        if "skipped" in t:
            lines.append(f"| {row['n_qubits']} | {row['n_gates']} | {row['n_trajectories']} | "
                         "too large |" + " |" * 7)
            continue
        cells = [str(row["n_qubits"]), str(row["n_gates"]), str(row["n_trajectories"]),
                 f"{t['compile_s']:.1f}", f"{t['steady_s']:.3f}",
                 f"{t['mean_standard_error']:.4f}",
                 "skipped" if "skipped" in d else f"{d['steady_s']:.3f}",
                 f"{e['max_abs_expectation_error']:.4f}" if e else "",
                 f"{e['max_error_in_standard_errors']:.1f}" if e else "",
                 f"{e['max_trace_distance']:.3f}" if "max_trace_distance" in e else "",
                 f"{row['speedup_trajectories_vs_density']:.1f}x"
                 if "speedup_trajectories_vs_density" in row else ""]
        lines.append("| " + " | ".join(cells) + " |")
    devices = ", ".join(f"{d['platform']}:{d['device_kind']}" for d in env.get("devices", []))
    lines.append("")
    lines.append(
        f"ZZ feature map, reps={env['reps']}, {env['entanglement']} entanglement; depolarizing "
        f"p={env['noise']['depolarizing_p']} then amplitude damping "
        f"gamma={env['noise']['amplitude_damping']} on every wire of every gate; {env['dtype']}; "
        f"devices: {devices} ({env['cpu_count']} CPUs, load average "
        f"{env['load_average_1_5_15min']['start'][0]:.1f} at start, "
        f"{env['load_average_1_5_15min']['end'][0]:.1f} at end); jax {env['versions'].get('jax')}. "
        "Expectation errors over <Z_i> and <Z_i Z_i+1>.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
