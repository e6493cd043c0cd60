"""Errors a model adapter raises when the model cannot be asked (as opposed to answering badly).

A bad answer is never an error: it is graded. An endpoint that is down, refuses the key or keeps
failing after retries stops the run with :class:`ModelEndpointError`; the command line prints its
one-line message, keeps every finished episode and exits non-zero, so the run can be resumed.
"""

from __future__ import annotations


class ModelEndpointError(RuntimeError):
    """The model could not be reached or kept failing; the message says where and why.

    Example:
        >>> str(ModelEndpointError("http://127.0.0.1:9/v1: connection refused"))
        'http://127.0.0.1:9/v1: connection refused'
    """
