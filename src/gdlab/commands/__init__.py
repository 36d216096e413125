"""Sub-commands beyond the core ones: each module here defines ``command`` (a click
command) and is found by name, so adding a command means adding a module."""
