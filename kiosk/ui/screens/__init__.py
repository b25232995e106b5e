"""The screens of the visitor kiosk, one module and one ``.kv`` each."""
