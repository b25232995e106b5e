#!/bin/sh
# Set up a fresh Debian or Ubuntu machine from a clone of this repository: the system packages
# (through sudo, or directly as root), then .venv with the project installed in it.
#   ./setup.sh        what the kiosk needs to run
#   ./setup.sh test   and what the test suite needs (PostgreSQL, a virtual X server)
set -eu
cd "$(dirname "$0")"

# fonts-noto-cjk: the screen and badge font (neither Kivy nor Pillow has a CJK fallback).
# libgl1 libegl1 libgl1-mesa-dri: OpenGL for Kivy's window (Mesa renders where there is no GPU).
# libmtdev1: Kivy's multitouch input from a touch panel.
# libxi6 libxrandr2 libxcursor1: X11 libraries SDL loads at run time (input, the screen's size, the cursor).
packages="python3 python3-venv fonts-noto-cjk libgl1 libegl1 libgl1-mesa-dri libmtdev1 libxi6 libxrandr2 libxcursor1"
project="."
if [ "${1:-}" = test ]; then
    # postgresql: the server's production database (the tests start a throw-away cluster);
    # xvfb xauth: the touchscreen tests run the real Kivy window on a virtual X server.
    # fonts-urw-base35: Nimbus Sans Narrow, the stand-in for a Zebra's font 0 in the ZPL tests.
    packages="$packages postgresql xvfb xauth fonts-urw-base35"
    # chromium chromium-driver: the web console's browser tests drive Debian's browser (selenium).
    packages="$packages chromium chromium-driver"
    # cups printer-driver-ptouch printer-driver-dymo poppler-utils: the label printer tests start
    # their own cupsd with Debian's Brother QL and DYMO drivers, and read sheets back with pdftoppm.
    packages="$packages cups printer-driver-ptouch printer-driver-dymo poppler-utils"
    project=".[test]"
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
apt="env DEBIAN_FRONTEND=noninteractive apt-get"  # through env: sudo drops the caller's environment
$sudo $apt update -qq
# shellcheck disable=SC2086 # one word per package
$sudo $apt install -y -qq --no-install-recommends $packages >/dev/null

python3 -m venv .venv
.venv/bin/pip install -q -e "$project"
