"""Main text of saved HTML pages by four maintained extractors (compare.sh).

    python extract.py OUT PAGE.html...

Writes OUT/SYSTEM/NAME.txt for every page and system, with each library's
documented main-text call and no per-page tuning; a page a library fails on
or finds no text in gets an empty file (scored 0/0, not skipped). Each
library gets the raw bytes and decodes them itself (Resiliparse with its
own detect_encoding).

- trafilatura: extract(html, include_comments=False), otherwise defaults
  (tables kept); trafilatura-recall adds favor_recall=True.
- readability-lxml: Document(html).summary(html_partial=True), the summary's
  text with a line break after each block element.
- justext: justext(html, get_stoplist("English")), paragraphs that are not
  boilerplate, one per line.
- resiliparse: extract_plain_text(tree, main_content=True), otherwise defaults.
"""

import sys
from pathlib import Path

import justext
import lxml.html
import trafilatura
from readability import Document
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding
from resiliparse.parse.html import HTMLTree

BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
    "figcaption", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th",
    "tr", "ul",
}


def block_text(fragment: str) -> str:
    """Text of an HTML fragment, block elements on lines of their own (lxml's
    text_content() would join "Policy</h2><p>We" into one word)."""
    if not fragment.strip():
        return ""
    root = lxml.html.fromstring(fragment)
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in BLOCKS:
            el.tail = "\n" + (el.tail or "")
    return root.text_content()


STOPLIST = justext.get_stoplist("English")

SYSTEMS = {
    "trafilatura": lambda html: trafilatura.extract(html, include_comments=False),
    "trafilatura-recall": lambda html: trafilatura.extract(
        html, include_comments=False, favor_recall=True
    ),
    "readability-lxml": lambda html: block_text(Document(html).summary(html_partial=True)),
    "justext": lambda html: "\n".join(
        p.text for p in justext.justext(html, STOPLIST) if not p.is_boilerplate
    ),
    "resiliparse": lambda html: extract_plain_text(
        HTMLTree.parse(bytes_to_str(html, detect_encoding(html))), main_content=True
    ),
}


def main() -> None:
    out, pages = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    for system, extract in SYSTEMS.items():
        (out / system).mkdir(parents=True, exist_ok=True)
        failed, empty = [], 0
        for page in pages:
            try:
                text = extract(page.read_bytes()) or ""
            except Exception as err:  # one page's failure is that page's empty output
                failed.append(f"{page.name}: {type(err).__name__}: {err}")
                text = ""
            empty += not text.strip()
            (out / system / f"{page.stem}.txt").write_text(text, encoding="utf-8")
        print(f"{system}: {len(pages)} pages, {empty} empty", file=sys.stderr)
        for f in failed:
            print(f"  failed: {f}", file=sys.stderr)


if __name__ == "__main__":
    main()
