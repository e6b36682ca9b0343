#!/usr/bin/env bash
# Install the desktop bundle (dist/gasops from `make package`) for one user or system-wide, with its menu entry.
#
#   bash packaging/install-desktop.sh                  # ~/.local/opt/gasops, ~/.local/bin/gasops, the user's menu
#   sudo bash packaging/install-desktop.sh --prefix /opt --xdg /usr/local/share --bin /usr/local/bin
#   bash packaging/install-desktop.sh --uninstall      # remove what the same options installed
#
# The bundle is self-contained (Python, Qt and every library inside); the menu entry (resources/gasops.desktop) and
# the icon (resources/icons, hicolor theme sizes 48/128/256 + scalable) go to the XDG data folders.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$HOME/.local/opt"
xdg="${XDG_DATA_HOME:-$HOME/.local/share}"
bin="$HOME/.local/bin"
bundle="$here/dist/gasops"
uninstall=0
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --xdg) xdg="$2"; shift 2 ;;
        --bin) bin="$2"; shift 2 ;;
        --bundle) bundle="$2"; shift 2 ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "install-desktop: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
target="$prefix/gasops"
icons="$xdg/icons/hicolor"

if [ "$uninstall" = 1 ]; then
    rm -rf "$target"
    rm -f "$bin/gasops" "$xdg/applications/gasops.desktop" "$icons/scalable/apps/gasops.svg"
    for size in 48 128 256; do rm -f "$icons/${size}x${size}/apps/gasops.png"; done
    echo "install-desktop: removed GasOps Console from $target and the menu"
    exit 0
fi

if [ ! -x "$bundle/gasops" ]; then
    echo "install-desktop: no bundle at $bundle: run \`make package\` first" >&2
    exit 1
fi
mkdir -p "$prefix" "$bin" "$xdg/applications" "$icons/scalable/apps"
# copy beside, then swap: a running console keeps its files until it exits, and a failed copy leaves the old one
rm -rf "$target.new"
cp -a "$bundle" "$target.new"
rm -f "$target.new/.stamp-package"
rm -rf "$target.old"
[ -e "$target" ] && mv "$target" "$target.old"
mv "$target.new" "$target"
rm -rf "$target.old"
ln -sfn "$target/gasops" "$bin/gasops"

sed -e "s|^Exec=gasops|Exec=$target/gasops|" -e "s|^TryExec=gasops|TryExec=$target/gasops|" \
    "$here/resources/gasops.desktop" > "$xdg/applications/gasops.desktop"
install -m 644 "$here/resources/icons/gasops.svg" "$icons/scalable/apps/gasops.svg"
for size in 48 128 256; do
    mkdir -p "$icons/${size}x${size}/apps"
    install -m 644 "$here/resources/icons/gasops-$size.png" "$icons/${size}x${size}/apps/gasops.png"
done
# refresh the menu and icon caches where the tools exist (a desktop without them rescans on next login)
command -v update-desktop-database >/dev/null && update-desktop-database -q "$xdg/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
echo "install-desktop: GasOps Console in $target ($(du -sh "$target" | cut -f1)); command $bin/gasops;" \
    "menu entry $xdg/applications/gasops.desktop"
