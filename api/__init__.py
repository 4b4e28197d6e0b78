"""The Functions app's HTTP API: `bp` holds the functions that function_app.py registers."""

from api.functions import bp

__all__ = ["bp"]
