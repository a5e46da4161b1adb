"""Serves the built web app: hashed assets with long caching, everything else falls back to
index.html so client-side routes load on refresh."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from binelek.kit.errors import problem_response

NO_CACHE = {"cache-control": "no-cache"}


def default_dist_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "web" / "dist"


def mount_web_app(app: FastAPI, dist: Path) -> None:
    index = dist / "index.html"
    if (dist / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def spa(path: str, request: Request) -> Response:  # sync: FastAPI runs it in a thread (file checks)
        if path.startswith("api/") or path == "api":
            return problem_response(404, "RESOURCE_NOT_FOUND", "No such endpoint.")
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist.resolve()):
            headers = NO_CACHE if candidate.name in {"sw.js", "manifest.webmanifest"} else None
            return FileResponse(candidate, headers=headers)
        if not index.is_file():
            return problem_response(
                404,
                "WEB_APP_NOT_BUILT",
                "The web app is not built; run `make run` or `npm run build` in web/.",
            )
        return FileResponse(index, headers=NO_CACHE)
