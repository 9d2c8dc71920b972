"""Swagger UI for the merged spec, from the assets Powertools ships (no CDN at runtime)."""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler.openapi import swagger_ui as _assets
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

ASSETS_DIR = Path(_assets.__file__).parent
ASSET_PATHS = {
    "/docs/swagger-ui-bundle.min.js": ASSETS_DIR / "swagger-ui-bundle.min.js",
    "/docs/swagger-ui.min.css": ASSETS_DIR / "swagger-ui.min.css",
}
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>dotline API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.min.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.min.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  </script>
</body>
</html>
"""


def swagger_routes() -> list[Route]:
    """`/docs` and the two asset files it loads."""

    async def page(_request: Request) -> Response:
        return HTMLResponse(_PAGE)

    async def asset(request: Request) -> Response:
        path = ASSET_PATHS[request.url.path]
        return FileResponse(path, headers={"cache-control": "public, max-age=86400"})

    return [Route("/docs", page, methods=["GET"])] + [
        Route(url, asset, methods=["GET"]) for url in ASSET_PATHS
    ]
