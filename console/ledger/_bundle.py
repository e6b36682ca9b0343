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
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from console.atomic import atomic_output, atomic_write_text
from console.ledger._canonical import b64, unb64, utc_now_iso
from console.ledger._entries import check_body, decode_entry
from console.ledger._errors import BundleError, EntryRejected, LedgerError
from console.ledger._keys import public_from_did_key
from console.ledger._limits import load_json
from console.ledger._note import SIG_COSIGNATURE_V1, SIG_ED25519, Checkpoint, NoteVerifier, open_note, parse_note
from console.ledger._trust import TrustPolicy
from console.ledger._verify import verify_inclusion

__all__ = [
    "BUNDLE_REPORT_LANGUAGES",
    "export_hazard_bundle",
    "verify_bundle",
    "BundleReport",
    "BundleCheck",
    "render_html",
]

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
    """Every check of a bundle, and the keys they were made with.

    ``trusted`` is True only when the keys came from a trust policy outside the bundle; a bundle whose checks all
    pass against its own keys is *self-consistent, not trusted* and ``ok`` is False.
    """

    path: str
    hazard_id: str = ""
    origin: str = ""
    checks: list[BundleCheck] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    trusted: bool = False
    trust_source: str = "the bundle itself (no trust policy given)"
    trusted_keys: list[dict] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def ok(self) -> bool:
        return self.consistent and self.trusted

    @property
    def verdict(self) -> str:
        if not self.consistent:
            return "NOT VERIFIED"
        return "VERIFIED" if self.trusted else "SELF-CONSISTENT, NOT TRUSTED"

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(BundleCheck(name, ok, detail))
        return ok

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "ok": self.ok,
            "verdict": self.verdict,
            "trusted": self.trusted,
            "trust_source": self.trust_source,
            "trusted_keys": self.trusted_keys,
            "hazard_id": self.hazard_id,
            "origin": self.origin,
            "checks": [c.__dict__ for c in self.checks],
            "timeline": self.timeline,
        }


# Limits of a bundle zip: evidence photos are large, but a bundle is not an archive of anything else.
_MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024
_MAX_MEMBERS = 10_001
_MAX_TOTAL_BYTES = 2 * 1024 * 1024 * 1024
_MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_MAX_ENTRIES = 100_000
_MAX_PROOF = 64
_FILE_NAME = re.compile(r"files/[0-9a-f]{64}")


def verify_bundle(
    path: str | Path,
    report_html: str | Path | None = None,
    trusted_log_keys: list[str] | None = None,
    *,
    trust: TrustPolicy | None = None,
    lang: str = "en",
) -> BundleReport:
    """Verify a bundle offline against a trust policy; every check is recorded in the report.

    ``trust`` (or ``trusted_log_keys``, vkeys of either type) pins the log keys, witness keys and quorum. Without
    it the bundle is checked against its own keys and reported as self-consistent, not trusted (``ok`` False). The
    HTML report's text is in ``lang`` (en or zh_CN); the checks and what they found are the same in each.
    Content that cannot be read at all raises :class:`BundleError` naming the file and the problem.
    """
    path = Path(path)
    if trust is None and trusted_log_keys is not None:
        trust = TrustPolicy.from_vkeys(list(trusted_log_keys), source="trusted keys given by the caller")
    manifest, files = _read_bundle(path)
    report = BundleReport(str(path), manifest["hazard_id"], manifest["origin"])
    _verify(manifest, files, report, trust)
    if report_html is not None:
        atomic_write_text(report_html, render_html(report, lang))
    return report


def _read_bundle(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and files of a bundle zip, after checking its size, members, names and compression."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BundleError(f"{path}: cannot read the bundle ({exc.strerror or exc})") from None
    if size > _MAX_ZIP_BYTES:
        raise BundleError(f"{path}: {size} bytes, more than a bundle may hold")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > _MAX_MEMBERS:
                raise BundleError(f"{path}: {len(infos)} members, more than the {_MAX_MEMBERS} allowed")
            names = [i.filename for i in infos]
            if len(set(names)) != len(names):
                raise BundleError(f"{path}: a member name appears twice")
            total = 0
            raw: dict[str, bytes] = {}
            for info in infos:
                name = info.filename
                if name != "bundle.json" and not _FILE_NAME.fullmatch(name):
                    raise BundleError(f"{path}: unexpected member {name[:80]!r} (want bundle.json and files/<sha256>)")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
                    raise BundleError(f"{path}: member {name} is encrypted or uses an unsupported compression")
                cap = _MAX_MANIFEST_BYTES if name == "bundle.json" else _MAX_MEMBER_BYTES
                if info.file_size > cap:
                    raise BundleError(f"{path}: member {name} is larger than the {cap} bytes allowed")
                with zf.open(info) as member:
                    data = member.read(cap + 1)  # the header's size may lie: never read more than the cap
                if len(data) > cap:
                    raise BundleError(f"{path}: member {name} is larger than the {cap} bytes allowed")
                total += len(data)
                if total > _MAX_TOTAL_BYTES:
                    raise BundleError(f"{path}: the members hold more than {_MAX_TOTAL_BYTES} bytes")
                raw[name] = data
    except BundleError:
        raise
    except Exception as exc:  # zipfile raises BadZipFile, zlib.error, EOFError, NotImplementedError, struct.error …
        raise BundleError(f"{path}: not a readable zip ({type(exc).__name__}: {exc})") from None
    if "bundle.json" not in raw:
        raise BundleError(f"{path}: not an evidence bundle (bundle.json missing)")
    try:
        manifest = load_json(raw.pop("bundle.json"), f"{path}: bundle.json", max_bytes=_MAX_MANIFEST_BYTES, max_depth=8)
    except ValueError as exc:
        raise BundleError(str(exc)) from None
    problem = _manifest_problem(manifest)
    if problem:
        raise BundleError(f"{path}: bundle.json {problem}")
    return manifest, {name[len("files/") :]: data for name, data in raw.items()}


def _is_int(v: object) -> bool:
    return type(v) is int


def _str_list(v: object, limit: int) -> bool:
    return isinstance(v, list) and len(v) <= limit and all(isinstance(x, str) for x in v)


def _manifest_problem(m: object) -> str | None:
    """What is wrong with the shape of a manifest (types, counts), or None."""
    if not isinstance(m, dict):
        return "is not a JSON object"
    if m.get("format") != FORMAT:
        return f"has an unknown format {str(m.get('format'))[:60]!r} (want {FORMAT})"
    for name in ("origin", "hazard_id", "checkpoint"):
        if not isinstance(m.get(name), str):
            return f"field {name!r} must be text"
    if not _str_list(m.get("log_keys"), 100) or not _str_list(m.get("witness_keys"), 100):
        return "fields 'log_keys' and 'witness_keys' must be lists of vkeys"
    if not _is_int(m.get("quorum", 0)) or m.get("quorum", 0) < 0:
        return "field 'quorum' must be a whole number >= 0"
    if not _str_list(m.get("files", []), _MAX_MEMBERS):
        return "field 'files' must be a list of digests"
    entries = m.get("entries")
    if not isinstance(entries, list) or len(entries) > _MAX_ENTRIES:
        return f"field 'entries' must be a list of at most {_MAX_ENTRIES} items"
    for i, item in enumerate(entries):
        if (
            not isinstance(item, dict)
            or not _is_int(item.get("index"))
            or not 0 <= item["index"] < 2**63
            or not isinstance(item.get("entry"), str)
            or not _str_list(item.get("inclusion_proof"), _MAX_PROOF)
        ):
            return f"entries[{i}] must be {{index, entry, inclusion_proof}} with a proof of at most {_MAX_PROOF} hashes"
    return None


def _describe(v: NoteVerifier, why: str) -> dict:
    kind = "witness (cosignature, type 0x04)" if v.sig_type == SIG_COSIGNATURE_V1 else "log (Ed25519, type 0x01)"
    return {"name": v.name, "key_id": v.key_id.hex(), "kind": kind, "vkey": v.vkey, "why": why}


def _verify(manifest: dict, files: dict[str, bytes], report: BundleReport, trust: TrustPolicy | None) -> None:
    origin, hazard_id = manifest["origin"], manifest["hazard_id"]
    try:
        own_log_keys = [NoteVerifier.from_vkey(v) for v in manifest["log_keys"]]
        own_witness_keys = [NoteVerifier.from_vkey(v) for v in manifest["witness_keys"]]
    except LedgerError as exc:
        report.add("keys", False, f"malformed key in the bundle: {exc}")
        return
    try:
        cp = Checkpoint.parse(parse_note(manifest["checkpoint"]).text)
    except LedgerError as exc:
        report.add("checkpoint signature", False, f"malformed checkpoint: {exc}")
        return

    # 1. Entries: included in the checkpoint's tree, signed by their authors; the key chain the log records.
    chain: list[tuple[str, str]] = []  # (did introduced, did of the entry's author)
    previous_step: dict[str, str] = {}
    for item in manifest["entries"]:
        idx = item["index"]
        try:
            entry = decode_entry(item["entry"].encode("utf-8"))
            proof = [unb64(p, "proof") for p in item["inclusion_proof"]]
            verify_inclusion(idx, cp.size, entry.leaf_hash, proof, cp.root_hash)
        except (ValueError, LedgerError) as exc:
            report.add(f"entry {idx}", False, f"not included in the checkpoint: {exc}")
            continue
        try:
            check_body(entry.type, entry.body)
            ok = entry.index == idx and entry.payload["log"] == origin and entry.signature_ok()
            detail = "signature, index or log does not match"
        except EntryRejected as exc:
            ok, detail = False, exc.detail
        report.add(
            f"entry {idx} ({entry.type})",
            ok,
            "included in the checkpoint, author signature valid" if ok else detail,
        )
        if not ok:
            continue
        if entry.type == "log.genesis" and idx == 0:
            chain.append((entry.body["org_key"], entry.author))
        elif entry.type == "key.org.rotate":
            chain.append((entry.body["new_key"], entry.author))
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
    # The chain of organisation keys: genesis, then each rotation signed by the key before it.
    chain_dids: list[str] = []
    for did, author in chain:
        if not chain_dids or author == chain_dids[-1]:
            chain_dids.append(did)
    chain_keys = set()
    for d in list(chain_dids):
        try:
            chain_keys.add(public_from_did_key(d))
        except ValueError:
            chain_dids.remove(d)

    # 2. Which keys count: the trust policy's, or (reported as such) the bundle's own.
    if trust is None:
        log_keys = [k for k in own_log_keys if k.sig_type == SIG_ED25519 and k.name == origin]
        witnesses = [k for k in own_witness_keys if k.sig_type == SIG_COSIGNATURE_V1]
        quorum = manifest.get("quorum", 1)
        report.trusted = False
        report.trusted_keys = [_describe(k, "taken from the bundle: proves nothing about who signed") for k in log_keys]
        report.trusted_keys += [_describe(k, "taken from the bundle") for k in witnesses]
        report.add(
            "log keys",
            bool(chain_keys) and {bytes(k.public_key) for k in log_keys} <= chain_keys,
            "every log key of the bundle is introduced by the log's genesis or a rotation entry"
            if bool(chain_keys) and {bytes(k.public_key) for k in log_keys} <= chain_keys
            else "a log key of the bundle is not introduced by the log itself",
        )
    else:
        pinned = trust.log_keys_for(origin)
        pinned_keys = {bytes(k.public_key) for k in pinned}
        log_keys = list(pinned)
        why = {k.vkey: f"pinned by {trust.source}" for k in pinned}
        # A pinned key vouches for the rotations it signed, and those for the next ones.
        anchored = False
        for did in chain_dids:
            pub = public_from_did_key(did)
            if pub in pinned_keys:
                anchored = True
            elif anchored:
                v = NoteVerifier(origin, pub)
                log_keys.append(v)
                why[v.vkey] = "introduced by a key.org.rotate entry signed by a trusted log key"
        witnesses, quorum = list(trust.witnesses), trust.quorum
        report.trusted = True
        report.trust_source = trust.source + (f" ({trust.why})" if trust.why else "")
        report.trusted_keys = [_describe(k, why[k.vkey]) for k in log_keys]
        report.trusted_keys += [_describe(k, f"witness pinned by {trust.source}") for k in witnesses]
        report.add(
            "trusted log key",
            bool(pinned),
            f"{len(pinned)} key(s) of {origin} in the trust policy"
            if pinned
            else f"the trust policy has no key of log {origin}",
        )

    # 3. The checkpoint: signed by a log key, cosigned by enough witnesses.
    try:
        opened = open_note(manifest["checkpoint"], [*log_keys, *witnesses])
        signed = origin in opened.verified_names(SIG_ED25519) and cp.origin == origin
        report.add(
            "checkpoint signature",
            signed,
            f"{origin} size {cp.size}, root {cp.root_hash.hex()}"
            if signed
            else f"no valid signature by a {'trusted ' if trust else ''}key of {origin}",
        )
    except LedgerError as exc:
        report.add("checkpoint signature", False, str(exc))
        opened = None
    cosigners = sorted(opened.verified_names(SIG_COSIGNATURE_V1)) if opened else []
    report.add(
        "witnessed",
        len(cosigners) >= quorum and (quorum > 0 or trust is not None),
        f"{len(cosigners)} of {quorum} required witness cosignatures"
        f" ({'quorum from ' + trust.source if trust else 'quorum as the bundle states it'}): "
        f"{', '.join(cosigners) or 'none'}",
    )
    if not report.timeline:
        report.add("hazard entries", False, f"no entry of hazard {hazard_id}")


BUNDLE_REPORT_LANGUAGES = ("en", "zh_CN")

# The human-readable words of the verification report in Chinese (English is the key and the default). The checks'
# details, the ids, keys, times and hashes are evidence and are shown as they are in every language.
_REPORT_ZH = {
    "Evidence bundle {hazard}": "证据包 {hazard}",
    "Evidence bundle verification": "证据包验证",
    "VERIFIED": "验证通过",
    "NOT VERIFIED": "验证未通过",
    "SELF-CONSISTENT, NOT TRUSTED": "自洽但未经信任",
    "Hazard <b>{hazard}</b> in log <code>{origin}</code>; bundle <code>{path}</code>; checked offline at {time}.":
        "隐患 <b>{hazard}</b>，存证日志 <code>{origin}</code>；证据包 <code>{path}</code>；离线验证时间 {time}。",
    "Trusted keys": "信任的密钥",
    "Keys and quorum from <b>{source}</b>.": "密钥与见证法定数取自 <b>{source}</b>。",
    "No trust policy was given: the bundle was checked against <b>its own keys</b>, which anyone who rewrites a "
    "bundle can replace. Give the log and witness keys (<code>--trust-file</code> or <code>--trust</code>) obtained "
    "from the log's operator and witnesses out of band.":
        "未提供信任策略：证据包仅以<b>其自带的密钥</b>校验，而任何改写证据包的人都可以替换这些密钥。请通过其他可靠渠道"
        "向存证日志运营方和见证方获取日志密钥和见证密钥，并以 <code>--trust-file</code> 或 <code>--trust</code> 提供。",
    "kind": "类型", "name": "名称", "key id": "密钥 ID", "why it was used": "采用原因",
    "Lifecycle": "隐患处置过程", "index": "序号", "step": "步骤", "time": "时间", "author": "签名人",
    "leaf hash": "叶哈希", "Checks": "校验项", "check": "校验", "detail": "详情",
    "witness (cosignature, type 0x04)": "见证方（联署，类型 0x04）", "log (Ed25519, type 0x01)": "日志（Ed25519，类型 0x01）",
    # check names (the dynamic ones by pattern below)
    "keys": "密钥", "checkpoint signature": "检查点签名", "log keys": "日志密钥", "trusted log key": "受信任的日志密钥",
    "witnessed": "见证", "hazard entries": "隐患记录",
    # fixed details
    "included in the checkpoint, author signature valid": "已包含于检查点，签名人签名有效",
    "prev names the leaf hash of the step before": "prev 指向上一步骤的叶哈希",
    "prev does not match the previous step": "prev 与上一步骤不符",
    "present, digest matches": "文件存在，摘要一致",
    "missing or altered": "缺失或被篡改",
    "signature, index or log does not match": "签名、序号或日志不符",
    # hazard lifecycle steps
    "reported": "上报", "assigned": "派单", "rectified": "整改", "verified": "复核", "closed": "销号",
}  # fmt: skip
_CHECK_PATTERNS_ZH = (
    (re.compile(r"entry (\d+) links to the previous step"), "记录 {0} 与上一步骤相连"),
    (re.compile(r"entry (\d+) \((.+)\)"), "记录 {0}（{1}）"),
    (re.compile(r"entry (\d+)"), "记录 {0}"),
    (re.compile(r"file (.+)"), "文件 {0}"),
)


def _report_text(text: str, lang: str) -> str:
    """``text`` of the verification report in ``lang`` (unknown texts, the evidence, unchanged)."""
    if lang != "zh_CN":
        return text
    if text in _REPORT_ZH:
        return _REPORT_ZH[text]
    for pattern, template in _CHECK_PATTERNS_ZH:
        match = pattern.fullmatch(text)
        if match:
            return template.format(*match.groups())
    return text


def render_html(report: BundleReport, lang: str = "en") -> str:
    """A self-contained, readable HTML verification report, its text in ``lang`` (en or zh_CN)."""
    if lang not in BUNDLE_REPORT_LANGUAGES:
        raise BundleError(f"report language {lang!r}: choose {' or '.join(BUNDLE_REPORT_LANGUAGES)}")
    e = html.escape

    def t(text: str, **values: str) -> str:
        return _report_text(text, lang).format(**values) if values else _report_text(text, lang)

    rows = "\n".join(
        f"<tr class='{'ok' if c.ok else 'bad'}'><td>{'✔' if c.ok else '✘'}</td><td>{e(t(c.name))}</td>"
        f"<td>{e(t(c.detail))}</td></tr>"
        for c in report.checks
    )
    steps = "\n".join(
        f"<tr><td>{s['index']}</td><td>{e(t(s['step']))}</td><td>{e(s['time'])}</td>"
        f"<td><code>{e(s['author'])}</code></td><td><code>{e(s['leaf_hash'][:16])}…</code></td></tr>"
        for s in report.timeline
    )
    verdict = t(report.verdict if report.verdict in ("VERIFIED", "NOT VERIFIED") else "SELF-CONSISTENT, NOT TRUSTED")
    colour = "#070" if report.ok else "#b00" if not report.consistent else "#a60"
    keys = "\n".join(
        f"<tr><td>{e(t(k['kind']))}</td><td><code>{e(k['name'])}</code></td><td><code>{e(k['key_id'])}</code></td>"
        f"<td>{e(k['why'])}</td></tr>"
        for k in report.trusted_keys
    )
    trust_note = (
        t("Keys and quorum from <b>{source}</b>.", source=e(report.trust_source))
        if report.trusted
        else t("No trust policy was given: the bundle was checked against <b>its own keys</b>, which anyone who "
               "rewrites a bundle can replace. Give the log and witness keys (<code>--trust-file</code> or "
               "<code>--trust</code>) obtained from the log's operator and witnesses out of band.")
    )  # fmt: skip
    where = t("Hazard <b>{hazard}</b> in log <code>{origin}</code>; bundle <code>{path}</code>; checked offline at "
              "{time}.", hazard=e(report.hazard_id), origin=e(report.origin), path=e(report.path),
              time=e(utc_now_iso()))  # fmt: skip

    def heads(*names: str) -> str:
        return "<tr>" + "".join(f"<th>{e(t(n)) if n else ''}</th>" for n in names) + "</tr>"

    html_lang = "zh-CN" if lang == "zh_CN" else "en"
    title = e(t("Evidence bundle {hazard}", hazard=report.hazard_id))
    return f"""<!doctype html>
<html lang="{html_lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}} .ok td:first-child{{color:#070}} .bad td:first-child{{color:#b00}}
table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}} .verdict{{font-size:1.4em;color:{colour}}}</style></head>
<body><h1>{t("Evidence bundle verification")}</h1>
<p class="verdict">{e(verdict)}</p>
<p>{where}</p>
<h2>{t("Trusted keys")}</h2><p>{trust_note}</p>
<table>{heads("kind", "name", "key id", "why it was used")}{keys}</table>
<h2>{t("Lifecycle")}</h2><table>{heads("index", "step", "time", "author", "leaf hash")}{steps}</table>
<h2>{t("Checks")}</h2><table>{heads("", "check", "detail")}{rows}</table>
</body></html>
"""
