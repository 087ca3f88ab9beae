"""Statistics, the side-by-side text table, and the JSON/CSV files."""
import csv
import json
import math
import statistics


def summary(samples):
    """median, p25, p75, min, max of the samples that did not time out, and the timeouts."""
    values = sorted(v for v in samples if v is not None)
    timeouts = sum(1 for v in samples if v is None)
    if not values:
        return {"n": 0, "timeouts": timeouts}
    if len(values) >= 2:
        quartiles = statistics.quantiles(values, n=4, method="inclusive")
    else:
        quartiles = [values[0], values[0], values[0]]
    return {"n": len(values), "timeouts": timeouts, "median": statistics.median(values),
            "p25": quartiles[0], "p75": quartiles[2], "min": values[0], "max": values[-1]}


def cell(stats, ours=None):
    if stats is None:
        return "-"
    if stats.get("error"):
        return "failed"
    if not stats.get("n"):
        return f"timeout ({stats.get('timeouts', 0)})"
    text = f"{stats['median']:.1f} ({math.floor(stats['min'])}-{math.ceil(stats['max'])})"
    if ours and ours.get("n") and ours["median"] > 0:
        text += f" {stats['median'] / ours['median']:.2f}x"
    if stats.get("timeouts"):
        text += f" +{stats['timeouts']}to"
    if stats.get("flag"):
        text += f" {stats['flag']}"
    return text


def table(title, rows, columns, labels, base):
    """rows: [(row label, {column: stats})]; ratios are to the column `base`."""
    header = [title] + [labels[c] for c in columns]
    lines = [header]
    for label, stats in rows:
        ours = stats.get(base)
        lines.append([label] + [cell(stats.get(c), ours if c != base else None) for c in columns])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(text.ljust(widths[i]) for i, text in enumerate(line)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def write_files(path_stem, document, rows):
    with open(path_stem + ".json", "w") as f:
        json.dump(document, f, indent=1)
    with open(path_stem + ".csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["scenario", "tool", "n", "timeouts", "median_ms", "p25_ms", "p75_ms", "min_ms", "max_ms", "flag"])
        for scenario, tool, stats in rows:
            writer.writerow([scenario, tool, stats.get("n", 0), stats.get("timeouts", 0)]
                            + [f"{stats[k]:.2f}" if k in stats else "" for k in ("median", "p25", "p75", "min", "max")]
                            + [stats.get("flag", stats.get("error", ""))])
