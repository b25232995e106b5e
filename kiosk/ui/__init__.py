"""The touchscreen app (Kivy): screens, on-screen keyboard, translations. Behaviour lives in
Python beside each screen's ``.kv`` layout; everything the kiosk does goes through
:mod:`kiosk.services`, off the UI thread."""
