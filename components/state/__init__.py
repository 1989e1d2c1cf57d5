"""RustFS state as code (the ``rustfs`` config section): buckets, policies and service accounts declared in the stack,
published to SSM Parameter Store and applied on the nodes by the reconciler (state.py explains the design)."""

from rustfs_aws.exports import lazy_exports

# Imported on first use (exports.py): config imports settings, the program imports the component.
__all__, __getattr__ = lazy_exports(__name__, globals(), {
    "state": ("RustfsState", "RustfsStateArgs", "parameter_name", "table_name", "secret_name"),
    "settings": ("StateConfig", "parse_state_config"),
})
