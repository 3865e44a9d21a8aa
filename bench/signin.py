"""Sign a demo account in through the real login form, in process.

The scale timer, the floor and the profiler measure pages as a signed-in
user would see them: with the session the login form sets and its CSRF
token.
"""

import re

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
DEMO_PASSWORD = "demo1234"


def signed_in(app, email: str):
    """Return a test client of ``app`` signed in as ``email``."""
    client = app.test_client()
    token = CSRF_META.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD}
    )
    if response.status_code not in (302, 303):
        raise RuntimeError(f"login of {email} answered {response.status_code}")
    return client
