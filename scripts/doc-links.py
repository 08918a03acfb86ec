#!/usr/bin/env python3
"""Checks every link in the generated documentation of the given crates.

    python3 scripts/doc-links.py target/doc sealwire sealwire_sqlite sealwire_ffi

Every relative link (href or src) in the crates' HTML pages must resolve to a
file that exists under the doc root, and its #fragment, if any, to an id in
that file; a link to a Markdown file (SPEC.md, ../README.md: fine on a
repository page, nowhere in the generated docs) is an error, and so is an
http(s) link outside the allow-list (docs.rs, doc.rust-lang.org, the
specifications cited). Exits 1 listing every broken link.
"""
import html.parser
import os
import sys
import urllib.parse

ALLOWED_HOSTS = {
    "docs.rs",
    "doc.rust-lang.org",
    # The Rust project's blog: std's own docs link to it (the slice methods
    # rustdoc shows on a type that derefs to `[u8]`, such as `Plaintext`).
    "blog.rust-lang.org",
    "crates.io",
    "signal.org",
    "www.rfc-editor.org",
    "datatracker.ietf.org",
    "nvlpubs.nist.gov",
    "csrc.nist.gov",
    "eprint.iacr.org",
}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links = []
        self.ids = set()
        self.redirect = None

    def handle_starttag(self, tag, attrs):
        if tag == "meta" and dict(attrs).get("http-equiv") == "refresh":
            content = dict(attrs).get("content") or ""
            if "URL=" in content:
                self.redirect = content.split("URL=", 1)[1]
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.ids.add(value)
            elif name in ("href", "src") and tag in ("a", "link", "img", "script"):
                self.links.append(value)


def parse(path, cache={}):
    if path not in cache:
        page = Page()
        with open(path, encoding="utf-8", errors="replace") as f:
            page.feed(f.read())
        cache[path] = page
    return cache[path]


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    root = os.path.abspath(sys.argv[1])
    crates = sys.argv[2:]
    broken = []
    pages = 0
    links = 0
    for crate in crates:
        top = os.path.join(root, crate)
        if not os.path.isdir(top):
            broken.append((top, "", "crate documentation missing"))
            continue
        for dirpath, _, files in os.walk(top):
            for name in files:
                if not name.endswith(".html"):
                    continue
                page_path = os.path.join(dirpath, name)
                pages += 1
                for link in parse(page_path).links:
                    links += 1
                    problem = check(root, page_path, link)
                    if problem:
                        broken.append((os.path.relpath(page_path, root), link, problem))
    for page, link, problem in broken:
        print(f"{page}: {link}: {problem}")
    print(f"{pages} pages, {links} links, {len(broken)} broken")
    return 1 if broken else 0


def check(root, page_path, link):
    url = urllib.parse.urlsplit(link)
    if url.scheme in ("http", "https"):
        if url.hostname not in ALLOWED_HOSTS:
            return f"external link to {url.hostname} (not in the allow-list)"
        return None
    if url.scheme or link.startswith("//"):
        return None if url.scheme in ("mailto", "data", "javascript") else f"scheme {url.scheme}"
    path = urllib.parse.unquote(url.path)
    if path.endswith(".md") or ".md#" in link:
        return "link to a Markdown file (no such page in the docs)"
    if path == "":
        target = page_path
    else:
        target = os.path.normpath(os.path.join(os.path.dirname(page_path), path))
        if os.path.isdir(target):
            target = os.path.join(target, "index.html")
    if not target.startswith(root):
        return "points outside the documentation"
    if not os.path.exists(target):
        return "no such file"
    # rustdoc writes a redirect page at an item's private path (cross-crate
    # links use it); the browser follows it, keeping the #fragment.
    for _ in range(4):
        redirect = parse(target).redirect if target.endswith(".html") else None
        if not redirect:
            break
        target = os.path.normpath(os.path.join(os.path.dirname(target), redirect))
        if not os.path.exists(target):
            return f"redirects to a missing page {redirect}"
    if url.fragment and target.endswith(".html"):
        fragment = url.fragment
        # rustdoc's source pages use line anchors (#12 or #12-20) set by script.
        if "/src/" in target.replace(os.sep, "/") and fragment.replace("-", "").isdigit():
            return None
        ids = parse(target).ids
        if fragment not in ids and urllib.parse.unquote(fragment) not in ids:
            return f"no anchor #{fragment}"
    return None


if __name__ == "__main__":
    sys.exit(main())
