"""Per-label table (Markdown) of `policylens eval --json` reports, side by side.

    python scripts/modern/compare.py NAME=REPORT.json [NAME=REPORT.json ...]
"""

import json
import sys


def main():
    reports = [(arg.split("=", 1)[0], json.load(open(arg.split("=", 1)[1]))["report"]) for arg in sys.argv[1:]]
    print("| label | " + " | ".join(f"{n} P / R / F1" for n, _ in reports) + f" | support ({reports[0][0]}) |")
    print("|---|" + "---|" * len(reports) + "---|")
    for k, first in enumerate(reports[0][1]["labels"]):
        cells = [f"{r['labels'][k]['precision']:.3f} / {r['labels'][k]['recall']:.3f} / {r['labels'][k]['f1']:.3f}"
                 for _, r in reports]
        print(f"| `{first['label']}` | " + " | ".join(cells) + f" | {first['support']} |")
    for avg in ("macro", "micro"):
        cells = [f"{r[avg + '_precision']:.3f} / {r[avg + '_recall']:.3f} / **{r[avg + '_f1']:.3f}**" for _, r in reports]
        print(f"| **{avg}** | " + " | ".join(cells) + " | |")


if __name__ == "__main__":
    main()
