"""``gdlab serve``: the browser playground for the first lessons of gradient descent.

The server trains with the gdlab library itself (:mod:`gdlab.web.session` walks the loop
of ``gdlab.train`` one update at a time) and streams every update to the page over a
WebSocket; the page (``static/``: plain HTML, CSS and JavaScript drawing on ``<canvas>``,
no third-party code, its texts in an English and a Chinese catalogue) only draws. Modules:

- :mod:`~gdlab.web.limits`   bounds on sizes, rates and times
- :mod:`~gdlab.web.settings` the settings a URL carries: parsed, checked, completed
- :mod:`~gdlab.web.datasets` built-in sets, lesson stand-ins and uploaded tables
- :mod:`~gdlab.web.lessons`  the lessons menu and the one way to their texts
- :mod:`~gdlab.web.session`  one run, stepped update by update
- :mod:`~gdlab.web.views`    what each panel draws, as numbers
- :mod:`~gdlab.web.surface`  the loss plane, curve or slice with the path
- :mod:`~gdlab.web.updates`  the last update: its gradient, rule and values
- :mod:`~gdlab.web.jobs`     one training job per page: commands in, frames out
- :mod:`~gdlab.web.jsonin`   JSON from the page, parsed within bounds
- :mod:`~gdlab.web.app`      the Starlette application (page, JSON API, upload, WebSocket)
- :mod:`~gdlab.web.protocol` HTTP connections with deadlines (no stalling the server)
- :mod:`~gdlab.web.server`   binding, the printed URL, uvicorn
"""

from __future__ import annotations

from .app import create_app
from .server import serve
from .settings import Settings, parse_settings

__all__ = ["Settings", "create_app", "parse_settings", "serve"]
