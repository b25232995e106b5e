"""The pure core of the kiosk: events, the visit fold, validation, badge tokens, host search. No Kivy, no IO."""
