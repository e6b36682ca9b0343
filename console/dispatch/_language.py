"""The words and phrases of dispatch in English and Simplified Chinese, without Qt.

The after-action report is written by the GUI (in the UI's language) and by ``gasops incident report --lang``, where
no Qt translator is installed; the board and the dock show the same words (incident kinds, states, clocks, grades,
crew kinds). So they live here, one table, English the key and the default. Only the human-readable rendering
changes with the language: what the ledger signed (ids, digests, times, figures, the grading reasons) is shown as
signed.

>>> term("isolating", "zh_CN", "state"), term("isolating", "en", "state"), term("someone's own word", "zh_CN")
('关阀中', 'isolating', "someone's own word")
>>> phrase("Graded {grade} ({households} households)", "zh_CN").format(grade="II", households=12)
'定级 II（12 户）'
>>> check_language("fr")
Traceback (most recent call last):
...
console.dispatch._errors.IncidentError: report language 'fr': choose en or zh_CN
"""

from __future__ import annotations

from console.dispatch._errors import LANGUAGE_CHOOSE, IncidentError

__all__ = ["REPORT_LANGUAGES", "check_language", "grade_label", "phrase", "step_name", "term"]

REPORT_LANGUAGES = ("en", "zh_CN")

# Words: data values the ledger and the plan use (kinds, states, clocks, statuses, grades, crews, categories).
_TERMS_ZH = {
    # incident kinds and sources
    "leak": "泄漏", "rupture": "破管", "fire": "着火", "odour": "异味", "pressure": "压力异常", "planned": "计划停气",
    "call": "来电", "alarm": "报警", "hazard": "隐患", "map": "地图", "pipe": "管段",
    # service clocks and their status
    "arrival": "到场", "isolation": "关阀隔离", "notice": "通知", "restoration": "恢复供气",
    "met": "达标", "missed": "超时", "running": "计时中", "breached": "已超时",
    # crews
    "dispatched": "已派单", "acknowledged": "已接单", "en_route": "在途", "on_site": "到场", "done": "完成",
    "valve team": "阀门组", "regulator team": "调压器组", "repair team": "抢修队",
    # valves and meters
    "confirmed": "已确认", "warning": "告警",
    "reopened": "已重开", "to close": "待关", "optional": "可选", "required": "必关",
    "close_valve": "关阀", "shut_regulator": "关调压器", "stop_source": "切断气源", "site": "现场",
    "shut_off": "已关表", "relit": "已点火", "not_home": "未在家", "handed_over": "已移交",
    # notices
    "outage": "停气",
    # customers: where they are (inside the shut-off region or cut off downstream of it) and their category
    "isolated": "关阀区域内", "cut_off": "下游停气",
    "residential": "居民", "commercial": "商业", "industrial": "工业", "special": "特殊用户",
    "hospital": "医院", "school": "学校", "care_home": "养老院", "kindergarten": "幼儿园",
    # grades and who is notified (the default grading table)
    "routine": "日常抢修",
    "city government": "市政府", "gas authority": "燃气主管部门", "fire brigade": "消防", "police": "公安",
    "utility general manager": "公司总经理", "utility duty manager": "公司值班领导",
    "dispatch supervisor": "调度主管",
    # symptoms
    "fire or explosion": "着火或爆炸",
    "gas migrating into underground spaces or buildings": "燃气窜入地下空间或建筑",
    "higher pressure let into a lower-pressure system": "高压窜入低压系统",
    "special users affected": "特殊用户受影响",
}  # fmt: skip

# Words that mean something else in a group: an incident's state, a valve's action.
_GROUPS_ZH = {
    "state": {"open": "接报", "planned": "已出方案", "isolating": "关阀中", "isolated": "已隔离", "restoring": "恢复中",
              "closed": "已结案"},
    "valve": {"closed": "已关", "opened": "已开", "failed": "失效"},
}  # fmt: skip

GRADE_NAMES = {"I": "particularly serious", "II": "serious", "III": "major", "IV": "general", "routine": "routine"}
_GRADE_NAMES_ZH = {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般", "routine": "日常抢修"}

# Phrases of the report and the activity log (``{placeholders}`` filled after the lookup).
_PHRASES_ZH = {
    # activity log
    "Opened from {source}: {kind} at {where}": "经{source}立案：{kind}，位置 {where}",
    " — {description}": " — {description}",
    "Further report ({source}) joined": "追加报告（{source}）已并案",
    "Graded {grade} ({households} households)": "定级 {grade}（{households} 户）",
    "Plan: close {valves}": "方案：关闭 {valves}",
    "no valves": "无需关阀",
    " (failed: {failed})": "（失效：{failed}）",
    "; {customers} customers, {households} households; {low} customers outside fall below service pressure":
        "；{customers} 户用户，{households} 户居民；区外 {low} 户用户低于供气压力",
    ", ETA {eta} min over {km} km": "，预计 {eta} 分钟到达，路程 {km} km",
    "Dispatched crew {crew} to {steps}{eta}": "派单 {crew} 前往 {steps}{eta}",
    "Crew {crew}: {status}": "抢修队 {crew}：{status}",
    " by {crew}": "（{crew}）",
    "{feature} closure {result} by telemetry{value}": "{feature} 关闭经遥测{result}{value}",
    "Reading: {quantity} {value} {unit}": "读数：{quantity} {value} {unit}",
    " at {feature}": "，位置 {feature}",
    "{kind} notice ({language}) to {customers} customers ({special} special)":
        "{kind}通知（{language}）发送 {customers} 户用户（特殊用户 {special} 户）",
    "Isolated section purged": "隔离管段置换完成",
    "Meters {step}: {count} ({meters})": "表具{step}：{count} 户（{meters}）",
    "Closed": "已结案",
    # the report
    "Incident {incident} — after-action report": "事件 {incident} — 事后评估报告",
    "Kind": "类型", "Source": "来源", "Grade": "分级", "State": "状态", "Opened": "立案时间", "Closed at": "结案时间",
    "Where": "位置", "Reports": "报告次数", "Ledger": "存证账本", "not verified": "未验证",
    "Map of the outage": "停气范围图",
    "red: shut-off region (vented); orange: cut off; green dots: valves to close (dark: closed); purple: failed; "
    "black: break": "红色：关阀区域（放散）；橙色：停气管段；绿点：待关阀门（深色：已关）；紫色：失效阀门；黑色：破损点",
    "Service clocks": "服务时限", "Clock": "时限", "Limit (min)": "限值（分钟）", "Done at": "完成时间",
    "Elapsed (min)": "用时（分钟）", "Result": "结果",
    "Customers by category": "受影响用户（按类别）", "Category": "类别", "Customers": "用户数", "Households": "户数",
    "Gas vented from the shut-off region: <b>{vented} Nm³</b> (pipe volume {volume} m³)":
        "关阀区域放散量：<b>{vented} Nm³</b>（管道容积 {volume} m³）",
    "Pressure effect: {low} customers outside the shut-off region below service pressure; regulators: {regulators}":
        "压力影响：关阀区域外 {low} 户用户低于供气压力；调压设施：{regulators}",
    "none": "无",
    "Pressure effect: with the plan's valves closed, pressure system {systems} cannot carry its peak demand of "
    "{demand} Nm³/h; bottleneck pipes: {pipes}":
        "压力影响：按方案关阀后，压力系统 {systems} 无法承担其高峰用气量 {demand} Nm³/h；瓶颈管段：{pipes}",
    "Restoration": "恢复供气",
    "{affected} meters: {shut_off} shut off, {relit} relit, {handed_over} handed over, {not_home} not at home "
    "(revisit), {pending} pending; purged {purged}":
        "表具 {affected} 户：已关表 {shut_off}，已点火 {relit}，已移交 {handed_over}，未在家 {not_home}（待回访），"
        "待处理 {pending}；置换 {purged}",
    "Crews": "抢修队伍", "Crew": "抢修队", "Steps": "任务", "Route (km)": "路程 (km)", "ETA (min)": "预计到达（分钟）",
    "Status times": "各状态时间",
    "Decisions": "决策", "Time": "时间", "Who": "操作人", "Decision": "决策内容",
    "Activity log (ICS 214)": "事件记录 (ICS 214)", "#": "#", "Step": "步骤", "Activity": "活动",
    "Leaf hash": "叶哈希",
    "Every row is a signed entry of the ledger; `gasops ledger verify` checks the signatures, the chain and the "
    "checkpoints offline.": "每一行都是存证账本中的签名记录；`gasops ledger verify` 可离线校验签名、哈希链和检查点。",
    # crews
    "{crew} {kind} ({members} members{vehicle})": "{crew} {kind}（{members} 人{vehicle}）",
    "organisation": "机构",
}  # fmt: skip

_STEP_NAMES_ZH = {
    "opened": "立案", "report": "追加报告", "graded": "定级", "planned": "方案", "dispatched": "派单", "crew": "抢修队",
    "valve": "阀门", "confirmed": "确认", "reading": "读数", "notice": "通知", "purged": "置换", "meter": "表具",
    "closed": "结案",
}  # fmt: skip


def check_language(lang: str) -> str:
    """``lang`` when it is a report language, else an :class:`IncidentError` naming the choices."""
    if lang not in REPORT_LANGUAGES:
        raise IncidentError(LANGUAGE_CHOOSE.format(lang=lang, allowed=" or ".join(REPORT_LANGUAGES)))
    return lang


def term(word: str, lang: str = "en", group: str = "") -> str:
    """A data word (kind, clock, status, crew kind, category …; ``group`` "state" or "valve" for an incident's state
    or a valve's action) in ``lang``; unknown words unchanged."""
    if lang != "zh_CN" or not isinstance(word, str):
        return word
    return _GROUPS_ZH.get(group, {}).get(word) or _TERMS_ZH.get(word, word)


def step_name(step: str, lang: str = "en") -> str:
    """The name of an incident step type (``graded``, ``valve`` …) in ``lang``."""
    return _STEP_NAMES_ZH.get(step, step) if lang == "zh_CN" else step


def grade_label(grade: str | None, lang: str = "en") -> str:
    """``II serious`` / ``II 重大``; ``routine`` alone; an unknown grade as it is."""
    if not grade:
        return "—"
    names = _GRADE_NAMES_ZH if lang == "zh_CN" else GRADE_NAMES
    name = names.get(grade)
    if name is None:
        return grade
    return name if grade == "routine" else f"{grade} {name}"


def phrase(text: str, lang: str = "en") -> str:
    """A report phrase (English, with ``{placeholders}``) in ``lang``; format it after the lookup."""
    return _PHRASES_ZH.get(text, text) if lang == "zh_CN" else text
