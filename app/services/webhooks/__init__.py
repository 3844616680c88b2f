"""Webhooks: where a tenant's events are POSTed, signed, retried and given up on.

- ``endpoints``: the tenant's use cases (register, change, rotate, delete, ping, list).
- ``signing``: each endpoint's derived secret and the ``Followup-Signature`` header.
- ``delivery``: the worker's part: fan-out, claims, the body and headers sent, and what
  each attempt leads to (retry with backoff, give up, disable the endpoint).
"""
