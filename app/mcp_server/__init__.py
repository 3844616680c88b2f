"""Follow-Up as a Model Context Protocol server: the etiquette engine as tools, resources
and a prompt for AI assistants, over stdio (`followup mcp`) and streamable HTTP (`/mcp`).

It sits at the API layer's level: every tool is a thin call into the same services (and,
for drafts, the same route functions) the REST API uses, admits the same credentials
(each tool names the REST route whose check it applies), and reaches the same records
through ``principal.owner``. Named ``mcp_server`` so that it never shadows the ``mcp``
SDK it is built on.
"""
