"""Markdown policies to bare HTML pages, with the policy's words beside each.

render.py SRC_DIR OUT_DIR: OUT_DIR/NAME.html (the page) and OUT_DIR/NAME.words
(the reference words: the Markdown without link targets, images and markup).
"""

import pathlib
import re
import sys

import markdown


def reference_words(md: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", md)  # images
    text = re.sub(r"\]\([^)]*\)", "] ", text)  # link targets
    text = re.sub(r"<[^>]+>", " ", text)  # inline markup
    text = re.sub(r"https?://\S+", " ", text)  # bare addresses
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def main() -> None:
    src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for path in sorted(src.rglob("*.md")):
        name = re.sub(r"[^A-Za-z0-9]+", "_", str(path.relative_to(src))[: -len(".md")])
        md = path.read_text(encoding="utf-8", errors="replace")
        html = markdown.markdown(md, extensions=["tables"])
        (out / f"{name}.html").write_text(
            f"<!DOCTYPE html><html><head><meta charset=utf-8></head><body>{html}</body></html>",
            encoding="utf-8",
        )
        (out / f"{name}.words").write_text(reference_words(md), encoding="utf-8")
        n += 1
    print(f"rendered {n} policies into {out}")


if __name__ == "__main__":
    main()
