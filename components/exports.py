"""The public names of a sub-package, imported on first use (PEP 562 module ``__getattr__``).

``from rustfs_aws.network import Network, NetworkArgs`` is how a program imports a component. The
sub-packages cannot import their modules eagerly: ``config`` imports ``cluster.bootstrap``,
``network.subnets`` and ``network.zones``, and ``cluster.storage_nodes`` imports ``config``, so an eager
``cluster/__init__.py`` would import ``config`` half-initialised whenever ``config`` is imported first.
Resolving each name when it is first asked for breaks that cycle and keeps ``import rustfs_aws.config``
(preflight, tests) from importing every component.

Rejected: eager imports in a cycle-safe order. The order would be a rule every new module must keep, and
its failure is an ImportError far from the module that broke it.
"""

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, namespace: dict[str, Any],
                 modules: dict[str, tuple[str, ...]]) -> tuple[list[str], Callable[[str], Any]]:
    """``(__all__, __getattr__)`` for ``package``: ``modules`` maps each sub-module to the names it exports."""
    owner = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in owner:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{owner[name]}"), name)
        namespace[name] = value  # later look-ups skip this function
        return value

    return sorted(owner), __getattr__
