"""Interactive API docs at `/docs`: Swagger UI from the pinned `swagger-ui-bundle-v2` package's own
dist files (served from `/docs/assets`, never a CDN: a server may have no internet), reading
`/openapi.json`, with "Try it out" calling this same server."""

from __future__ import annotations

from pathlib import Path

from litestar import MediaType, Response, get
from litestar.router import Router
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"

# Swagger UI sets inline styles; everything else comes from this origin, and its calls go only here.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>OpenOffers API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""

# A file of its own rather than an inline script, so the page's policy needs no 'unsafe-inline' script.
_INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  displayOperationId: true,
  defaultModelsExpandDepth: 0,
  validatorUrl: null
});
"""


@get("/docs", include_in_schema=False)
async def docs_page() -> Response[str]:
    return Response(_PAGE, media_type=MediaType.HTML, headers={"Content-Security-Policy": DOCS_POLICY})


@get("/docs/init.js", include_in_schema=False)
async def docs_init() -> Response[str]:
    return Response(_INIT, media_type="text/javascript")


def docs_assets() -> Router:
    """Swagger UI's dist files, as the package ships them."""
    return create_static_files_router(
        path=ASSETS, directories=[Path(str(swagger_ui_path))], name="api-docs-assets", include_in_schema=False
    )
