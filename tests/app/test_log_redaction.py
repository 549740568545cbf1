"""Request logs keep no secret link: the tracking, survey and password tokens in a path are
hidden in the development server's log and in gunicorn's access log."""

from __future__ import annotations

import importlib
import logging
import threading
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from gunicorn.config import Config
from werkzeug.serving import make_server

SECRET = "Zq8tS3cretT0ken-abc_123"
PATHS = [f"/track/{SECRET}", f"/survey/{SECRET}", f"/auth/password/{SECRET}?next=/"]


def test_the_development_servers_request_lines_hide_the_tokens(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            for path in PATHS:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}").close()
                except urllib.error.HTTPError:
                    pass  # an unknown token is a 404: what matters is the log line
    finally:
        server.shutdown()
        thread.join(timeout=5)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    # Each path, and the survey link's redirect to the tracking page, was logged.
    assert len([line for line in lines if "GET /" in line]) == len(PATHS) + 1, lines
    assert not any(SECRET in line for line in lines), lines
    assert any("GET /track/… HTTP/1.1" in line for line in lines), lines
    assert any("GET /auth/password/…?next=/" in line for line in lines), lines


def test_gunicorns_access_log_hides_the_tokens(tmp_path: Path) -> None:
    # As gunicorn reads `-c python:app.gunicorn_conf`: the module's names.
    namespace = vars(importlib.import_module("app.gunicorn_conf"))
    config = Config()
    config.set("logger_class", namespace["logger_class"])
    config.set("accesslog", str(tmp_path / "access.log"))
    logger = config.logger_class(config)
    for path in PATHS:
        raw_path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "RAW_URI": path,
            "PATH_INFO": raw_path,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "203.0.113.9",
        }
        request = SimpleNamespace(headers=[], method="GET", uri=path, path=raw_path, query=query)
        response = SimpleNamespace(status="404 NOT FOUND", headers=[], sent=10, response_length=10)
        logger.access(response, request, environ, SimpleNamespace(seconds=0, microseconds=1000))
    for handler in logger.access_log.handlers:
        handler.flush()
    log = (tmp_path / "access.log").read_text()
    assert log.count('"GET /') == len(PATHS), log
    assert SECRET not in log
    assert '"GET /survey/… HTTP/1.1" 404' in log
