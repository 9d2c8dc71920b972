"""Local-only tooling (the stack, the gateway, the CLI, the benches' helpers); never shipped.

Whatever imports it runs against the local stack, so the local profile is the default here: the
settings' local defaults and the embedded backends may serve (see dotline.profile). An explicit
DOTLINE_PROFILE wins, as a test of the deployed profile sets it.
"""

import os

os.environ.setdefault("DOTLINE_PROFILE", "local")
