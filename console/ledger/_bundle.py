"""Evidence bundles (证据包): everything needed to prove a hazard's history offline, in one zip.

``bundle.json`` holds the log's signed checkpoint with its witness cosignatures, the public keys (log keys as
signed-note vkeys, witnesses as type-0x04 vkeys), and for every entry of the hazard, plus the log's key entries,
the entry bytes and an inclusion proof to the checkpoint. ``files/<sha256>`` are the photos and documents the
entries reference. :func:`verify_bundle` checks it all without a network or a ledger and writes an HTML report.
"""

from __future__ import annotations

import hashlib
import html
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from console.atomic import atomic_output, atomic_write_text
from console.ledger._canonical import b64, unb64, utc_now_iso
from console.ledger._entries import decode_entry
from console.ledger._errors import BundleError, LedgerError
from console.ledger._keys import public_from_did_key
from console.ledger._note import SIG_COSIGNATURE_V1, Checkpoint, NoteVerifier, open_note, parse_note
from console.ledger._verify import verify_inclusion

__all__ = ["export_hazard_bundle", "verify_bundle", "BundleReport", "BundleCheck"]

FORMAT = "gasops-evidence-bundle/v1"
_MAX_MEMBER_BYTES = 256 * 1024 * 1024


def export_hazard_bundle(node, hazard_id: str, out: str | Path, origin: str | None = None) -> Path:
    """Write the evidence bundle of ``hazard_id`` (from ``origin``, default this node's log) to ``out``."""
    origin = origin or node.origin
    rows = node.store.search(node._log(origin).id, hazard_id=hazard_id)
    if not rows:
        raise LedgerError(f"hazard {hazard_id!r} has no entries in log {origin}")
    note = node.checkpoint_note(origin)
    cp = Checkpoint.parse(parse_note(note).text)
    key_rows = [r for r in node.store.search(node._log(origin).id) if r["type"] in ("log.genesis", "key.org.rotate")]
    indexes = sorted({r["idx"] for r in rows} | {r["idx"] for r in key_rows})
    entries, files = [], {}
    for i in indexes:
        entry = node.entry(i, origin)
        entries.append(
            {
                "index": i,
                "entry": entry.data.decode("utf-8"),
                "inclusion_proof": [b64(p) for p in node.inclusion_proof(i, cp.size, origin)],
            }
        )
        for att in entry.body.get("attachments", ()):
            path = node.evidence_path(att["sha256"])
            if path.exists():
                files[att["sha256"]] = path
    manifest = {
        "format": FORMAT,
        "created": utc_now_iso(),
        "origin": origin,
        "hazard_id": hazard_id,
        "checkpoint": note,
        "log_keys": [v.vkey for v in node.log_verifiers(origin)],
        "witness_keys": [v.vkey for v in node.witness_verifiers(exclude_origin=origin)],
        "quorum": node.quorum,
        "entries": entries,
        "files": sorted(files),
    }
    out = Path(out)
    with atomic_output(out) as tmp, zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bundle.json", json.dumps(manifest, indent=1, ensure_ascii=False))
        for digest, path in sorted(files.items()):
            zf.write(path, f"files/{digest}")
    return out


@dataclass(frozen=True)
class BundleCheck:
    name: str
    ok: bool
    detail: str


@dataclass
class BundleReport:
    path: str
    hazard_id: str = ""
    origin: str = ""
    checks: list[BundleCheck] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(BundleCheck(name, ok, detail))
        return ok

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "ok": self.ok,
            "hazard_id": self.hazard_id,
            "origin": self.origin,
            "checks": [c.__dict__ for c in self.checks],
            "timeline": self.timeline,
        }


def verify_bundle(
    path: str | Path, report_html: str | Path | None = None, trusted_log_keys: list[str] | None = None
) -> BundleReport:
    """Verify a bundle offline; every check is recorded in the report (nothing raises for a bad bundle's content)."""
    path = Path(path)
    report = BundleReport(str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            members = {i.filename: i for i in zf.infolist()}
            if "bundle.json" not in members or any(i.file_size > _MAX_MEMBER_BYTES for i in members.values()):
                raise BundleError(f"{path}: not an evidence bundle (bundle.json missing or a member too large)")
            manifest = json.loads(zf.read("bundle.json"))
            files = {name[len("files/") :]: zf.read(name) for name in members if name.startswith("files/")}
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise BundleError(f"{path}: cannot read the bundle: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BundleError(f"{path}: unknown bundle format {manifest.get('format')!r}")
    report.hazard_id, report.origin = manifest["hazard_id"], manifest["origin"]
    _verify(manifest, files, report, trusted_log_keys)
    if report_html is not None:
        atomic_write_text(report_html, render_html(report))
    return report


def _verify(manifest: dict, files: dict[str, bytes], report: BundleReport, trusted: list[str] | None) -> None:
    origin, hazard_id = manifest["origin"], manifest["hazard_id"]
    try:
        log_keys = [NoteVerifier.from_vkey(v) for v in manifest["log_keys"]]
        witness_keys = [NoteVerifier.from_vkey(v) for v in manifest["witness_keys"]]
    except LedgerError as exc:
        report.add("keys", False, f"malformed key: {exc}")
        return
    if trusted is not None:
        pinned = {NoteVerifier.from_vkey(v).vkey for v in trusted}
        report.add(
            "trusted log key",
            any(k.vkey in pinned for k in log_keys),
            "the bundle's log key is one of the keys you trust"
            if any(k.vkey in pinned for k in log_keys)
            else "none of the bundle's log keys is trusted",
        )
    try:
        opened = open_note(manifest["checkpoint"], [*log_keys, *witness_keys])
        cp = Checkpoint.parse(opened.note.text)
    except LedgerError as exc:
        report.add("checkpoint signature", False, str(exc))
        return
    if not report.add(
        "checkpoint signature",
        origin in opened.verified_names() and cp.origin == origin,
        f"{origin} size {cp.size}, root {cp.root_hash.hex()}",
    ):
        return
    cosigners = sorted(opened.verified_names(SIG_COSIGNATURE_V1))
    quorum = int(manifest.get("quorum", 1))
    report.add(
        "witnessed",
        len(cosigners) >= quorum,
        f"{len(cosigners)} of {quorum} required witness cosignatures: {', '.join(cosigners) or 'none'}",
    )
    # Keys: the genesis entry and each rotation must introduce exactly the bundle's log keys.
    chain_keys: list[str] = []
    previous_step: dict[str, str] = {}
    for item in manifest["entries"]:
        idx = item["index"]
        try:
            data = item["entry"].encode("utf-8")
            entry = decode_entry(data)
            proof = [unb64(p, "proof") for p in item["inclusion_proof"]]
            verify_inclusion(idx, cp.size, entry.leaf_hash, proof, cp.root_hash)
        except (ValueError, LedgerError) as exc:
            report.add(f"entry {idx}", False, f"not included in the checkpoint: {exc}")
            continue
        ok = entry.index == idx and entry.payload["log"] == origin and entry.signature_ok()
        report.add(
            f"entry {idx} ({entry.type})",
            ok,
            "included in the checkpoint, author signature valid" if ok else "signature, index or log does not match",
        )
        if entry.type == "log.genesis":
            chain_keys.append(entry.body["org_key"])
        elif entry.type == "key.org.rotate":
            chain_keys.append(entry.body["new_key"])
        if entry.type.startswith("hazard.") and entry.body.get("hazard_id") == hazard_id:
            step = entry.type.split(".", 1)[1]
            if step != "reported":
                linked = previous_step.get("last") == entry.body.get("prev")
                report.add(
                    f"entry {idx} links to the previous step",
                    linked,
                    "prev names the leaf hash of the step before"
                    if linked
                    else "prev does not match the previous step",
                )
            previous_step["last"] = entry.leaf_hash.hex()
            report.timeline.append(
                {
                    "index": idx,
                    "step": step,
                    "time": entry.payload["time"],
                    "author": entry.author,
                    "leaf_hash": entry.leaf_hash.hex(),
                }
            )
            for att in entry.body.get("attachments", ()):
                blob = files.get(att["sha256"])
                good = blob is not None and hashlib.sha256(blob).hexdigest() == att["sha256"]
                report.add(
                    f"file {att['sha256'][:16]}…", good, "present, digest matches" if good else "missing or altered"
                )
    key_ok = bool(chain_keys) and {public_from_did_key(d) for d in chain_keys} >= {
        bytes(k.public_key) for k in log_keys if k.sig_type == 1 and k.name == origin
    }
    report.add(
        "log keys",
        key_ok,
        "every log key is introduced by the log's genesis or a rotation entry"
        if key_ok
        else "a log key is not introduced by the log itself",
    )
    if not report.timeline:
        report.add("hazard entries", False, f"no entry of hazard {hazard_id}")


def render_html(report: BundleReport) -> str:
    """A self-contained, readable HTML verification report."""
    e = html.escape
    rows = "\n".join(
        f"<tr class='{'ok' if c.ok else 'bad'}'><td>{'✔' if c.ok else '✘'}</td><td>{e(c.name)}</td><td>{e(c.detail)}</td></tr>"
        for c in report.checks
    )
    steps = "\n".join(
        f"<tr><td>{t['index']}</td><td>{e(t['step'])}</td><td>{e(t['time'])}</td><td><code>{e(t['author'])}</code></td><td><code>{e(t['leaf_hash'][:16])}…</code></td></tr>"
        for t in report.timeline
    )
    verdict = "VERIFIED 验证通过" if report.ok else "NOT VERIFIED 验证未通过"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evidence bundle {e(report.hazard_id)}</title>
<style>body{{font-family:sans-serif;margin:2em}} .ok td:first-child{{color:#070}} .bad td:first-child{{color:#b00}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}} .verdict{{font-size:1.4em;color:{"#070" if report.ok else "#b00"}}}</style></head>
<body><h1>Evidence bundle verification 证据包验证</h1>
<p class="verdict">{verdict}</p>
<p>Hazard <b>{e(report.hazard_id)}</b> in log <code>{e(report.origin)}</code>; bundle <code>{e(report.path)}</code>; checked offline at {e(utc_now_iso())}.</p>
<h2>Lifecycle 隐患处置过程</h2><table><tr><th>index</th><th>step</th><th>time</th><th>author</th><th>leaf hash</th></tr>{steps}</table>
<h2>Checks</h2><table><tr><th></th><th>check</th><th>detail</th></tr>{rows}</table>
</body></html>
"""
