"""The console's translations: extract, update, fill, check and compile the Qt Linguist catalogs.

Usage (from the repository root, with the project's venv)::

    python packaging/i18n.py update            # lupdate over console/ -> resources/i18n/gasops_zh_CN.ts
    python packaging/i18n.py fill FILE.json    # {"Context": {"English source": "中文"}} into the .ts
    python packaging/i18n.py check             # exit 1 listing untranslated, unfinished or stale strings
    python packaging/i18n.py release           # .ts -> console/ui/translations/*.qm (make does this)
    python packaging/i18n.py todo PATH... [--json FILE]  # what PATH's strings still need, as a JSON skeleton

The catalog keeps no source locations (``-locations none``), so moving code does not churn it; a message is the pair
(context, English source). The check is what tests/ui/test_i18n.py runs: the strings ``lupdate`` finds in the code
and the messages of the .ts must be the same set, each with a finished translation whose ``{placeholders}`` match.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "console"
TS_DIR = ROOT / "resources" / "i18n"
QM_DIR = ROOT / "console" / "ui" / "translations"
LANGS = ("zh_CN",)
CATALOG = "gasops"

Key = tuple[str, str]  # (context, source)
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%n|%\d")


@dataclass
class Message:
    context: str
    source: str
    translation: str
    finished: bool


def tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() else name


def python_files(paths: list[Path]) -> list[str]:
    files: list[str] = []
    for path in paths:
        if path.is_dir():
            files += sorted(str(p) for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        elif path.suffix == ".py":
            files.append(str(path))
    return files


def read_ts(path: Path) -> dict[Key, Message]:
    """The current (not obsolete or vanished) messages of a .ts file."""
    messages: dict[Key, Message] = {}
    if not path.is_file():
        return messages
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            node = message.find("translation")
            kind = node.get("type", "") if node is not None else "unfinished"
            if kind in ("obsolete", "vanished"):
                continue
            text = "".join(node.itertext()) if node is not None else ""
            messages[(name, source)] = Message(name, source, text, kind != "unfinished" and bool(text))
    return messages


def extract(paths: list[Path]) -> dict[Key, Message]:
    """The messages ``lupdate`` finds in the Python files under ``paths``."""
    files = python_files(paths)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "extract.ts"
        listing = Path(tmp) / "files.lst"
        listing.write_text("\n".join(files), encoding="utf-8")
        subprocess.run([tool("pyside6-lupdate"), f"@{listing}", "-locations", "none", "-no-obsolete", "-silent",
                        "-ts", str(out)], check=True, capture_output=True)  # fmt: skip
        return read_ts(out)


def ts_path(lang: str) -> Path:
    return TS_DIR / f"{CATALOG}_{lang}.ts"


def update(lang: str) -> None:
    target = ts_path(lang)
    target.parent.mkdir(parents=True, exist_ok=True)
    listing = Path(tempfile.mkstemp(suffix=".lst")[1])
    try:
        listing.write_text("\n".join(python_files([SOURCES])), encoding="utf-8")
        subprocess.run([tool("pyside6-lupdate"), f"@{listing}", "-locations", "none", "-no-obsolete",
                        "-target-language", lang, "-ts", str(target)], check=True)  # fmt: skip
    finally:
        listing.unlink(missing_ok=True)


def fill(lang: str, tables: list[dict[str, dict[str, str]]]) -> int:
    """Write translations into the .ts (only for messages it has); returns how many were set."""
    target = ts_path(lang)
    tree = ET.parse(target)
    wanted = {(context, source): text for table in tables for context, rows in table.items()
              for source, text in rows.items() if text}  # fmt: skip
    count = 0
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            key = (name, message.findtext("source") or "")
            if key not in wanted:
                continue
            node = message.find("translation")
            if node is None:
                node = ET.SubElement(message, "translation")
            if node.get("type") in ("obsolete", "vanished"):
                continue
            node.text = wanted[key]
            node.attrib.pop("type", None)
            count += 1
    ET.indent(tree, space="    ")
    body = ET.tostring(tree.getroot(), encoding="unicode")
    target.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n{body}\n', encoding="utf-8")
    return count


def problems(code: dict[Key, Message], catalog: dict[Key, Message]) -> list[str]:
    """What is wrong between the code's strings and a catalog (empty when they agree)."""
    out: list[str] = []
    for key in sorted(code.keys() - catalog.keys()):
        out.append(f"not in the catalog: [{key[0]}] {key[1]!r}")
    for key in sorted(catalog.keys() - code.keys()):
        out.append(f"stale (no longer in the code): [{key[0]}] {key[1]!r}")
    for key in sorted(code.keys() & catalog.keys()):
        message = catalog[key]
        if not message.finished:
            out.append(f"untranslated: [{key[0]}] {key[1]!r}")
        elif sorted(PLACEHOLDER.findall(message.source)) != sorted(PLACEHOLDER.findall(message.translation)):
            out.append(f"placeholders differ: [{key[0]}] {key[1]!r} -> {message.translation!r}")
    for key in sorted(code):
        if CJK.search(key[1]):
            out.append(f"source text is not English: [{key[0]}] {key[1]!r}")
    return out


def release(lang: str) -> Path:
    QM_DIR.mkdir(parents=True, exist_ok=True)
    target = QM_DIR / f"{CATALOG}_{lang}.qm"
    # Compiled beside the target and moved over it: a console starting meanwhile maps either the old catalog or the
    # new one, never a half-written file (Qt maps the .qm into memory; a file truncated under it is a crash).
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        subprocess.run([tool("pyside6-lrelease"), "-silent", str(ts_path(lang)), "-qm", str(partial)], check=True)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="i18n.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="zh_CN", choices=LANGS)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("update")
    fill_parser = sub.add_parser("fill")
    fill_parser.add_argument("tables", nargs="+", type=Path)
    sub.add_parser("check")
    sub.add_parser("release")
    todo = sub.add_parser("todo")
    todo.add_argument("paths", nargs="+", type=Path)
    todo.add_argument("--json", type=Path, help="translations so far ({context: {source: text}})")
    args = parser.parse_args(argv)
    if args.command == "update":
        update(args.lang)
    elif args.command == "fill":
        tables = [json.loads(path.read_text(encoding="utf-8")) for path in args.tables]
        print(f"{fill(args.lang, tables)} translations set in {ts_path(args.lang)}")
    elif args.command == "check":
        found = problems(extract([SOURCES]), read_ts(ts_path(args.lang)))
        print("\n".join(found) if found else "catalog and code agree")
        return 1 if found else 0
    elif args.command == "release":
        print(release(args.lang))
    elif args.command == "todo":
        done = json.loads(args.json.read_text(encoding="utf-8")) if args.json and args.json.is_file() else {}
        table: dict[str, dict[str, str]] = {}
        bad: list[str] = []
        for (context, source), _ in sorted(extract(args.paths).items()):
            text = done.get(context, {}).get(source, "")
            table.setdefault(context, {})[source] = text
            if not text:
                bad.append(f"untranslated: [{context}] {source!r}")
            elif sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(text)):
                bad.append(f"placeholders differ: [{context}] {source!r}")
            if CJK.search(source):
                bad.append(f"source text is not English: [{context}] {source!r}")
        json.dump(table, sys.stdout, ensure_ascii=False, indent=1)
        print()
        print("\n".join(bad) or "all translated", file=sys.stderr)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
