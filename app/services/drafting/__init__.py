"""Drafts: the ready message for an action, and the checker that holds any message to the
etiquette's limits.

- ``checker``: the check itself, reading a draft through ``layout`` (greeting, message,
  sign-off), ``sentences`` (pysbd on bounded chunks), ``names`` and ``languages`` (each
  language's words, from its data folder).
- ``sandbox`` and ``rendering``: tenants' Jinja2 templates, rendered bounded in work and
  memory; ``context``: the plain data a template sees.
- ``store``: the built-in templates and the tenant's own; ``validation`` and ``samples``:
  what a tenant's template must pass before it is saved.
- ``action_draft``: an action's draft, rendered and checked.

The vocabulary they share with the API (message kinds, finding codes, template variables
and bounds) lives in ``app.domain.messages`` and ``app.domain.draft_templates``.
"""
