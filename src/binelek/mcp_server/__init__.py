"""The MCP (Model Context Protocol) server: the tool registry offered to MCP clients (Claude Desktop,
IDEs, other agents) under `smb_*` names, authenticated by a tenant API key. Streamable HTTP at `/mcp`
in the API process (`http.py`), stdio through `binelek mcp` (`stdio.py`); both run `server.py`.
Named `mcp_server` because `mcp` is the SDK's package."""
