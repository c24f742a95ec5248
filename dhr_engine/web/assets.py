"""Copy GOV.UK Frontend's built files from node_modules into the web app's static folder.

Run by `make assets` (after `npm install`) as `python -m dhr_engine.web.assets`. The output folder
is git-ignored: assets always come from the npm package, never from hand-copied files.

This is not a GOV.UK service, so the copy drops the GOV.UK branding (GOV.UK Design System guidance:
services not on GOV.UK must not use its logos or fonts): the GDS Transport @font-face rules are
removed and every font stack falls back to Arial; the font files and the crown images are not
copied.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIST = Path("node_modules/govuk-frontend/dist/govuk")
OUTPUT = Path(__file__).resolve().parent / "static" / "govuk"
FILES = ("govuk-frontend.min.css", "govuk-frontend.min.js")
FONT_FACE = re.compile(r"@font-face\{font-family:\s*[\"']?GDS Transport[\"']?;[^}]*\}")
FONT_STACK = re.compile(r"[\"']?GDS Transport[\"']?,\s*")


def unbrand_css(css: str) -> str:
    """Remove the GDS Transport font from the compiled stylesheet."""
    css = FONT_FACE.sub("", css)
    css = FONT_STACK.sub("", css)
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
    if "GDS Transport" in css:
        raise RuntimeError("the GOV.UK Frontend stylesheet still names GDS Transport; update unbrand_css")
    return css


def build(root: Path = PROJECT_ROOT, output: Path = OUTPUT) -> list[Path]:
    """Copy the stylesheet and script into `output`; returns the files written."""
    source = root / PACKAGE_DIST
    if not source.is_dir():
        raise FileNotFoundError(f"{source} is missing: run `npm install` first (make assets does)")
    output.mkdir(parents=True, exist_ok=True)
    written = []
    css = (source / FILES[0]).read_text(encoding="utf-8")
    target = output / FILES[0]
    target.write_text(unbrand_css(css), encoding="utf-8")
    written.append(target)
    js = (source / FILES[1]).read_text(encoding="utf-8")
    target = output / FILES[1]
    target.write_text(re.sub(r"//# sourceMappingURL=\S+", "", js), encoding="utf-8")
    written.append(target)
    return written


def is_built(output: Path = OUTPUT) -> bool:
    return all((output / name).exists() for name in FILES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="folder holding node_modules")
    args = parser.parse_args(argv)
    try:
        files = build(args.root)
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    for path in files:
        print(f"wrote {path.relative_to(args.root) if path.is_relative_to(args.root) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
