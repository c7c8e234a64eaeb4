"""Quantum kernels, shipped as :mod:`qinspired.kernels`.

This folder sits at the top of the repository and is installed as the subpackage
``qinspired.kernels`` (see ``[tool.setuptools.package-dir]`` in ``pyproject.toml``).
Always import it as ``qinspired.kernels``, never as ``kernels``.

It is the kernel layer of the library: fidelity kernels
:math:`k(x, x') = |\\langle \\psi(x) | \\psi(x') \\rangle|^2` and projected kernels of
feature-map circuits, computed exactly from statevectors (and density matrices under
noise), next to their quantum-inspired approximations (closed forms for product feature
maps, MPS simulation at bond dimension :math:`\\chi`), together with tiled and sharded
Gram-matrix computation. The contents arrive with the kernel work; for now the
subpackage is empty.
"""

__all__: list[str] = []
