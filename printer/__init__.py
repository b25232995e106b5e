"""Badge and list layout (Pillow), ESC/POS output, a virtual printer."""
