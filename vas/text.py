"""Plain text that people typed, turned into safe markup for a page.

Floor 0 of the house: imports nothing of ours.

Ticket messages are plain text. Every character is escaped; line breaks
become ``<br>``; ``http`` and ``https`` addresses become links, and nothing
else does (no ``javascript:``, ``data:`` or markup of any kind). The text is cut
at the addresses first and every piece is escaped before any markup is added
around it, so the result holds no markup but ours (escaping the whole text
first and searching it afterwards would let an address swallow ``&lt;``).
"""

import re

from markupsafe import Markup
from markupsafe import escape

# An address runs until white space, a quote, an angle bracket, a backslash or
# CJK punctuation; the scheme must be followed by a host character.
_STOP = r"""\s<>"'`\\，。；：！？（）【】、《》“”‘’"""
_URL = re.compile(rf"https?://[^{_STOP}/][^{_STOP}]*", re.IGNORECASE)
# Punctuation that usually ends a sentence rather than an address.
_TRAILING = ".,;:!?)]}*"
_LINK = Markup('<a href="{0}" rel="nofollow noopener noreferrer">{0}</a>')
_BREAK = Markup("<br>\n")


def linkify_plain_text(text: str | None) -> Markup:
    """Render plain text as escaped markup with line breaks and http(s) links."""
    if not text:
        return Markup("")
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    pieces = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(url)
        pieces.append(escape(text[position:start]))
        pieces.append(_LINK.format(url))
        position = end
    pieces.append(escape(text[position:]))

    markup = Markup("").join(pieces)
    # markup: every piece was escaped or is our link above; only breaks join them
    return Markup(_BREAK.join(markup.split("\n")))
