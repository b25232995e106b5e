"""The device's local store: one SQLite file holding the event log, the visits derived from
it, the host directory and the key ring."""
