#!/usr/bin/env bash
# Start the console. Without a display (a server, a CI box) run it on a virtual X screen so it still starts;
# set DISPLAY (or WAYLAND_DISPLAY) to see the window.
set -euo pipefail
gasops="$1"; shift
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ -z "${QT_QPA_PLATFORM:-}" ]; then
    if command -v xvfb-run >/dev/null; then
        echo "run: no display found; starting on a virtual screen (Xvfb). Set DISPLAY to see the window." >&2
        exec xvfb-run -a -s "-screen 0 1600x1000x24" "$gasops" "$@"
    fi
    echo "run: no display found and xvfb-run is missing; using the offscreen platform." >&2
    export QT_QPA_PLATFORM=offscreen
fi
exec "$gasops" "$@"
