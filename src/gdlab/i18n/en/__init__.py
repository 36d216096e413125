"""The English catalogue: one module per area, each a ``MESSAGES`` dict."""
