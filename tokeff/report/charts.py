"""Charts for the report, drawn with matplotlib (no JavaScript, no CDN): each chart is rendered
once as SVG text, inlined into index.html, and once as PNG for report.md."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tokeff.corpora.languages import order_by_region, region_of

plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                     "svg.fonttype": "none", "figure.dpi": 110,
                     "svg.hashsalt": "tokeff"})  # fixed SVG ids: the same report is the same bytes


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    svg: str
    png: str  # file name inside the report directory


def _finish(fig: Figure, name: str, title: str, out_dir: Path) -> Chart:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})  # same chart, same bytes
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and doctype for inlining
    fig.savefig(out_dir / f"{name}.png", format="png", bbox_inches="tight", dpi=110, metadata={"Software": None})
    plt.close(fig)
    return Chart(name, title, svg, f"{name}.png")


def premium_heatmap(ratios: pd.DataFrame, corpus: str, out_dir: Path) -> Chart:
    """Language x tokenizer grid of the premium with its 95% CI, languages grouped by region and
    sorted by premium on the first tokenizer."""
    rows = ratios[(ratios["corpus"] == corpus) & (ratios["language"] != ratios["reference"])]
    toks = list(dict.fromkeys(rows["tokenizer"]))
    first = rows[rows["tokenizer"] == toks[0]]
    langs = order_by_region(dict(zip(first["language"], first["premium"], strict=True)))
    langs += [x for x in dict.fromkeys(rows["language"]) if x not in langs]
    grid = np.full((len(langs), len(toks)), np.nan)
    labels = [["" for _ in toks] for _ in langs]
    many = len(langs) > 10  # 20+ languages: one line per cell, the CI in the table
    for r in rows.itertuples(index=False):
        i, j = langs.index(str(r.language)), toks.index(r.tokenizer)
        grid[i, j] = r.premium
        labels[i][j] = f"{r.premium:.2f}" if many else f"{r.premium:.2f}\n[{r.premium_low:.2f}, {r.premium_high:.2f}]"
    fig, ax = plt.subplots(figsize=(1.25 * len(toks) + 2.6, (0.32 if many else 0.7) * len(langs) + 1.2))
    vmax = max(2.4, float(np.nanmax(grid)))
    im = ax.imshow(grid, cmap="OrRd", vmin=1.0, vmax=vmax, aspect="auto")
    shade = (grid - 1.0) / (vmax - 1.0)  # where each cell sits on the colour scale
    ax.set_xticks(range(len(toks)), toks, rotation=30, ha="right")
    regions = [region_of(x) for x in langs]
    ax.set_yticks(range(len(langs)), [f"{x} ({g})" if len(set(regions)) > 1 else x for x, g in zip(langs, regions, strict=True)])
    for i in range(1, len(langs)):
        if regions[i] != regions[i - 1]:
            ax.axhline(i - 0.5, color="black", linewidth=1.2)
    for i in range(len(langs)):
        for j in range(len(toks)):
            ax.text(j, i, labels[i][j], ha="center", va="center", fontsize=7 if many else 7.5,
                    color="white" if shade[i, j] > 0.55 else "black")  # legible on its colour
    fig.colorbar(im, ax=ax, label="tokens vs English (same content)")
    ax.set_title(f"Token premium vs English, {corpus}")
    return _finish(fig, "premium_heatmap", "Premium by language and tokenizer", out_dir)


def chars_per_token(ratios: pd.DataFrame, corpus: str, out_dir: Path) -> Chart:
    rows = ratios[ratios["corpus"] == corpus]
    piv = rows.pivot_table(index="language", columns="tokenizer", values="chars_per_token", sort=False)
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    piv.plot.bar(ax=ax, width=0.8, rot=0)
    ax.set_ylabel("characters per token")
    ax.set_xlabel("")
    ax.legend(fontsize=7, ncol=3, frameon=False)
    ax.set_title("Characters per token (descriptive; not a cost ratio across scripts)")
    return _finish(fig, "chars_per_token", "Characters per token", out_dir)


def cost_per_request(costs: pd.DataFrame, out_dir: Path) -> Chart:
    """Cost per 1,000 requests per model and language on one shared scale: the English-equivalent
    part, and the language tax on top (red) or the saving taken off it (green, hatched)."""
    langs = list(dict.fromkeys(costs["language"]))
    per_k = 1000  # cost per 1,000 requests: whole units instead of fractions of a cent
    cur = costs["currency"].iloc[0]
    fig, axes = plt.subplots(1, len(langs), figsize=(3.3 * len(langs) + 1.2, 0.32 * costs["model"].nunique() + 1.6),
                             sharey=True, sharex=True, squeeze=False)
    models = list(costs.sort_values("cost_per_request")["model"].drop_duplicates())
    for ax, lang in zip(axes[0], langs, strict=True):
        part = costs[costs["language"] == lang].set_index("model").reindex(models)
        english = part["english_cost_per_request"] * per_k  # the same content in English on this model
        tax = part["cost_per_request"] * per_k - english
        y = np.arange(len(models))
        ax.barh(y, english.where(tax >= 0, english + tax), color="#9bb7d4", label="same content in English")
        ax.barh(y, tax.clip(lower=0), left=english, color="#d9534f", label="language tax")
        ax.barh(y, (-tax).clip(lower=0), left=english + tax.clip(upper=0), color="#8fd19e", hatch="//",
                edgecolor="#2a7a3b", linewidth=0, label="saving vs English")
        ax.set_yticks(y, models)
        ax.invert_yaxis()
        ax.set_title(lang)
        ax.set_xlabel(f"{cur} per 1,000 requests")
        ax.grid(axis="x", linewidth=0.4, alpha=0.5)
    fig.legend(*axes[0][0].get_legend_handles_labels(), fontsize=8, frameon=False, loc="lower center",
               ncol=3, bbox_to_anchor=(0.5, -0.06))
    fig.suptitle(f"Cost per 1,000 requests ({cur}), with the language tax", y=1.02)
    return _finish(fig, "cost_per_request", "Cost per 1,000 requests and the language tax", out_dir)


def domain_spread(ratios: pd.DataFrame, tokenizer: str, out_dir: Path, pooled: str) -> Chart:
    """Premium of each language in each corpus (domain), for one tokenizer, with CIs."""
    rows = ratios[(ratios["tokenizer"] == tokenizer) & (ratios["language"] != ratios["reference"])
                  & (ratios["corpus"] != pooled)]
    langs = list(dict.fromkeys(rows["language"]))
    corpora = list(dict.fromkeys(rows["corpus"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * len(corpora) + 1.2))
    offsets = np.linspace(-0.3, 0.3, len(langs))
    for k, lang in enumerate(langs):
        part = rows[rows["language"] == lang].set_index("corpus").reindex(corpora)
        y = np.arange(len(corpora)) + offsets[k]
        err = np.vstack([part["premium"] - part["premium_low"], part["premium_high"] - part["premium"]])
        ax.errorbar(part["premium"], y, xerr=err, fmt="o", ms=4, capsize=2, label=lang)
    ax.set_yticks(range(len(corpora)), corpora)
    ax.invert_yaxis()
    ax.axvline(1.0, color="grey", lw=0.8)
    ax.set_xlabel(f"premium vs English ({tokenizer}), 95% CI")
    ax.legend(fontsize=7, frameon=False, ncol=len(langs), loc="upper center", bbox_to_anchor=(0.5, -0.12))
    ax.set_title(f"Premium by domain ({tokenizer})")
    return _finish(fig, "domain_spread", "Premium by domain", out_dir)
