"""The node bootstrap: scripts, systemd units and the renderer of the user data."""
