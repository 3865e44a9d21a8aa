"""Hostile input shared by the sweeps: off-site redirects and markup.

Not a test module.
"""

# ``next`` values that must never take a signed-in browser off the site.
HOSTILE_NEXT = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "http:/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    " //evil.example",
    "/\t/evil.example",
    "/\r\n/evil.example",
    "evil.example",
    "ftp://evil.example",
    "http://localhost@evil.example",
    "https://evil.example\\@localhost",
    "//evil.example/%2e%2e",
    "/%0d%0aLocation:%20https://evil.example",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "https://localhost.evil.example/",
    "//localhost:80@evil.example",
    "\u3002evil.example",
    "//evil%E3%80%82example",
]
