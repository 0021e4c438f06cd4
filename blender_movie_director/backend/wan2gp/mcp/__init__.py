"""WanGP's MCP server as the Wan2GP backend's second transport (``wgp.py --mcp --mcp-transport
streamable-http``, endpoint ``/mcp``), beside the web UI route.

* :mod:`.rpc`: JSON-RPC over streamable HTTP on httpx (no MCP SDK: see docs/backends/wan2gp.md);
* :mod:`.server`: per server: discovery (is it WanGP?), the model list, the one generation slot;
* :mod:`.job`: one generation (validate, upload, ``wangp_generate``, poll, cancel, download);
* :mod:`.finish`: WanGP's postprocessing of a clip; :mod:`.transfer`: gallery uploads and downloads;
* :mod:`.events`, :mod:`.errors`, :mod:`.models`: snapshots, tool errors and records in the product's terms.

``Wan2GPClient`` picks this transport from the address (``…/mcp``), its ``transport`` setting or a probe.
Importing the package loads nothing heavy (httpx loads with the first request). Threading: see each module.
"""
