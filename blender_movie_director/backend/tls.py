"""One TLS context per process for the https connections we and gradio_client open.

``httpx`` builds a new context, loading the whole CA bundle (~35-50 ms), for every client made with
``verify=True``, and gradio_client makes a client per request. Handing them this context instead gives the
same trust (httpx's own default: certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` as read at first use) for
~0.3 ms per client.
"""

from __future__ import annotations

import functools
import ssl


@functools.cache
def verify_context() -> ssl.SSLContext:
    """The process's certificate-verifying context (built on first use; safe to share between threads)."""
    import httpx

    return httpx.create_ssl_context(verify=True)
