"""Word recall of segmented dumps against the policies' own words.

score.py RENDERER HTML_DIR DUMP_DIR CLAUSES_BIN WORST: segments every dump in
DUMP_DIR as text (CLAUSES_BIN --text) and prints the renderer's micro and mean
word recall against HTML_DIR/NAME.words, with the WORST lowest documents.
Headings count once each: a clause carries its heading path, not a copy.
"""

import collections
import pathlib
import re
import subprocess
import sys


def words(text: str) -> collections.Counter:
    return collections.Counter(re.findall(r"[a-z0-9]+", text.lower()))


def kept_words(output: str) -> dict:
    kept, current, headings = {}, None, set()
    for line in output.splitlines():
        if line.startswith("=== "):
            current = pathlib.Path(line[4:].rsplit(" (", 1)[0]).stem
            kept[current], headings = collections.Counter(), set()
        elif line.startswith("--- ["):
            for heading in line.split("] ", 1)[1].split(" > ") if "] " in line else []:
                if heading not in headings:
                    headings.add(heading)
                    kept[current].update(words(heading))
        else:
            # lynx's link markers ([12]) are no words of the policy
            kept[current].update(words(re.sub(r"\[\d+\]", " ", line)))
    return kept


def main() -> None:
    renderer, html_dir, dump_dir, binary, worst = sys.argv[1:6]
    dumps = sorted(pathlib.Path(dump_dir).glob("*.txt"))
    out = subprocess.run(
        [binary, "--text", *map(str, dumps)], capture_output=True, text=True, errors="replace", check=True
    ).stdout
    kept = kept_words(out)
    rows, hit, total = [], 0, 0
    for dump in dumps:
        ref = words((pathlib.Path(html_dir) / f"{dump.stem}.words").read_text(encoding="utf-8"))
        n = sum(ref.values())
        if n == 0:
            continue
        h = sum((ref & kept.get(dump.stem, collections.Counter())).values())
        hit, total = hit + h, total + n
        rows.append((h / n, n - h, dump.stem))
    rows.sort()
    mean = sum(r[0] for r in rows) / len(rows)
    under = sum(1 for r in rows if r[0] < 0.95)
    print(f"{renderer:9} {len(rows)} policies: word recall {hit / total:.4f} (mean {mean:.4f}), under 0.95: {under}")
    for recall, lost, name in rows[: int(worst)]:
        print(f"    {recall:.3f}  -{lost}  {name}")


if __name__ == "__main__":
    main()
