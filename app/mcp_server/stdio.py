"""`followup mcp`: the MCP server over the process's stdin and stdout, acting with the one
credential it was started with (an API key or a candidate token)."""

from __future__ import annotations

from typing import Any

from mcp.server.stdio import stdio_server

from app.mcp_server.calls import StandingCredential
from app.mcp_server.server import build_server

# The environment variable that holds the credential.
CREDENTIAL_VARIABLE = "FOLLOWUP_MCP_TOKEN"


async def serve(state: Any, credential: str, *, version: str) -> None:
    """Serve MCP over stdio until the client closes stdin."""
    server = build_server(state, StandingCredential(credential, state), version=version)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
