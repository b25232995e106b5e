"""The central server: one HTTP API (FastAPI) over one database (SQLAlchemy Core) that collects
the event log of every device of every site and hands out what devices share: the site's
events, its devices' public keys and the host directory.

``create_app`` builds the ASGI app; ``kiosk-server`` (``sync.server.cli``) runs and manages it.
"""

from sync.server.app import create_app
from sync.server.errors import ServerError

__all__ = ["create_app", "ServerError"]
