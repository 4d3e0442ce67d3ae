"""HTML pages the API serves itself: the interactive docs and the index without a dashboard.

The docs page is Swagger UI loaded from the jsDelivr CDN (pinned major version), reading
``/openapi.json``; it needs internet access in the browser, nothing on the server.
"""

from __future__ import annotations

from typing import Final

DOCS_HTML: Final = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>OMS API</title>
  <link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});
  </script>
</body>
</html>
"""

INDEX_HTML: Final = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>OMS</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
  <h1>Order Management System</h1>
  <p>The dashboard is not built (<code>frontend/dist</code> is missing).</p>
  <ul>
    <li><a href="/docs">API documentation</a> (<a href="/openapi.json">openapi.json</a>)</li>
    <li><a href="/v1/markets">Markets</a></li>
    <li><a href="/readyz">Readiness</a> and <a href="/metrics">metrics</a></li>
  </ul>
</body>
</html>
"""

__all__ = ["DOCS_HTML", "INDEX_HTML"]
