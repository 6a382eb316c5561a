"""Reading rendered views back in tests: the rows of every HTML table as text, and a check that a
document's tags are balanced and that it fetches nothing (no external URL, no script)."""

from __future__ import annotations

from html.parser import HTMLParser

VOID = {"meta", "br", "img", "hr", "input", "link", "col", "source", "wbr"}
# SVG elements may close themselves (<rect/>); ours always close explicitly, as HTML requires.


class _Tables(HTMLParser):
    def __init__(self, strict: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.strict = strict
        self.rows: list[list[str]] = []
        self.stack: list[str] = []
        self.tags: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and value.startswith(("http:", "https:", "//")):
                raise AssertionError(f"<{tag} {name}={value!r}> fetches from the network")
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        elif self.strict:
            raise AssertionError(f"</{tag}> closes {self.stack[-1:]}")
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and (not self.stack or self.stack[-1] != "title"):
            self._cell.append(data)


def parse(html: str, *, strict: bool = True) -> _Tables:
    """Parse `html`; `strict`: every tag must close in order (a whole document or fragment)."""
    parser = _Tables(strict)
    parser.feed(html)
    parser.close()
    assert not strict or not parser.stack, f"unclosed tags: {parser.stack}"
    return parser


def table_rows(html: str) -> list[list[str]]:
    """Every table row in `html` as its cells' text (tooltips left out)."""
    return parse(html, strict=False).rows


def row(html: str, first_cell: str) -> list[str]:
    """The one table row whose first cell is `first_cell`."""
    found = [r for r in table_rows(html) if r and r[0] == first_cell]
    assert len(found) == 1, f"{len(found)} rows start with {first_cell!r}"
    return found[0]
