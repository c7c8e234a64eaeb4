r"""Noise models: which channels act after which gates, and readout errors.

A :class:`NoiseModel` is an immutable list of rules, each "after gates named
``after`` (None: every gate), on wires ``wires`` (None: any), apply this
channel", plus readout errors per wire. The simulators ask it, operation by
operation, for the resolved channels with :meth:`NoiseModel.channels_after`.
It is a pytree: the channels' parameters are the leaves and the rules'
structure (gate names, wires) is static, so a jitted simulation traces once
per structure and can be differentiated with respect to noise strengths.

Resolution rules, for an operation ``op`` at position ``i`` of a circuit:

* rules apply in the order they were added, each only when ``after`` is None
  or contains ``op.name`` (canonical gate names; aliases are resolved);
* a 1-qubit channel acts on each of ``op.wires`` (in the gate's order) that is
  in the rule's ``wires`` (all of them when ``wires`` is None);
* a 2-qubit channel acts on ``op.wires`` (in the gate's order) when the rule's
  ``wires`` equals that tuple; with ``wires=None`` the gate must act on
  exactly two wires, otherwise a ``ValueError`` names the gate;
* the readout error of a wire is the last added one that covers it.

Examples
--------
>>> from qinspired.circuits import Circuit
>>> from qinspired.circuits.channels import Depolarizing, Depolarizing2, ReadoutError
>>> from qinspired.circuits.noise_model import NoiseModel
>>> model = (NoiseModel()
...          .add_all_qubit(Depolarizing(0.01), after=["h"])
...          .add_all_qubit(Depolarizing2(0.02), after=["cx"])
...          .add_readout(ReadoutError(0.02, 0.01)))
>>> bell = Circuit(2, [("h", 0), ("cx", (0, 1))])
>>> [(type(ch).__name__, wires) for ch, wires in model.channels_after(bell.operations[1], 1)]
[('Depolarizing2', (0, 1))]
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import os
import warnings
import zlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from qinspired._pytree import pytree_dataclass, static_field
from qinspired._random import explicit_key
from qinspired._validation import check_in_range, check_int, check_real, is_int
from qinspired.circuits.channels import (
    Channel,
    Depolarizing,
    Depolarizing2,
    ReadoutError,
    ThermalRelaxation,
    make_channel,
)
from qinspired.circuits.circuit import Operation
from qinspired.circuits.gates import GATES, canonical_gate_name
from qinspired.circuits.statevector import real_dtype

__all__ = ["NoiseModel", "UnusedNoiseWarning", "warn_if_unused"]

Wires = tuple[int, ...]
_QUBIT_KEYS = ("t1", "t2", "excited_population", "p1", "p0given1", "p1given0")
_CALIBRATION_KEYS = ("n_qubits", "qubits", "gate_time_1q", "gate_time_2q", "gates_1q",
                     "gates_2q", "p2", "pairs")


@pytree_dataclass
class _Rule:
    channel: Channel
    after: tuple[str, ...] | None = static_field(default=None)
    wires: Wires | None = static_field(default=None)


@pytree_dataclass
class _ReadoutRule:
    error: ReadoutError
    wires: Wires | None = static_field(default=None)


@dataclasses.dataclass(frozen=True)
class _Layout:
    """How a calibration maps onto the rules: one ``(kind, target)`` entry per rule."""

    n_qubits: int
    gates_1q: tuple[str, ...]
    gates_2q: tuple[str, ...]
    gate_times: tuple[float | None, float | None]
    entries: tuple[tuple[str, Any], ...]
    readout: tuple[int, ...]


def _gate_names(owner: str, names: Any) -> tuple[str, ...] | None:
    if names is None:
        return None
    if isinstance(names, str):
        names = (names,)
    out = tuple(dict.fromkeys(canonical_gate_name(n) for n in names))
    if not out:
        raise ValueError(f"{owner}: after=[] matches no gate; use None for every gate")
    return out


def _wire_tuple(owner: str, wires: Any) -> Wires | None:
    if wires is None:
        return None
    wires = (wires,) if is_int(wires) else tuple(wires)
    if not wires or not all(is_int(w) and w >= 0 for w in wires) or len(set(wires)) < len(wires):
        raise ValueError(f"{owner}: wires={wires!r} must be distinct non-negative integers")
    return tuple(int(w) for w in wires)


def _fmt(value: Any) -> str:
    if np.ndim(value) == 0:
        try:
            return f"{float(value):.4g}"
        except TypeError:  # traced
            return "traced"
    return f"array{np.shape(value)}"


def _describe(noise: Any, after: tuple[str, ...] | None, wires: Wires | None) -> str:
    params = ", ".join(f"{n}={_fmt(v)}" for n, v in noise.params().items())
    where = "" if after is None else f" after {list(after)}"
    return f"{noise._label}({params}){where} on {'all wires' if wires is None else wires}"


class UnusedNoiseWarning(UserWarning):
    """A non-empty noise model none of whose rules can act on the circuit's wires.

    Rules on wires a circuit does not have are dropped on purpose (a model
    calibrated for a larger device applies to a smaller circuit), but when
    every rule is dropped the "noisy" result is the noiseless one, which is
    rarely what was meant.
    """


# Set inside :func:`one_unused_noise_warning`: whether that scope has warned already.
_WARNED: contextvars.ContextVar[list | None] = contextvars.ContextVar("_WARNED", default=None)


@contextlib.contextmanager
def one_unused_noise_warning() -> Iterator[None]:
    """Within this block :func:`warn_if_unused` warns at most once (for functions that
    simulate or read out the same circuit several times in one call)."""
    if _WARNED.get() is not None:  # an enclosing scope decides
        yield
        return
    token = _WARNED.set([])
    try:
        yield
    finally:
        _WARNED.reset(token)


def warn_if_unused(noise: Any, n_qubits: int) -> None:
    """Warn (:class:`UnusedNoiseWarning`) when a non-empty :class:`NoiseModel` has no rule
    that can act on a circuit of ``n_qubits`` wires: every channel and readout rule names
    only absent wires. Anything else (None, an empty model, other objects) passes."""
    if not isinstance(noise, NoiseModel) or noise.is_empty or noise.acts_on(n_qubits):
        return
    warned = _WARNED.get()
    if warned:
        return
    named = sorted({w for rule in noise.rules + noise.readout for w in rule.wires or ()})
    warnings.warn(
        f"the noise model has {len(noise.rules) + len(noise.readout)} rule(s), on wires "
        f"{named}, and none acts on this {n_qubits}-qubit circuit (wires 0..{n_qubits - 1}): "
        "the result is noiseless. Rules on absent wires are dropped on purpose (a model "
        "calibrated for a larger device); check the wires if noise was intended",
        UnusedNoiseWarning, stacklevel=3,
    )
    if warned is not None:
        warned.append(True)


@jax.jit
def _random_walks(key: jax.Array, ids: jax.Array, steps: jax.Array) -> jax.Array:
    """``W_t = sum_{s=1..t} xi_s`` for each id, with ``xi_s`` drawn from key (id, s)."""
    def walk(i: jax.Array) -> jax.Array:
        k = jax.random.fold_in(key, i)
        step = lambda s, acc: acc + jax.random.normal(jax.random.fold_in(k, s), (), acc.dtype)
        return jax.lax.fori_loop(1, steps + 1, step, jnp.zeros((), real_dtype()))
    return jax.vmap(walk)(ids)


@pytree_dataclass
class NoiseModel:
    r"""An immutable noise model (see the module documentation for the rules).

    Build one with :meth:`add_all_qubit`, :meth:`add` and :meth:`add_readout`
    (each returns a new model), or from a device calibration with
    :meth:`from_calibration`. Simulators call :meth:`channels_after` and
    :meth:`readout_errors`.
    """

    rules: tuple[_Rule, ...] = ()
    readout: tuple[_ReadoutRule, ...] = ()
    layout: _Layout | None = static_field(default=None)

    # -- building ------------------------------------------------------------------
    def add_all_qubit(self, channel: Channel, after: Sequence[str] | None = None) -> NoiseModel:
        """Apply ``channel`` after every gate named in ``after`` (None: every gate).

        A 1-qubit channel acts on each wire of the gate; a 2-qubit channel on
        the wires of a 2-qubit gate, in the gate's order (a gate on another
        number of wires then raises at resolution time).
        """
        return self.add(channel, after=after, wires=None)

    def add(
        self,
        channel: Channel,
        after: Sequence[str] | None = None,
        wires: Sequence[int] | int | None = None,
    ) -> NoiseModel:
        """Apply ``channel`` after the gates named in ``after`` that touch ``wires``.

        Parameters
        ----------
        channel : Channel
            A 1- or 2-qubit channel.
        after : sequence of str, optional
            Gate names (aliases allowed); None means every gate.
        wires : sequence of int, optional
            For a 1-qubit channel, the wires it may act on (those of the gate's
            wires that are listed). For a 2-qubit channel, the exact wire
            tuple of the gates it follows (order matters). None: any.

        Raises
        ------
        TypeError
            When ``channel`` is not a :class:`Channel`.
        ValueError
            For unknown gate names, bad wires, a 2-qubit channel with
            ``wires`` not of length 2, or with ``after`` naming a gate that
            does not act on two wires.
        """
        if not isinstance(channel, Channel):
            raise TypeError(f"NoiseModel.add: expected a Channel, got {type(channel).__name__}")
        owner = f"NoiseModel.add({channel.name})"
        names, wire_t = _gate_names(owner, after), _wire_tuple(owner, wires)
        k = channel.n_wires
        if k not in (1, 2):
            raise ValueError(f"{owner}: only 1- and 2-qubit channels are supported, got {k}")
        if k == 2 and wire_t is not None and len(wire_t) != 2:
            raise ValueError(f"{owner}: a 2-qubit channel needs wires=(a, b), got {wire_t}")
        if k == 2 and wire_t is None and names is not None:
            bad = [n for n in names if GATES[n].n_wires not in (0, 2)]
            if bad:
                raise ValueError(f"{owner}: a 2-qubit channel cannot follow the gates {bad}, "
                                 "which do not act on two wires")
        rule = _Rule(channel.validate(), names, wire_t)
        return NoiseModel(self.rules + (rule,), self.readout, None)

    def add_readout(self, error: ReadoutError, wires: Sequence[int] | int | None = None
                    ) -> NoiseModel:
        """Add a readout error on ``wires`` (None: every wire).

        A later readout error replaces an earlier one on the wires they share.
        """
        if not isinstance(error, ReadoutError):
            raise TypeError(f"NoiseModel.add_readout: expected a ReadoutError, got "
                            f"{type(error).__name__}")
        rule = _ReadoutRule(error.validate(), _wire_tuple("NoiseModel.add_readout", wires))
        return NoiseModel(self.rules, self.readout + (rule,), None)

    # -- resolution ----------------------------------------------------------------
    def channels_after(self, op: Operation, position: int) -> tuple[tuple[Channel, Wires], ...]:
        """The channels to apply right after ``op``, with their wires, in order.

        Parameters
        ----------
        op : Operation
            The circuit operation.
        position : int
            Its index in the circuit (for error messages).

        Returns
        -------
        tuple of (Channel, tuple of int)
            Validated channels (messages name the wire, gate and position).

        Raises
        ------
        ValueError
            For a 2-qubit channel without ``wires`` after a gate that does not
            act on two wires, or a channel whose parameters are invalid.
        """
        name, op_wires = canonical_gate_name(op.name), tuple(op.wires)
        out: list[tuple[Channel, Wires]] = []
        for rule in self.rules:
            if rule.after is not None and name not in rule.after:
                continue
            ch = rule.channel
            if ch.n_wires == 1:
                for w in op_wires:
                    if rule.wires is None or w in rule.wires:
                        where = f"on wire {w} after gate {name!r} (operation {position})"
                        out.append((ch.validate(where), (w,)))
                continue
            if rule.wires is not None and rule.wires != op_wires:
                continue
            if len(op_wires) != 2:
                raise ValueError(
                    f"{ch.name} channel is a 2-qubit channel but gate {name!r} (operation "
                    f"{position}) acts on {len(op_wires)} wire(s) {op_wires}; add it with "
                    "after=[...] naming 2-qubit gates, or with wires=(a, b)")
            where = f"on wires {op_wires} after gate {name!r} (operation {position})"
            out.append((ch.validate(where), op_wires))
        return tuple(out)

    def readout_errors(self, n_qubits: int) -> tuple[ReadoutError | None, ...]:
        """The readout error of each wire ``0 .. n_qubits - 1`` (None: perfect readout)."""
        n = check_int("NoiseModel.readout_errors", "n_qubits", n_qubits, 1)
        out: list[ReadoutError | None] = [None] * n
        for rule in self.readout:
            for w in range(n) if rule.wires is None else rule.wires:
                if w < n:
                    out[w] = rule.error.validate(f"on wire {w}")
        return tuple(out)

    def acts_on(self, n_qubits: int) -> bool:
        """Whether some rule can act on a circuit of ``n_qubits`` wires.

        A rule without ``wires`` can; a 1-qubit channel or a readout error on
        listed wires can when one of them is below ``n_qubits``; a 2-qubit
        channel on ``(a, b)`` when both are. (Whether the circuit has the
        gates a rule follows is not considered.) False for an empty model.
        """
        for rule in self.rules:
            if rule.wires is None:
                return True
            present = [w < n_qubits for w in rule.wires]
            if all(present) if rule.channel.n_wires == 2 else any(present):
                return True
        return any(rule.wires is None or min(rule.wires) < n_qubits for rule in self.readout)

    @property
    def is_empty(self) -> bool:
        """True when the model has neither channels nor readout errors."""
        return not self.rules and not self.readout

    def __repr__(self) -> str:
        lines = [_describe(r.channel, r.after, r.wires) for r in self.rules]
        lines += [_describe(r.error, None, r.wires) for r in self.readout]
        if not lines:
            return "NoiseModel(empty)"
        shown = lines[:20] + ([f"... and {len(lines) - 20} more"] if len(lines) > 20 else [])
        return "NoiseModel(\n" + "".join(f"  {s},\n" for s in shown) + ")"

    # -- transformations ------------------------------------------------------------
    def scaled(self, factor: float) -> NoiseModel:
        """Every channel and readout error scaled by ``factor`` (see ``Channel.scaled``).

        Used by zero-noise extrapolation; raises ``ValueError`` (naming the
        rule) when a scaled parameter leaves its valid range.
        """
        check_real("NoiseModel.scaled", "factor", factor)

        def scale(noise: Any, after: Any, wires: Any) -> Any:
            try:
                return noise.scaled(factor)
            except ValueError as exc:
                raise ValueError(f"NoiseModel.scaled: {_describe(noise, after, wires)}: "
                                 f"{exc}") from None

        rules = tuple(r.replace(channel=scale(r.channel, r.after, r.wires)) for r in self.rules)
        readout = tuple(r.replace(error=scale(r.error, None, r.wires)) for r in self.readout)
        return NoiseModel(rules, readout, self.layout)

    def drifted(self, time_index: int, key_or_seed: Any, relative_sigma: float = 0.05
                ) -> NoiseModel:
        r"""The model at time step ``time_index`` of a seeded parameter drift.

        Each drifting parameter :math:`\theta` (probabilities, damping rates,
        :math:`T_1`, :math:`T_2`, readout probabilities; not gate times,
        equilibrium populations or Kraus matrices) follows a geometric random
        walk in the time index,

        .. math::

            \theta_t = \theta_0 \exp(\sigma W_t), \qquad
            W_t = \sum_{s=1}^{t} \xi_s, \quad \xi_s \sim \mathcal{N}(0, 1),

        so it is log-normal at every step with median :math:`\theta_0`, and
        consecutive steps differ by a factor :math:`e^{\sigma \xi}` (about
        :math:`1 \pm \sigma`). The steps :math:`\xi_s` are drawn from the key
        folded with a hash of the parameter's identity (channel type,
        parameter name, the rule's wires) and with ``s``: the same seed and
        time index give identical models, and a parameter shared by several
        rules (e.g. a qubit's :math:`T_1` after 1- and 2-qubit gates) drifts
        as one. Drifted values are projected back into the valid range
        (probabilities clipped to [0, 1], sums rescaled to at most 1,
        :math:`T_2 \le 2T_1`). The cost grows linearly with ``time_index``.
        Slow drift of device parameters is reported e.g. by Klimov et al.,
        Phys. Rev. Lett. 121, 090502 (2018) and Proctor et al., Nat.
        Commun. 11, 5396 (2020).

        Parameters
        ----------
        time_index : int >= 0
            The time step; 0 returns the parameters unchanged.
        key_or_seed : int or jax.random key
            The seed of the drift.
        relative_sigma : float >= 0, default 0.05
            The relative size :math:`\sigma` of one step.
        """
        t = check_int("NoiseModel.drifted", "time_index", time_index, 0)
        sigma = float(check_in_range("NoiseModel.drifted", "relative_sigma", relative_sigma,
                                     0.0))
        key = explicit_key(key_or_seed, "NoiseModel.drifted")
        items = [(r.channel, r.wires) for r in self.rules] + [(r.error, r.wires)
                                                               for r in self.readout]
        idents = [[f"{noise.name}.{n}@{'all' if wires is None else wires}"
                   for n in noise.drift_names()] for noise, wires in items]
        flat = sorted({i for group in idents for i in group})
        if not flat:
            return self
        ids = np.array([zlib.crc32(i.encode()) for i in flat], dtype=np.uint32)
        walks = _random_walks(key, jnp.asarray(ids), jnp.asarray(t, jnp.int32))
        factor = dict(zip(flat, jnp.exp(sigma * walks)))
        moved = [noise._clamped(**{n: getattr(noise, n) * factor[i]
                                   for n, i in zip(noise.drift_names(), group)})
                 for (noise, _), group in zip(items, idents)]
        rules = tuple(r.replace(channel=c) for r, c in zip(self.rules, moved))
        readout = tuple(r.replace(error=e) for r, e in zip(self.readout, moved[len(rules):]))
        return NoiseModel(rules, readout, self.layout)

    # -- calibration ----------------------------------------------------------------
    @classmethod
    def from_calibration(cls, calibration: Mapping[str, Any]) -> NoiseModel:
        r"""A noise model from a device calibration (or from :meth:`to_dict` output).

        The calibration is a plain dict (JSON object)::

            {
              "n_qubits": 2,                    # optional, = len(qubits)
              "gate_time_1q": 3.5e-8,           # needed with t1/t2 (any time unit,
              "gate_time_2q": 3.0e-7,           #  the same as t1 and t2)
              "gates_1q": ["x", "sx", "rz"],    # optional; default: all 1-qubit gates
              "gates_2q": ["cx"],               # optional; default: all 2-qubit gates
              "p2": 0.01,                       # optional 2-qubit depolarizing, or
              "pairs": [{"wires": [0, 1], "p2": 0.01}],   # per directed pair
              "qubits": [                       # one entry per qubit, all keys optional
                {"t1": 1e-4, "t2": 8e-5, "excited_population": 0.0, "p1": 1e-3,
                 "p0given1": 0.02, "p1given0": 0.01},
                ...
              ]
            }

        It builds, in this order: after every gate in ``gates_1q`` on qubit
        ``q``, :class:`Depolarizing` ``(p1)`` then :class:`ThermalRelaxation`
        ``(t1, t2, gate_time_1q, excited_population)``; after every gate in
        ``gates_2q``, :class:`Depolarizing2` ``(p2)`` on the gate's wires
        (``pairs``: only for gates on exactly those wires, in that order),
        then thermal relaxation with ``gate_time_2q`` on each of its wires;
        and a :class:`ReadoutError` ``(p0given1, p1given0)`` per qubit. A
        channel is added only when its keys are present (t1 and t2 go
        together; a missing readout probability is 0). ``p2`` and ``pairs``
        exclude each other.

        A dict with a ``"rules"`` key (what :meth:`to_dict` writes for models
        not built from a calibration) is read as a list of rules.

        Raises
        ------
        TypeError
            When ``calibration`` is not a mapping.
        ValueError
            For unknown keys, missing gate times, or invalid values; the
            message names the qubit or pair.
        """
        if not isinstance(calibration, Mapping):
            raise TypeError(f"NoiseModel.from_calibration: expected a dict, got "
                            f"{type(calibration).__name__}")
        if "rules" in calibration or "readout" in calibration:
            return cls._from_rules(calibration)
        return _build_calibration(cls, calibration)

    @classmethod
    def from_json(cls, source: str | os.PathLike) -> NoiseModel:
        """:meth:`from_calibration` of a JSON text or of a JSON file's path."""
        text = source
        if isinstance(source, os.PathLike) or not str(source).lstrip().startswith("{"):
            if not os.path.isfile(source):
                raise ValueError(f"NoiseModel.from_json: {str(source)[:80]!r} is neither JSON "
                                 "text nor an existing file")
            with open(source, encoding="utf-8") as fh:
                text = fh.read()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"NoiseModel.from_json: invalid JSON: {exc}") from None
        return cls.from_calibration(data)

    def to_dict(self) -> dict[str, Any]:
        """The model as a plain dict that :meth:`from_calibration` reads back.

        Models built by :meth:`from_calibration` (also after :meth:`scaled` or
        :meth:`drifted`) give the calibration format with their current
        parameter values; other models give ``{"rules": [...], "readout":
        [...]}``. Parameters must be concrete scalars.
        """
        return _calibration_dict(self) if self.layout is not None else self._rules_dict()

    def to_json(self, path: str | os.PathLike | None = None, indent: int = 2) -> str:
        """:meth:`to_dict` as JSON text, also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        return text

    def _rules_dict(self) -> dict[str, Any]:
        def listed(t: tuple | None) -> list | None:
            return None if t is None else list(t)

        rules = [{"channel": r.channel.name, "params": _plain_params(r.channel),
                  "after": listed(r.after), "wires": listed(r.wires)} for r in self.rules]
        readout = [{**_plain_params(r.error), "wires": listed(r.wires)} for r in self.readout]
        return {"rules": rules, "readout": readout}

    @classmethod
    def _from_rules(cls, data: Mapping[str, Any]) -> NoiseModel:
        model = cls()
        for i, rule in enumerate(data.get("rules", ())):
            try:
                params = dict(rule["params"])
                if isinstance(params.get("matrices"), Mapping):
                    m = params["matrices"]
                    params["matrices"] = np.asarray(m["real"]) + 1j * np.asarray(m["imag"])
                channel = make_channel(rule["channel"], **params)
                model = model.add(channel, rule.get("after"), rule.get("wires"))
            except (KeyError, TypeError) as exc:
                raise ValueError(f"NoiseModel.from_calibration: rule {i} is malformed: "
                                 f"{exc!r}") from None
        for rule in data.get("readout", ()):
            rule = dict(rule)
            wires = rule.pop("wires", None)
            model = model.add_readout(ReadoutError(**rule), wires)
        return model


def _plain(value: Any) -> float:
    if np.ndim(value) != 0:
        raise ValueError("NoiseModel.to_dict: parameters must be scalars, got an array of "
                         f"shape {np.shape(value)}")
    return float(value)


def _plain_params(noise: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for n, v in noise.params().items():
        if n == "matrices":
            m = np.asarray(v)
            out[n] = {"real": m.real.tolist(), "imag": m.imag.tolist()}
        else:
            out[n] = _plain(v)
    return out


def _default_gates(n_wires: int) -> tuple[str, ...]:
    return tuple(sorted(n for n, spec in GATES.items() if spec.n_wires == n_wires))


def _build_calibration(cls: type[NoiseModel], cal: Mapping[str, Any]) -> NoiseModel:
    owner = "NoiseModel.from_calibration"
    unknown = sorted(set(cal) - set(_CALIBRATION_KEYS))
    if unknown:
        raise ValueError(f"{owner}: unknown keys {unknown}; allowed: {list(_CALIBRATION_KEYS)}")
    qubits = cal.get("qubits")
    if not isinstance(qubits, Sequence) or not qubits:
        raise ValueError(f"{owner}: 'qubits' must be a non-empty list of per-qubit dicts")
    n = check_int(owner, "n_qubits", cal.get("n_qubits", len(qubits)), 1)
    if n != len(qubits):
        raise ValueError(f"{owner}: n_qubits={n} but {len(qubits)} qubit entries are given")
    gates = []
    for key, k in (("gates_1q", 1), ("gates_2q", 2)):
        names = tuple(dict.fromkeys(canonical_gate_name(g) for g in cal.get(key, ()))) \
            if key in cal else _default_gates(k)
        bad = [g for g in names if GATES[g].n_wires != k]
        if bad:
            raise ValueError(f"{owner}: {key} lists {bad}, which do not act on {k} wire(s)")
        gates.append(names)
    g1, g2 = gates
    if "p2" in cal and "pairs" in cal:
        raise ValueError(f"{owner}: give either 'p2' (every 2-qubit gate) or 'pairs', not both")
    for q, entry in enumerate(qubits):
        bad = sorted(set(entry) - set(_QUBIT_KEYS)) if isinstance(entry, Mapping) else None
        if bad is None or bad:
            raise ValueError(f"{owner}: qubit {q} must be a dict with keys from "
                             f"{list(_QUBIT_KEYS)}, got {entry!r}")
        if ("t1" in entry) != ("t2" in entry):
            raise ValueError(f"{owner}: qubit {q} needs both 't1' and 't2' (or neither)")
    relax = any("t1" in e for e in qubits)
    times: list[float | None] = []
    for key in ("gate_time_1q", "gate_time_2q"):
        if relax and key not in cal:
            raise ValueError(f"{owner}: '{key}' is needed for thermal relaxation (t1, t2)")
        times.append(float(check_in_range(owner, key, cal[key], 0.0)) if key in cal else None)

    model, entries, readout = cls(), [], []

    def add(kind: str, target: Any, make: Any, after: tuple[str, ...], wires: Any) -> None:
        nonlocal model
        if not after:
            return
        try:
            channel = make()
        except ValueError as exc:
            what = (f"qubit {target}" if is_int(target)
                    else "'p2'" if target is None else f"pair {target}")
            raise ValueError(f"{owner}: {what}: {exc}") from None
        model = model.add(channel, after, wires)
        entries.append((kind, target))

    def relaxation(entry: Mapping[str, Any], t: float | None) -> ThermalRelaxation:
        return ThermalRelaxation(entry["t1"], entry["t2"], t,
                                 entry.get("excited_population", 0.0))

    for q, e in enumerate(qubits):
        if "p1" in e:
            add("p1", q, lambda e=e: Depolarizing(e["p1"]), g1, (q,))
        if "t1" in e:
            add("tr1", q, lambda e=e: relaxation(e, times[0]), g1, (q,))
    if "p2" in cal:
        add("p2", None, lambda: Depolarizing2(cal["p2"]), g2, None)
    for pair in cal.get("pairs", ()):
        if not isinstance(pair, Mapping) or set(pair) != {"wires", "p2"}:
            raise ValueError(f"{owner}: each pair must be {{'wires': [a, b], 'p2': p}}, "
                             f"got {pair!r}")
        wires = _wire_tuple(owner, pair["wires"])
        if wires is None or len(wires) != 2 or max(wires) >= n:
            raise ValueError(f"{owner}: pair wires {pair['wires']!r} must be two distinct "
                             f"qubits in 0..{n - 1}")
        add("pair", wires, lambda p=pair: Depolarizing2(p["p2"]), g2, wires)
    for q, e in enumerate(qubits):
        if "t1" in e:
            add("tr2", q, lambda e=e: relaxation(e, times[1]), g2, (q,))
    for q, e in enumerate(qubits):
        if "p0given1" in e or "p1given0" in e:
            try:
                error = ReadoutError(e.get("p0given1", 0.0), e.get("p1given0", 0.0))
            except ValueError as exc:
                raise ValueError(f"{owner}: qubit {q}: {exc}") from None
            model = model.add_readout(error, (q,))
            readout.append(q)
    layout = _Layout(n, g1, g2, (times[0], times[1]), tuple(entries), tuple(readout))
    return NoiseModel(model.rules, model.readout, layout)


def _calibration_dict(model: NoiseModel) -> dict[str, Any]:
    lay = model.layout
    assert lay is not None
    qubits: list[dict[str, float]] = [{} for _ in range(lay.n_qubits)]
    out: dict[str, Any] = {"n_qubits": lay.n_qubits, "gates_1q": list(lay.gates_1q),
                           "gates_2q": list(lay.gates_2q)}
    for key, t in zip(("gate_time_1q", "gate_time_2q"), lay.gate_times):
        if t is not None:
            out[key] = t
    for (kind, target), rule in zip(lay.entries, model.rules):
        ch = rule.channel
        if kind == "p1":
            qubits[target]["p1"] = _plain(ch.p)
        elif kind in ("tr1", "tr2"):
            qubits[target].update(t1=_plain(ch.t1), t2=_plain(ch.t2),
                                  excited_population=_plain(ch.excited_population))
            out["gate_time_1q" if kind == "tr1" else "gate_time_2q"] = _plain(ch.gate_time)
        elif kind == "p2":
            out["p2"] = _plain(ch.p)
        else:
            out.setdefault("pairs", []).append({"wires": list(target), "p2": _plain(ch.p)})
    for q, rule in zip(lay.readout, model.readout):
        err = rule.error
        qubits[q].update(p0given1=_plain(err.p0given1), p1given0=_plain(err.p1given0))
    out["qubits"] = qubits
    return out
