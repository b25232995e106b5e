"""Visitor kiosk: the lobby device."""
