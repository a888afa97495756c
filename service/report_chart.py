"""The report's chart for a supervisor's write-up: a funnel of cases by the level that settled
them, and the stages past deadline at each committee. Chinese labels when a CJK font is
installed, English ones otherwise (a CI machine rarely has one)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from models.calendar import local_day
from models.labels import ReportTerm, en, zh
from models.performance import PerformanceReport

CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
MAX_COMMITTEES = 12
REACHED, SETTLED, LATE = "#c6dbef", "#2171b5", "#cb181d"
Label = Callable[[StrEnum], str]


def _fontconfig_zh() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.split(":")[0].strip() for line in found.stdout.splitlines() if line.strip()]


def cjk_font() -> str | None:
    """A font family with Chinese glyphs (fontconfig's first, else a well-known one), or None."""
    for path in _fontconfig_zh():
        try:
            font_manager.fontManager.addfont(path)
            return str(font_manager.FontProperties(fname=path).get_name())
        except (OSError, RuntimeError, ValueError):
            continue
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in installed), None)


def _funnel(ax: Axes, report: PerformanceReport, label: Label) -> None:
    levels = report.settling.levels
    y = list(range(len(levels)))[::-1]
    reached = [row.reached for row in levels]
    settled = [row.settled for row in levels]
    ax.barh(y, reached, left=[-r / 2 for r in reached], color=REACHED, label=label(ReportTerm.REACHED))
    ax.barh(
        y, settled, left=[-s / 2 for s in settled], height=0.5, color=SETTLED, label=label(ReportTerm.SETTLED)
    )
    widest = max([*reached, 1])
    for yi, r, n in zip(y, reached, settled, strict=True):
        ax.text(widest / 2 + widest * 0.04, yi, f"{n} / {r}", va="center")
    ax.set_yticks(y, labels=[label(row.level) for row in levels])
    ax.set_xlim(-widest * 0.6, widest * 0.8)
    ax.set_xticks([])
    ax.spines[["top", "right", "bottom"]].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), ncols=2, fontsize="small", frameon=False)
    s = report.settling
    shares = [
        f"{label(ReportTerm.VILLAGE_SHARE)}: {_share(s.village_share)}",
        f"{label(ReportTerm.TOWNSHIP_SHARE)}: {_share(s.township_share)}",
    ]
    ax.set_title("\n".join([label(ReportTerm.SETTLED_BY_LEVEL), *shares]), fontsize="medium")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _overdue(ax: Axes, report: PerformanceReport, label: Label, chinese: bool) -> None:
    late = sorted((c for c in report.committees if c.past_deadline), key=lambda c: -c.past_deadline)
    late = late[:MAX_COMMITTEES][::-1]
    ax.set_title(label(ReportTerm.PAST_DEADLINE_BY_COMMITTEE), fontsize="medium")
    if not late:
        ax.text(0.5, 0.5, label(ReportTerm.NONE), ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    names = [c.name if chinese else c.name_en for c in late]
    ax.barh(names, [c.past_deadline for c in late], height=0.6, color=LATE)
    ax.set_ylim(-1, max(len(late), 4))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)


def _heading(report: PerformanceReport) -> str:
    q = report.query
    last = local_day(q.period.end - timedelta(microseconds=1))
    channel = f" · {q.channel}" if q.channel else ""
    return f"{q.place} · {local_day(q.period.start)} – {last}{channel}"


def draw_chart(report: PerformanceReport, path: Path, *, chinese: bool = True) -> bool:
    """Write the PNG; returns whether its labels are Chinese (wanted, and a CJK font is found)."""
    font = cjk_font() if chinese else None
    label: Label = zh if font is not None else en
    with matplotlib.rc_context():  # the font choice ends with this chart
        if font is not None:
            matplotlib.rcParams["font.family"] = "sans-serif"
            matplotlib.rcParams["font.sans-serif"] = [font, *matplotlib.rcParams["font.sans-serif"]]
        figure = Figure(figsize=(12, 5), dpi=150, layout="constrained")
        funnel, overdue = figure.subplots(1, 2, width_ratios=[1, 1.2])
        _funnel(funnel, report, label)
        _overdue(overdue, report, label, font is not None)
        figure.suptitle(_heading(report))
        figure.savefig(path, format="png", facecolor="white")
    return font is not None
