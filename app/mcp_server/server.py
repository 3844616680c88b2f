"""The MCP server itself: the tools, resources and prompt on the SDK's low-level server,
with every call served by :func:`app.mcp_server.calls.perform`, whatever the transport.

The low-level server (not the SDK's decorator one) because the schemas are the REST API's
own Pydantic models, and because every failure must reach the assistant as the problem
details the REST API answers: a tool's as a tool error (``isError``) whose structured
content is the problem document, a resource's or the prompt's as a JSON-RPC error whose
``data`` is.
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from app.mcp_server import resources, tools
from app.mcp_server.calls import Call, Identity, named_call, perform
from app.mcp_server.problems import problem_of

SERVER_NAME = "followup"
INSTRUCTIONS = """\
Follow-Up knows which follow-ups a job seeker owes after each interview (confirm who is on \
the panel, ask closing questions, send a thank-you to each interviewer within a day, check \
in when news is late, connect once it is over), when each is due, and writes and checks the \
messages. Ask it rather than guessing: `list_actions` for what is due, `get_action_draft` \
and `check_draft` for the message, `complete_action` once it is sent. Record what happened \
with `record_interview`, `record_reply` and `record_outcome`. Times are RFC 3339 with an \
offset. A failed call's result is a problem document (`status`, `title`, `detail`, and \
`errors` naming each argument that failed)."""
# JSON-RPC code for a resource that does not exist (or is outside the caller's reach).
RESOURCE_NOT_FOUND = -32002


def _json(value: BaseModel) -> dict[str, Any]:
    dumped: dict[str, Any] = value.model_dump(mode="json")
    return dumped


def _tool_error(problem: dict[str, Any]) -> types.CallToolResult:
    return types.CallToolResult(
        content=[types.TextContent(text=json.dumps(problem))],
        structured_content=problem,
        is_error=True,
    )


def _protocol_error(problem: dict[str, Any]) -> MCPError:
    status = problem["status"]
    if status == 404:
        code = RESOURCE_NOT_FOUND
    elif status < 500:
        code = types.INVALID_PARAMS
    else:
        code = types.INTERNAL_ERROR
    return MCPError(code=code, message=problem.get("detail") or problem["title"], data=problem)


def build_server(state: Any, identity: Identity, *, version: str) -> Server[Any]:
    """The MCP server over the app's state (its database, caches, limits and CPU pool),
    calls identified by ``identity``: the request's bearer credential over HTTP, the
    process's own over stdio."""

    async def list_tools(
        context: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[tool.listing for tool in tools.TOOLS])

    def input_schema(name: str) -> dict[str, Any] | None:
        tool = tools.TOOLS_BY_NAME.get(name)
        return None if tool is None else tool.input_schema

    async def call_tool(
        context: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        tool = tools.TOOLS_BY_NAME.get(params.name)
        if tool is None:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown tool: {params.name}")

        async def body(call: Call) -> BaseModel:
            # Validated after the caller is admitted, as a route checks its credential
            # before it reads a body: a stranger learns nothing from the answer.
            arguments = tool.arguments.model_validate(params.arguments or {})
            return await tool.body(call, arguments)

        with named_call():
            try:
                result = await perform(
                    state, identity, context, tool.check, body, write=tool.writes
                )
            except Exception as error:
                return _tool_error(problem_of(error))
        structured = _json(result)
        return types.CallToolResult(
            content=[types.TextContent(text=json.dumps(structured))],
            structured_content=structured,
        )

    async def list_resources(
        context: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        listed = [resources.ETIQUETTE.listed()]

        async def own_candidate(call: Call) -> str | None:
            return call.principal.candidate_id

        # A candidate token's own timeline is one resource, listed as such; an API key's
        # candidates are many, reached through the template.
        try:
            candidate_id = await perform(
                state, identity, context, resources.TIMELINE.check, own_candidate, write=False
            )
        except Exception as error:
            raise _protocol_error(problem_of(error)) from error
        if candidate_id is not None:
            listed.append(resources.TIMELINE.listed(resources.timeline_uri(candidate_id)))
        return types.ListResourcesResult(resources=listed)

    async def list_resource_templates(
        context: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        templates = [resources.TIMELINE.as_template()]
        return types.ListResourceTemplatesResult(resource_templates=templates)

    async def read_resource(
        context: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        with named_call():
            try:
                resource = resources.resource_for(uri)

                async def body(call: Call) -> str:
                    return await resource.read(call, uri)

                text = await perform(state, identity, context, resource.check, body, write=False)
            except Exception as error:
                raise _protocol_error(problem_of(error)) from error
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, text=text, mime_type=resource.mime_type)]
        )

    async def list_prompts(
        context: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=resources.THANK_YOU_PROMPT,
                    title="Write my thank-you notes for an interview",
                    description="Who to thank after an interview, by when, and how to write, "
                    "check and log each note with Follow-Up's tools.",
                    arguments=[
                        types.PromptArgument(
                            name="interview_id",
                            description="The interview's ID (from `record_interview`, or an "
                            "action's `subject.interview_id`).",
                            required=True,
                        )
                    ],
                )
            ]
        )

    async def get_prompt(
        context: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        if params.name != resources.THANK_YOU_PROMPT:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown prompt: {params.name}")
        interview_id = (params.arguments or {}).get("interview_id")
        if not interview_id:
            raise MCPError(code=types.INVALID_PARAMS, message="The prompt needs an `interview_id`.")

        async def body(call: Call) -> tuple[str, str]:
            return await resources.thank_you_notes(call, interview_id)

        with named_call():
            try:
                description, text = await perform(
                    state, identity, context, resources.THANK_YOU_CHECK, body, write=False
                )
            except Exception as error:
                raise _protocol_error(problem_of(error)) from error
        return types.GetPromptResult(
            description=description,
            messages=[types.PromptMessage(role="user", content=types.TextContent(text=text))],
        )

    return Server(
        SERVER_NAME,
        version=version,
        title="Follow-Up",
        instructions=INSTRUCTIONS,
        get_tool_input_schema=input_schema,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_resource_templates,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )
