"""Evidence-weighted question answering over a small corpus of documents, with verbatim citations."""

__version__ = "0.1.0"
