"""gunicorn's error log in the service's one format (service.logs), and the root logger of
the master and its workers with it, so that the app's records are not printed bare by
Python's last-resort handler. gunicorn's access log stays off: the service writes its own."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger

from service.logs import formatter_for, set_role


class GunicornLogger(Logger):  # type: ignore[misc]  # gunicorn has no type hints
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        set_role("gunicorn")
        for handler in self.error_log.handlers:
            stream = getattr(handler, "stream", None)
            if stream is not None:
                handler.setFormatter(formatter_for(stream))
        root = logging.getLogger()
        if not any(getattr(h, "grantledger", False) for h in root.handlers):
            handler = logging.StreamHandler()
            handler.setFormatter(formatter_for(handler.stream))
            handler.grantledger = True  # type: ignore[attr-defined]
            root.addHandler(handler)
        root.setLevel(self.error_log.level)
