"""Small inline SVG charts for the report page: no JavaScript, no fonts or scripts fetched from anywhere."""

from html import escape

W, H, LEFT, RIGHT, TOP, BOTTOM = 640, 260, 64, 150, 28, 44
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf"]


def _frame(title: str, y_max: float, y_format) -> list[str]:
    """The chart's box, title and four y gridlines labelled from 0 to y_max."""
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
              f'role="img" aria-label="{escape(title)}">'),
             f'<text x="{LEFT}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i in range(5):
        y = TOP + (H - TOP - BOTTOM) * (1 - i / 4)
        parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
                     f'{escape(y_format(y_max * i / 4))}</text>')
    return parts


def _y(value: float, y_max: float) -> float:
    return TOP + (H - TOP - BOTTOM) * (1 - (value / y_max if y_max else 0))


def _legend(names: list[str]) -> list[str]:
    return [f'<rect x="{W - RIGHT + 10}" y="{TOP + 16 * i}" width="10" height="10" fill="{COLORS[i % 10]}"/>'
            f'<text x="{W - RIGHT + 24}" y="{TOP + 16 * i + 9}" font-size="11">{escape(name)}</text>'
            for i, name in enumerate(names)]


def _x_labels(labels: list[str], x_of) -> list[str]:
    step = max(1, len(labels) // 8)
    return [f'<text x="{x_of(i):.1f}" y="{H - BOTTOM + 16}" font-size="10" text-anchor="middle">{escape(lab)}</text>'
            for i, lab in enumerate(labels) if i % step == 0]


def line_chart(title: str, series: dict[str, dict[str, float]], x_labels: list[str], y_format=str) -> str:
    """One line (with dots) per series over the x labels; missing points are gaps."""
    values = [v for points in series.values() for v in points.values()]
    y_max = max(values, default=0) * 1.1 or 1.0
    span = W - LEFT - RIGHT

    def x_of(i: int) -> float:
        return LEFT + (span * (i + 0.5) / max(len(x_labels), 1))

    parts = _frame(title, y_max, y_format) + _x_labels(x_labels, x_of)
    for n, (name, points) in enumerate(sorted(series.items())):
        color = COLORS[n % 10]
        xy = [(x_of(i), _y(points[lab], y_max)) for i, lab in enumerate(x_labels) if lab in points]
        if len(xy) > 1:
            parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                         + " ".join(f"{x:.1f},{y:.1f}" for x, y in xy) + '"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in xy]
    if not values:
        parts.append(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="#888">no data in this window</text>')
    return "\n".join(parts + _legend(sorted(series)) + ["</svg>"])


def bar_chart(title: str, groups: dict[str, dict[str, float]], y_format=str) -> str:
    """Grouped bars: for each group (x), one bar per key (e.g. p50, p95, p99 per model)."""
    keys = sorted({k for bars in groups.values() for k in bars}, key=lambda k: (len(k), k))
    values = [v for bars in groups.values() for v in bars.values() if v is not None]
    y_max = max(values, default=0) * 1.1 or 1.0
    slot = (W - LEFT - RIGHT) / max(len(groups), 1)
    width = slot * 0.8 / max(len(keys), 1)
    parts = _frame(title, y_max, y_format) + _x_labels(list(groups), lambda i: LEFT + slot * (i + 0.5))
    for i, bars in enumerate(groups.values()):
        for j, key in enumerate(keys):
            value = bars.get(key)
            if value is None:
                continue
            x, y = LEFT + slot * i + slot * 0.1 + width * j, _y(value, y_max)
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{_y(0, y_max) - y:.1f}" '
                         f'fill="{COLORS[j % 10]}"><title>{escape(key)}: {escape(y_format(value))}</title></rect>')
    if not values:
        parts.append(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="#888">no data in this window</text>')
    return "\n".join(parts + _legend(keys) + ["</svg>"])


def histogram(title: str, edges: list[float], counts: list[int]) -> str:
    """Counts per bin between consecutive edges."""
    bins = {f"{edges[i]:.1f}": {"rows": float(c)} for i, c in enumerate(counts)}  # labelled by lower edge
    return bar_chart(title, bins, lambda v: f"{v:.0f}")
