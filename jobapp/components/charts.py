"""Reflex's recharts components, loaded with the charts instead of with the page, and drawn once seen.

Reflex imports a chart (`rx.recharts.bar_chart`) lazily, when it first renders, but its parts (bars, axes,
the tooltip, the responsive container) with the page's own module: so recharts, ~350 KB of the pipeline
route's 420 KB module, was parsed and evaluated before the page's first render although no chart is drawn
before the person scrolls to it (`when_seen`, below; bench/README.md). These are the same components imported
the way Reflex imports the charts themselves: each renders once recharts has loaded (one import shared by
all), and recharts 3 finds its parts through context, so a part rendered by a wrapper still draws.

The pipeline's charts sit under its list, out of sight when the page opens; drawing them (importing recharts,
laying out three charts) took 100-170 ms of the browser's main thread just after the page had shown its
rows, so a search typed then waited that long to be sent. `when_seen` draws its chart once its place comes
near the screen.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.components.component import Component, NoSSRComponent
from reflex_base.utils.imports import ImportDict
from reflex_components_recharts import cartesian, general


def _lazy(part: type[Component]) -> type[Component]:
    """`part`, imported from its library when first rendered."""
    return type(part.__name__, (NoSSRComponent, part), {"__module__": __name__, "__doc__": part.__doc__})


Bar = _lazy(cartesian.Bar)
XAxis = _lazy(cartesian.XAxis)
YAxis = _lazy(cartesian.YAxis)
Funnel = _lazy(cartesian.Funnel)
Tooltip = _lazy(general.GraphingTooltip)
ResponsiveContainer = _lazy(general.ResponsiveContainer)


# The container's props that Reflex's chart sets (its width and height, and minimums against collapsing).
_SIZE = ("width", "height", "min_width", "min_height")


def responsive(chart: rx.Component) -> rx.Component:
    """A chart from `rx.recharts` (`bar_chart`, `funnel_chart`…), in a lazily imported responsive container
    instead of the one Reflex wraps it in."""
    container: Any = chart
    return ResponsiveContainer.create(*container.children, **{k: getattr(container, k) for k in _SIZE})


class WhenSeen(Component):
    """Its children, rendered once its box has come within 200 px of the viewport (an IntersectionObserver);
    until then an empty box of the chart's height (`chart-space` in assets/jobapp.css)."""

    tag = "WhenSeen"

    def add_imports(self) -> ImportDict:
        return {"react": ["createElement", "useEffect", "useRef", "useState"]}

    def add_custom_code(self) -> list[str]:
        return [
            """function WhenSeen({ children }) {
  const box = useRef(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    if (seen || !box.current) return;
    const observer = new IntersectionObserver(
      (entries) => { if (entries.some((entry) => entry.isIntersecting)) setSeen(true); },
      { rootMargin: "200px" },
    );
    observer.observe(box.current);
    return () => observer.disconnect();
  }, [seen]);
  return createElement("div", { ref: box, className: "chart-space" }, seen ? children : null);
}"""
        ]


when_seen = WhenSeen.create
