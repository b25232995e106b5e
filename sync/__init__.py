"""The sync protocol between devices and the central server: client (requests) and server."""
