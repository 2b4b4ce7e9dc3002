"""Message text rules: UTF-16 length (as Telegram counts) and `parse_mode` parsing.

Telegram measures text, captions and entity offsets in UTF-16 code units after entity parsing;
so does this module. HTML is parsed strictly like Telegram (unsupported, unclosed or mismatched
tags are refused; only &lt; &gt; &amp; &quot; and numeric entities are decoded, other names stay
literal). MarkdownV2 is parsed with its reserved-character rule and the common entities; legacy Markdown
with its five entities and the unclosed-entity error.
"""

from __future__ import annotations

import re
from typing import Any

from fake_telegram.errors import ApiError, bad_request

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "code": "code", "pre": "pre", "a": "text_link", "tg-spoiler": "spoiler",
    "span": "spoiler", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
# The date-time entity's format: relative time alone, or weekday, date, time in that order.
_DATE_TIME_FORMAT = re.compile(r"r|w?[dD]?[tT]?")
_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ATTR = re.compile(r'([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s>]+))')


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _cant_parse(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def _unescape(chunk: str) -> str:
    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16))
        if name.startswith("#"):
            return chr(int(name[1:]))
        return _HTML_ENTITIES.get(name, match.group(0))  # unknown names stay literal

    return re.sub(r"&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);", repl, chunk)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram-style HTML → (plain text, entities)."""
    out: list[str] = []
    length = 0  # UTF-16 units emitted so far
    stack: list[tuple[str, int, dict[str, Any]]] = []
    entities: list[dict[str, Any]] = []
    pos = 0
    while pos < len(source):
        lt = source.find("<", pos)
        chunk = source[pos:] if lt < 0 else source[pos:lt]
        if chunk:
            plain = _unescape(chunk)
            out.append(plain)
            length += utf16_len(plain)
        if lt < 0:
            break
        gt = source.find(">", lt)
        offset = len(source[:lt].encode())
        if gt < 0:
            raise _cant_parse(f"Unclosed start tag at byte offset {offset}")
        tag = source[lt + 1 : gt].strip()
        pos = gt + 1
        if tag.startswith("/"):
            name = tag[1:].strip().lower()
            if not stack or stack[-1][0] != name:
                raise _cant_parse(
                    f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1][0]}>", '
                    f'found "</{name}>"' if stack else f'Unexpected end tag at byte offset {offset}'
                )
            open_name, start, extra = stack.pop()
            kind = extra.pop("type", _HTML_TAGS[open_name])
            if open_name == "code" and stack and stack[-1][0] == "pre" and "language" in extra:
                stack[-1][2]["language"] = extra["language"]  # <pre><code class=language-x>
            elif length > start:
                entities.append({"type": kind, "offset": start, "length": length - start,
                                 **extra})
            continue
        name, _, attrs = tag.partition(" ")
        name = name.lower()
        if name not in _HTML_TAGS:
            raise _cant_parse(f'Unsupported start tag "{name}" at byte offset {offset}')
        attr = {m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
                for m in _ATTR.finditer(attrs)}
        extra: dict[str, Any] = {}
        if name == "a":
            if "href" not in attr:
                raise _cant_parse(f'Can\'t find href in "a" tag at byte offset {offset}')
            extra["url"] = attr["href"]
        if name == "span" and attr.get("class") != "tg-spoiler":
            raise _cant_parse(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        if name == "code" and attr.get("class", "").startswith("language-"):
            extra["language"] = attr["class"].removeprefix("language-")
        if name == "blockquote" and re.search(r"\bexpandable\b", attrs):
            extra["type"] = "expandable_blockquote"
        if name == "tg-emoji":
            extra["custom_emoji_id"] = attr.get("emoji-id", "")
        if name == "tg-time":
            if not re.fullmatch(r"[0-9]{1,12}", attr.get("unix", "")):
                raise _cant_parse(f'Tag "tg-time" must have a valid "unix" attribute at byte offset {offset}')
            extra["unix_time"] = int(attr["unix"])
            if "format" in attr:
                if not _DATE_TIME_FORMAT.fullmatch(attr["format"]):
                    raise _cant_parse(f'Invalid date-time format at byte offset {offset}')
                extra["date_time_format"] = attr["format"]
        stack.append((name, length, extra))
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_MDV2_MARKS = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough",
               "||": "spoiler", "`": "code", "```": "pre"}


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    """MarkdownV2 → (plain text, entities); refuses unescaped reserved characters."""
    out: list[str] = []
    length = 0
    stack: list[tuple[str, int]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            out.append(source[i + 1])
            length += utf16_len(source[i + 1])
            i += 2
            continue
        in_code = bool(stack) and stack[-1][0] in ("`", "```")
        if source.startswith("```", i):
            mark = "```"
        elif in_code:
            mark = ch if ch == "`" else ""
        else:
            mark = source[i : i + 2] if source[i : i + 2] in ("__", "||") else ch
        if in_code and not mark:
            out.append(ch)
            length += utf16_len(ch)
            i += 1
            continue
        if mark == "[":
            stack.append(("[", length))
            i += 1
            continue
        if mark == "]" and stack and stack[-1][0] == "[":
            link = re.match(r"\]\(((?:[^)\\]|\\.)*)\)", source[i:])
            if not link:
                raise _cant_parse("Can't find end of a URL at byte offset "
                                  f"{len(source[:i].encode())}")
            _, start = stack.pop()
            entities.append({"type": "text_link", "offset": start, "length": length - start,
                             "url": re.sub(r"\\(.)", r"\1", link.group(1))})
            i += len(link.group(0))
            continue
        if mark in _MDV2_MARKS:
            if stack and stack[-1][0] == mark:
                _, start = stack.pop()
                if length > start:
                    entities.append({"type": _MDV2_MARKS[mark], "offset": start,
                                     "length": length - start})
            else:
                stack.append((mark, length))
            i += len(mark)
            continue
        if ch in _MDV2_RESERVED:
            raise _cant_parse(
                f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(ch)
        length += utf16_len(ch)
        i += 1
    if stack:
        raise _cant_parse(
            f"Can't find end of {_MDV2_MARKS[stack[-1][0]].capitalize()} entity at byte offset "
            f"{len(source.encode())}"
        )
    return "".join(out), entities


_MD1 = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}


def parse_markdown(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Legacy Markdown → (plain text, entities); an unclosed entity is refused."""
    out: list[str] = []
    length = 0
    entities: list[dict[str, Any]] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source) and source[i + 1] in "_*`[":
            out.append(source[i + 1])
            length += 1
            i += 2
            continue
        mark = "```" if source.startswith("```", i) else ch
        if mark in _MD1 or mark == "[":
            close = "]" if mark == "[" else mark
            end = source.find(close, i + len(mark))
            if end < 0:
                raise _cant_parse("Can't find end of the entity starting at byte offset "
                                  f"{len(source[:i].encode())}")
            inner = source[i + len(mark) : end]
            entity: dict[str, Any] = {"type": _MD1.get(mark, "text_link"), "offset": length,
                                      "length": utf16_len(inner)}
            i = end + len(close)
            if mark == "[":
                link = re.match(r"\(([^)]*)\)", source[i:])
                if not link:  # a bare [text] is just text
                    entity = {}
                else:
                    entity["url"] = link.group(1)
                    i += len(link.group(0))
            out.append(inner)
            length += utf16_len(inner)
            if entity and entity["length"]:
                entities.append(entity)
            continue
        out.append(ch)
        length += utf16_len(ch)
        i += 1
    return "".join(out), entities


def parse(text: str, parse_mode: str | None, entities: Any = None) -> tuple[str, list[dict]]:
    """Apply `parse_mode` (or explicit `entities`) the way Telegram does."""
    mode = (parse_mode or "").lower()
    if entities:
        return text, list(entities)
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    if not mode:
        return text, []
    raise bad_request(f"unsupported parse_mode {parse_mode}")


def check_text(text: str | None, parse_mode: str | None, entities: Any, *,
               edit: bool = False) -> tuple[str, list[dict]]:
    """Validate a message text; returns the parsed (text, entities)."""
    if text is None or not text.strip():
        raise bad_request("message text is empty")
    plain, ents = parse(text, parse_mode, entities)
    if not plain.strip():
        raise bad_request("message text is empty")
    if utf16_len(plain) > TEXT_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG" if edit else "message is too long")
    return plain, ents


def check_caption(caption: str | None, parse_mode: str | None,
                  entities: Any) -> tuple[str | None, list[dict]]:
    """Validate an optional caption; returns the parsed (caption, entities)."""
    if caption is None or caption == "":
        return None, []
    plain, ents = parse(caption, parse_mode, entities)
    if utf16_len(plain) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return plain, ents


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram attaches to a message starting with /command."""
    match = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]
