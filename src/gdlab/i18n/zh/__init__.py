"""The Chinese catalogue (简体中文): one module per area, each a ``MESSAGES`` dict."""
