"""rustfs-aws: Pulumi components that run RustFS on AWS, one sub-package per concern.

Installed as ``rustfs_aws`` (pyproject.toml maps this folder to that name); in the repository the
``rustfs_aws`` symlink gives the program the same import path. ``network``, ``security``, ``cluster``,
``observability``, ``operations`` and ``storage`` are the modules of the components' type tokens
(``rustfs:<module>:<Type>``); ``config`` is the validated stack configuration the program reads.
"""
