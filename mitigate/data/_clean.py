"""Token clean-up shared by every reader: zero-width characters and HTML entities."""

from __future__ import annotations

import re

# Zero-width space / non-joiner / joiner, word joiner and the byte-order mark, which some tweets carry inside tokens.
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")


# Only the entities tweet corpora actually carry, with their semicolon: a general ``html.unescape`` would also
# rewrite legacy forms without one (``&not``, ``&copy``) that occur inside real tokens such as company names.
_ENTITIES = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"', "&apos;": "'"}
_ENTITY = re.compile("|".join(re.escape(key) for key in _ENTITIES))


def clean_token(token: str) -> str:
    """Strip zero-width characters and unescape HTML entities (``&lt;`` -> ``<``).

    Returns ``""`` when nothing is left; readers drop such tokens.

    >>> clean_token("\\u200bhello&amp;bye")
    'hello&bye'
    >>> clean_token("AT&T")
    'AT&T'
    >>> clean_token("\\ufeff")
    ''
    """
    token = _ZERO_WIDTH.sub("", token)
    if "&" in token:
        token = _ENTITY.sub(lambda match: _ENTITIES[match.group(0)], token)
    return token
