"""Command-line interface: ``qinspired <command>`` (or ``python -m qinspired <command>``).

Commands
--------
info
    Print versions, the JAX backend and devices, and the optional packages installed;
    ``--json`` prints the same report as JSON.
quickstart
    Run the quickstart job (``qinspired._quickstart.run``).
bench
    Run a benchmark suite (``quick``, ``standard``, ``full``): true-circuit,
    quantum-inspired and tuned classical models on the same data; resumable
    (cells are reused only when everything that determines them matches;
    ``--force`` recomputes); writes JSON, a markdown report and plots to
    ``--out`` and prints the report. ``--list`` prints suites, data sets and models.

Exit status is 0 on success and 2 on a usage error, as usual for argparse.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _positive_int(text: str) -> int:
    """Argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    """Argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    from qinspired import __version__

    parser = argparse.ArgumentParser(
        prog="qinspired",
        description="Quantum-inspired machine learning in JAX.",
    )
    parser.add_argument("--version", action="version", version=f"qinspired {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    info_parser = commands.add_parser(
        "info",
        help="show versions, the JAX backend and devices, and optional packages",
        description="Show versions, the JAX backend and devices, and optional packages.",
    )
    info_parser.add_argument(
        "--json", action="store_true", help="print the report as JSON instead of text"
    )
    info_parser.set_defaults(handler=_cmd_info)

    quick = commands.add_parser(
        "quickstart",
        help="run the quickstart job",
        description="Run the quickstart job.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    quick.add_argument(
        "--n-qubits", type=_positive_int, default=12, help="number of qubits (features)"
    )
    quick.add_argument(
        "--batch", type=_positive_int, default=1000, help="number of data points"
    )
    quick.add_argument(
        "--reps", type=_positive_int, default=2, help="repetitions of the feature-map layer"
    )
    quick.add_argument(
        "--seed", type=_non_negative_int, default=0, help="seed for data and models"
    )
    quick.set_defaults(handler=_cmd_quickstart)

    bench = commands.add_parser(
        "bench",
        help="run a benchmark suite",
        description="Run a benchmark suite: each model tuned by cross-validation, tested on "
                    "held-out data over several seeds, compared with the best tuned classical "
                    "model. Finished cells in --out are reused when everything that determines "
                    "them (data, model, grid, protocol, version) matches.",
    )
    bench.add_argument("--suite", default="quick", choices=["quick", "standard", "full"],
                       help="which suite (default: quick, a few minutes on a CPU)")
    bench.add_argument("--list", action="store_true",
                       help="print the suites, their data sets and the models, and exit")
    bench.add_argument("--out", default="bench-results", help="results folder")
    bench.add_argument("--models", nargs="+", default=None, help="only these models")
    bench.add_argument("--datasets", nargs="+", default=None, help="only these data sets")
    bench.add_argument("--seeds", type=_positive_int, default=None,
                       help="number of seeds (default: the suite's)")
    bench.add_argument("--force", action="store_true",
                       help="recompute every cell, even those already in --out")
    bench.add_argument("--quiet", action="store_true", help="no progress line")
    bench.set_defaults(handler=_cmd_bench)
    return parser


def _cmd_info(args: argparse.Namespace) -> int:
    from qinspired._info import format_info, info

    report = info()
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print(format_info(report))
    return 0


def _cmd_quickstart(args: argparse.Namespace) -> int:
    try:
        _quickstart = importlib.import_module("qinspired._quickstart")
    except ModuleNotFoundError as exc:
        if exc.name != "qinspired._quickstart":
            raise
        print("qinspired: the quickstart job is not available in this build", file=sys.stderr)
        return 1
    result = _quickstart.run(
        n_qubits=args.n_qubits, batch=args.batch, reps=args.reps, seed=args.seed
    )
    # `run` reports its own results; an int it returns becomes the exit status.
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from qinspired.bench import describe, run

    if args.list:
        print(describe())
        return 0
    try:
        path, text, done = run(args.suite, args.out, models=args.models,
                               datasets=args.datasets, seeds=args.seeds, force=args.force,
                               verbose=not args.quiet)
    except (ValueError, OSError) as exc:
        # A bad selection or results folder: one line naming it, never a traceback.
        print(f"qinspired bench: {exc}", file=sys.stderr)
        return 2
    print(text)
    print(f"report: {path}")
    print(done.summary_line())
    return 0


def _exit_status(code: object) -> int:
    """Exit status carried by a SystemExit, as sys.exit would report it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``qinspired`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit status: 0 on success, 2 on a usage error (argparse's convention).

    Examples
    --------
    >>> from qinspired.cli import main
    >>> main(["info"])  # doctest: +SKIP
    0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # --help, --version and usage errors
        return _exit_status(exc.code)
    handler = args.handler
    return int(handler(args))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
