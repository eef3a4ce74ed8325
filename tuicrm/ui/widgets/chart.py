"""A report's chart: plotext through textual-plotext's PlotextPlot, redrawn to the pane's size.

- Bars stacked or grouped per ``services.reports.Chart.style``; x labels thinned so they never
  overlap at 80 columns; y ticks are whole numbers formatted for the language (money compact).
- Without colour (NO_COLOR, or a monochrome terminal) each series gets its own fill pattern, so
  the legend still tells them apart.
- An empty chart is not drawn at all: the widget says there is nothing in the period.
"""

from __future__ import annotations

import math

from babel import numbers as babel_numbers
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from tuicrm import formatting
from tuicrm.i18n import _
from tuicrm.services.reports import MONEY, Chart

PATTERNS = ("█", "▒", "░", "#", "=", "+")
# plotext colour names for the series and the same colours for the legend line (rich names)
COLORS = ("blue+", "green+", "red+", "magenta+", "cyan+", "yellow+")
RICH_COLORS = ("bright_blue", "bright_green", "bright_red", "bright_magenta", "bright_cyan", "bright_yellow")


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """0 and a few round steps up to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if step < 1:
        step = 1.0
    n = int(math.ceil(top / step))
    return [i * step for i in range(n + 1)]


def tick_label(value: float, unit: str) -> str:
    if unit == MONEY:
        if abs(value) >= 1000:
            return babel_numbers.format_compact_decimal(value, locale=formatting.locale(), fraction_digits=1)
        return formatting.number(value)
    return formatting.number(value)


class _Plot(PlotextPlot):
    """Draws the chart at render time, so it always fits the size the pane has right now."""

    def __init__(self, owner: "ReportChart", **kwargs) -> None:
        super().__init__(**kwargs)
        self.owner = owner

    def render(self):
        if self.owner.chart is not None and not self.owner.chart.empty:
            self.owner._draw(self.owner.chart, self.size.width)
        return super().render()


class ReportChart(Vertical):
    """Holds a PlotextPlot and an 'empty' message; ``show(chart)`` replaces what is drawn."""

    DEFAULT_CSS = """
    ReportChart { height: 1fr; }
    ReportChart > PlotextPlot { height: 1fr; }
    ReportChart > .chart-empty { height: 1fr; content-align: center middle; }
    ReportChart > .chart-legend { height: 1; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.chart: Chart | None = None

    def compose(self) -> ComposeResult:
        yield _Plot(self, id="chart-plot")
        yield Static("", classes="chart-legend", id="chart-legend")
        yield Static("", classes="chart-empty", id="chart-empty")

    def on_mount(self) -> None:
        self.query_one("#chart-empty").display = False

    @property
    def plot(self) -> PlotextPlot:
        return self.query_one("#chart-plot", PlotextPlot)

    @property
    def is_empty(self) -> bool:
        return self.chart is None or self.chart.empty

    def empty_text(self) -> str:
        return str(self.query_one("#chart-empty", Static).render())

    def show(self, chart: Chart | None) -> None:
        self.chart = chart
        plot = self.plot
        message = self.query_one("#chart-empty", Static)
        legend = self.query_one("#chart-legend", Static)
        if chart is None or chart.empty:
            title = chart.title if chart is not None else ""
            message.update(Text(f"{title}\n\n" + _("Nothing to chart: no data in this period for these filters.")))
            message.display = True
            plot.display = False
            legend.display = False
            return
        message.display = False
        plot.display = True
        legend.display = True
        legend.update(self.legend(chart))
        plot.refresh()

    @property
    def mono(self) -> bool:
        return bool(getattr(self.app, "no_color", False))

    def legend(self, chart: Chart) -> Text:
        text = Text()
        text.append(chart.title + ":  ", style="bold")
        for i, s in enumerate(chart.series):
            if self.mono:
                text.append(PATTERNS[i % len(PATTERNS)] * 2)
            else:
                text.append("██", style=RICH_COLORS[i % len(RICH_COLORS)])
            text.append(f" {s.name}   ")
        return text

    def _draw(self, chart: Chart, size_width: int) -> None:
        plt = self.plot.plt
        plt.clear_data()
        plt.clear_figure()
        labels = list(chart.labels)
        data = [list(s.values) for s in chart.series]
        markers = [PATTERNS[i % len(PATTERNS)] for i in range(len(data))] if self.mono else None
        colors = [COLORS[i % len(COLORS)] for i in range(len(data))]
        if chart.style == "hbar":  # one series, labels down the side, first label on top
            plt.bar(labels[::-1], data[0][::-1], orientation="horizontal", width=0.6,
                    marker=markers[0] if markers else None, color=colors[0])
            ticks = nice_ticks(max(data[0], default=0))
            plt.xticks(ticks, [tick_label(t, chart.unit) for t in ticks])
            return
        if chart.style == "stacked" and len(data) > 1:
            plt.stacked_bar(labels, data, marker=markers, color=colors)
            top = max((sum(col) for col in zip(*data)), default=0)
        elif len(data) > 1:
            plt.multiple_bar(labels, data, marker=markers, color=colors)
            top = max((max(d) for d in data if d), default=0)
        else:
            plt.bar(labels, data[0], marker=markers[0] if markers else None, color=colors[0])
            top = max(data[0], default=0)
        ticks = nice_ticks(top)
        plt.yticks(ticks, [tick_label(t, chart.unit) for t in ticks])
        width = max(size_width - 10, 20)
        per_label = max(len(x) for x in labels) + 2 if labels else 8
        step = max(1, math.ceil(len(labels) * per_label / width))
        positions = list(range(1, len(labels) + 1))
        plt.xticks(positions[::step], labels[::step])
