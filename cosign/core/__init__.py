"""Pure library layer of cosign: text, documents and rendering with no web or database code.

Nothing in this package imports Flask, SQLAlchemy or any cosign module outside cosign.core.
"""
