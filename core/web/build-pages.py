#!/usr/bin/env python3
"""Builds Cairn's pages: each pages/NAME.html is the inside of <main>, with
its title, script and width in a leading comment; layout.html is the rest of
every page (head, skip link, header, navigation, footer), written once.

    build-pages.py LAYOUT OUTDIR PAGE...

Writes OUTDIR/NAME.html for each PAGE. Plain text substitution: the pages
are static HTML, nothing is escaped or computed.
"""
import os
import re
import sys

META = re.compile(r"\A<!--\s*title:\s*(?P<title>.+?)\s*\n\s*script:\s*(?P<script>[\w-]+)\s*\n"
                  r"\s*width:\s*(?P<width>normal|wide)\s*-->\n", re.S)


def render(layout, page, name):
    m = META.match(page)
    if not m:
        sys.exit(f"build-pages: {name} must start with the title/script/width comment")
    body = page[m.end():]
    content = "".join(("      " + line if line.strip() else line)
                      for line in body.splitlines(keepends=True))
    wide = " cairn-width-container--wide" if m["width"] == "wide" else ""
    out = (layout.replace("@TITLE@", m["title"]).replace("@SCRIPT@", m["script"])
                 .replace("@WIDE@", wide))
    return out.replace("@CONTENT@\n", content)


def main():
    layout_path, outdir, *pages = sys.argv[1:]
    with open(layout_path, encoding="utf-8") as f:
        layout = f.read()
    for path in pages:
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            html = render(layout, f.read(), name)
        with open(os.path.join(outdir, name), "w", encoding="utf-8") as f:
            f.write(html)


if __name__ == "__main__":
    main()
