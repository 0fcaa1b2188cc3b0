#!/usr/bin/env python3
"""Experiment: the OPP-115 splits with each segment's section heading prefixed.

    scripts/experiments/opp115_headings.py ../shared/data/opp115 OUT_DIR

The PrivacyGLUE split rows carry no heading. For each sanitized policy, the
segments (`|||`) are cleaned of tags; a segment whose first <br>-separated
pieces are short and unpunctuated opens a section with that heading (a path
of up to two pieces). A split row found among the segments gets
"HEADING: " prefixed when it does not open a section itself and a section
heading precedes it; other rows are written unchanged. Writes
OUT_DIR/{train,validation,test}.csv (derived from OPP-115: research use
only, keep it out of the repository). Standard library only."""
import csv, glob, html, os, re, sys
out_dir = sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
norm = lambda t: re.sub(r'\s+', ' ', html.unescape(re.sub(r'<[^>]+>', ' ', t))).strip()

def heading_of(seg):
    pieces = [norm(p) for p in re.split(r'<br\s*/?>', seg)]
    pieces = [p for p in pieces if p]
    head = []
    for p in pieces[:-1]:
        if len(p.split()) <= 10 and not p.endswith(('.', ',', ';', ':')) and not p.startswith('-'):
            head.append(p)
        else:
            break
    return ' > '.join(head[:2]) if head and len(head) < len(pieces) else None

context = {}
for f in sorted(glob.glob(sys.argv[1] + '/sanitized_policies/*.html')):
    current = None
    for seg in open(f, encoding='utf-8').read().split('|||'):
        own = heading_of(seg)
        key = norm(seg)
        if own:
            current = own
            context.setdefault(key, None)
        else:
            context.setdefault(key, current)
stats = {}
for split in ['train', 'validation', 'test']:
    rows = list(csv.reader(open(f'{sys.argv[1]}/splits/{split}.csv', encoding='utf-8')))
    found = prefixed = 0
    with open(f'{out_dir}/{split}.csv', 'w', encoding='utf-8', newline='') as out:
        w = csv.writer(out)
        for text, label in rows:
            key = norm(text)
            if key in context:
                found += 1
                if context[key]:
                    prefixed += 1
                    text = f'{context[key]}: {text.strip()}'
            w.writerow([text, label])
    print(split, len(rows), 'rows; found', found, 'prefixed', prefixed)
