"""A self-contained fake Zendesk Support API, as faithful and as hostile as the real one.

Run it with ``python -m zendesk_sandbox`` or from Python with :class:`SandboxProcess`.
"""

from .auth import DEFAULT_API_TOKEN, DEFAULT_EMAIL, DEFAULT_OAUTH_TOKEN
from .process import SandboxError, SandboxProcess

__all__ = ["DEFAULT_API_TOKEN", "DEFAULT_EMAIL", "DEFAULT_OAUTH_TOKEN", "SandboxError", "SandboxProcess"]
