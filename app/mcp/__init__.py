"""The Model Context Protocol for agents: the API's writes and questions as MCP tools.

- ``tools.py``  the five tools (remember, ask, list_memories, forget, correct), each the REST route
                it names called as a function, and the MCP server that lists and calls them;
- ``http.py``   /mcp in the REST server: streamable HTTP behind the same Bearer keys;
- ``stdio.py``  `memnn mcp`: the same tools over stdin and stdout, acting with MEMNN_API_KEY.
"""
