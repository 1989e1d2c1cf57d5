"""Pure models shared by the Pulumi program and the policy pack.

This package lives inside ``policies/`` so that ``pulumi policy publish`` (which archives the pack
folder alone) carries it; the program imports it through the top-level ``rustfs_model`` symlink.
It must stay free of Pulumi resources and of imports from ``components/``.
"""
