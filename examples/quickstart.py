"""Simulate a batch of ZZ feature-map states and print states/s (same as `qinspired quickstart`)."""

from qinspired._quickstart import run

if __name__ == "__main__":
    raise SystemExit(run())
