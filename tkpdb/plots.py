"""Lightcurve plots (matplotlib, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .lightcurves import LightcurvePoint

__all__ = ["plot_lightcurve"]


def plot_lightcurve(points: Sequence[LightcurvePoint], path: str | Path, title: str = "") -> Path:
    """Integrated flux (mJy) against time (UTC) with 1-sigma error bars, one colour per band;
    blind detections as filled circles, forced fits as open squares. Writes ``path`` (PNG)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    bands = sorted({p.freq_eff for p in points})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, freq in enumerate(bands):
        colour = colours[k % len(colours)]
        for blind, marker, face, label in ((True, "o", colour, "detection"),
                                           (False, "s", "none", "forced fit")):
            sel = [p for p in points if p.freq_eff == freq and (p.extract_type == 0) == blind
                   and p.f_int is not None]
            if not sel:
                continue
            ax.errorbar([p.taustart_ts for p in sel], [p.f_int * 1e3 for p in sel],
                        yerr=[(p.f_int_err or 0.0) * 1e3 for p in sel], fmt=marker, color=colour,
                        mfc=face, ms=6, capsize=3, label=f"{freq / 1e6:g} MHz, {label}")
    ax.axhline(0.0, color="0.7", lw=0.8)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("integrated flux density (mJy)")
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_title(title)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
