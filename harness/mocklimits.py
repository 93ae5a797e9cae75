"""Defaults of an HTTP mock's connection guard (harness.httpmock), apart so the CLI can show them cheaply."""

HEADER_TIMEOUT = 10.0   # seconds for the request line and headers, from the first byte (or the connection)
BODY_TIMEOUT = 30.0     # seconds for the whole body, from the end of the headers
IDLE_TIMEOUT = 60.0     # seconds an idle keep-alive connection stays open
MAX_CONNECTIONS = 512   # open connections; beyond, a request is answered 503 "busy"
# Connections the kernel may hold accepted-but-not-yet-taken (listen backlog; Linux caps it at
# net.core.somaxconn). aiohttp's 128 overflowed under a burst of clients: the kernel then drops the handshake's last
# ACK and a client that believes it is connected can wait forever or be reset, never reaching the mock's code.
BACKLOG = 4096
