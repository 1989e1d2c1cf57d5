"""rustfs-aws: Pulumi components that run RustFS on AWS, one sub-package per concern.

Installed as ``rustfs_aws`` (pyproject.toml maps this folder to that name); in the repository the
``rustfs_aws`` symlink gives the program the same import path. ``network``, ``security``, ``cluster``,
``observability``, ``operations`` and ``storage`` are the modules of the components' type tokens
(``rustfs:<module>:<Type>``); ``config`` is the validated stack configuration the program reads.
"""

# The one place the version is written: pyproject.toml reads it (setuptools dynamic version), the component
# package reports it (provider/__main__.py), CHANGELOG.md describes it. Semantic versioning: see README.md.
__version__ = "0.1.0"
