"""The app object for gunicorn (``gunicorn wsgi:app``) and ``flask --app wsgi``."""

from vas import create_app

app = create_app()
