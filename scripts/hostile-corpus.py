#!/usr/bin/env python3
"""Write a corpus of hostile inputs for `policylens label`.

    scripts/hostile-corpus.py DIR            # full sizes (about 260 MB on disk)
    scripts/hostile-corpus.py DIR --small    # the same shapes a thousand times smaller (a test runs this)

Every file is something a crawl, a user's folder or an attacker can hand
the labeler: binary data, broken and lying encodings, pathological nesting,
one enormous word or line, huge lists, special files (a FIFO, a link to
/dev/zero, a symlink loop), non-English and non-language "policies", and
exact repeats. A run over it must give every input one row with a status,
never panic or hang, and keep its memory bounded (see docs/robustness.md).
Standard library only; deterministic (fixed seeds).
"""

import argparse
import json
import os
import random
import struct
import zlib
from pathlib import Path

CLAUSE = "We collect your email address to send you our newsletter. "


def write(dir: Path, name: str, data) -> None:
    path = dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def png() -> bytes:
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0\0")) + chunk(b"IEND", b"")


def corpus(dir: Path, scale: float) -> None:
    n = lambda full: max(int(full * scale), 10)  # noqa: E731
    rng = random.Random(115)
    # Not text at all.
    write(dir, "random.bin", bytes(rng.getrandbits(8) for _ in range(n(1_000_000))))
    write(dir, "nul-bytes.txt", b"\0" * n(100_000))
    write(dir, "nul-in-middle.txt", CLAUSE.encode() * 20 + b"\0\0\0" + CLAUSE.encode() * 20)
    write(dir, "elf.txt", b"\x7fELF\x02\x01\x01" + bytes(rng.getrandbits(8) for _ in range(n(50_000))))
    write(dir, "policy.pdf", b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * n(1000))
    write(dir, "policy.zip", b"PK\x03\x04" + bytes(n(10_000)))
    write(dir, "image.png", png())
    write(dir, "garbage.parquet", b"PAR1" + bytes(rng.getrandbits(8) for _ in range(n(10_000))) + b"PAR1")
    # Encodings: broken, mixed, lying.
    write(dir, "latin1.txt", ("Nous recueillons vos données personnelles. " * n(2000)).encode("latin-1"))
    write(dir, "utf16-no-bom.txt", ("We collect your data. " * n(2000)).encode("utf-16-le"))
    write(dir, "stray-byte.txt", ("Politique de confidentialité : vos données sont protégées. " * n(2000)).encode() + b"\xff\n")
    write(dir, "truncated-utf8.md", ("# Données\n\n" + "Vos données. " * n(1000)).encode() + "é".encode()[:1])
    write(dir, "lying-charset.html", ('<meta charset="windows-1252"><p>' + "Vos données personnelles sont protégées. " * n(1000) + "</p>").encode())
    write(dir, "shift-jis.html", ('<meta charset="shift_jis"><p>' + "個人情報を収集します。" * n(1000) + "</p>").encode("shift_jis"))
    write(dir, "cr-only.txt", (CLAUSE + "\r\r") * n(5000))
    # Pathological structure.
    depth = n(100_000)
    write(dir, "nested-divs.html", "<div>" * depth + CLAUSE + "</div>" * depth)
    write(dir, "unclosed-tags.html", "<p><b><i><span>" * n(50_000) + CLAUSE)
    write(dir, "nested-quotes.md", "> " * n(100_000) + CLAUSE + "\n")
    write(dir, "nested-lists.md", "".join("  " * i + "- " + CLAUSE + "\n" for i in range(n(10_000))))
    write(dir, "list-items.md", "".join(f"- item {i}\n" for i in range(n(200_000))))
    write(dir, "many-attributes.html", "<p " + " ".join(f"a{i}=x" for i in range(n(100_000))) + ">" + CLAUSE + "</p>")
    write(dir, "unclosed-comment.html", "<p>" + CLAUSE + "</p><!-- " + "x" * n(1_000_000))
    write(dir, "script-only.html", "<script>" + "var a=1;" * n(100_000) + "</script>")
    write(dir, "big-table.html", "<table>" + ("<tr>" + "<td>cell</td>" * 100 + "</tr>") * n(1000) + "</table>")
    write(dir, "line-breaks.html", "<p>" + "<br>" * n(50_000) + CLAUSE + "</p>")
    write(dir, "heading-1mb.md", "# " + "Privacy " * n(130_000) + "\n\n" + CLAUSE + "\n")
    write(dir, "headings-only.md", "".join(f"{'#' * (1 + i % 6)} Heading {i}\n\n" for i in range(n(20_000))))
    # Enormous words and lines.
    write(dir, "word-10mb.txt", "a" * n(10_000_000))
    write(dir, "one-line-page.html", "<p>" + CLAUSE * n(150_000_000 // len(CLAUSE)) + "</p>")
    write(dir, "json-line.jsonl", json.dumps({"text": CLAUSE * n(50_000_000 // len(CLAUSE))}) + "\n")
    write(dir, "huge-csv-field.csv", 'id,text\n1,"' + CLAUSE * n(100_000) + '"\n')
    # Broken tables.
    write(dir, "unbalanced-quotes.csv", 'id,text\n1,"never closed\n2,' + CLAUSE + "\n")
    write(dir, "bad-json.jsonl", '{"text": "ok clause"}\n{"text": unquoted}\n')
    write(dir, "no-text-column.jsonl", '{"body": "' + CLAUSE + '"}\n')
    # Not English, not language, repeated.
    write(dir, "arabic.txt", "نحن نجمع بياناتك الشخصية لتقديم خدماتنا. " * n(2000))
    write(dir, "chinese.txt", "我们收集您的个人信息以提供服务。" * n(2000))
    write(dir, "emoji.txt", "🔒🍪📧 " * n(5000))
    write(dir, "numbers.txt", " ".join(str(i) for i in range(n(50_000))))
    write(dir, "same-clause-5000.md", (CLAUSE + "\n\n") * n(5000))
    write(dir, "empty.txt", b"")
    write(dir, "whitespace.md", " \n\t\n" * 100)
    # Special files: never opened, never followed for ever.
    os.mkfifo(dir / "fifo.txt")
    os.symlink("/dev/zero", dir / "dev-zero.html")
    os.symlink("no-such-target.md", dir / "broken-link.md")
    (dir / "loop").mkdir()
    os.symlink("..", dir / "loop" / "up")
    write(dir, "loop/inside.md", "# Inside a loop\n\n" + CLAUSE + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--small", action="store_true", help="sizes a thousand times smaller")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=False)
    corpus(args.dir, 0.001 if args.small else 1.0)
    print(f"wrote {sum(1 for _ in args.dir.rglob('*'))} entries under {args.dir}")


if __name__ == "__main__":
    main()
