"""Hostile text for the sandbox: every script, emoji, markup and character an exporter must survive.

Nothing here is random by itself: callers pass a seeded ``random.Random`` so the
same seed always yields the same strings.
"""

from __future__ import annotations

import html
import random
import zlib

#: Every character an XML 1.0 document cannot contain (besides U+0000 and lone
#: surrogates, which Zendesk never returns and which JSON in UTF-8 cannot carry).
XML_ILLEGAL = "".join(chr(c) for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))) + "\ufffe\uffff"

#: Prose in many scripts; several right-to-left.
SCRIPTS: tuple[str, ...] = (
    "Grüße aus Köln – ça va? Ñandú, Ærøskøbing, İstanbul, straße, ﬁ ligature.",
    "Привет! Проблема с оплатой счёта №42, пожалуйста помогите.",
    "Γειά σου Κόσμε· το τιμολόγιο είναι λάθος;",
    "日本語のテキストです。中文字符，请帮忙。한국어 텍스트도 있습니다.",
    "مرحبا، لدي مشكلة في تسجيل الدخول منذ يوم الاثنين ١٢٣٤٥.",
    "שלום, יש לי בעיה עם החשבון (מספר 123) – תודה!",
    "नमस्ते, मेरा खाता बंद हो गया है। कृपया मदद करें।",
    "สวัสดีครับ ระบบใช้งานไม่ได้ค่ะ",
    "Mixed bidi: order ABC-123 رقم الطلب 456 then English again.",
    "Ελληνικά, עברית and العربية in one line: 1 2 3.",
)

#: Emoji: astral plane, skin tones, ZWJ sequences, flags, keycaps, variation selectors.
EMOJI: tuple[str, ...] = (
    "😀", "🚀", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "🇳🇱", "🧑🏿\u200d💻",
    "❤️", "1️⃣", "🤷\u200d♀️", "🫠", "𝕳𝖊𝖑𝖑𝖔", "𠜎𠜱", "𐍈",
)

#: Markup, escaping traps and injection-looking text.
MARKUP: tuple[str, ...] = (
    "<script>alert('xss')</script>",
    "]]> and <![CDATA[ nested ]]> end",
    "&amp; &lt;not a tag&gt; &#x1F600; &nbsp; &bogus; & lone ampersand",
    "\"double\" 'single' `back` \\backslash\\ C:\\path\\to\\file \\n \\u0000 literal",
    "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;",
    "{{ticket.requester.name}} ${jndi:ldap://example.invalid/a} %s %d {0} %(name)s",
    "<b>bold</b> <i>unclosed <a href=\"javascript:alert(1)\">link</a>",
    "Robert'); DROP TABLE tickets;--",
    "--> <!-- comment --> </div></body>",
)

#: Invisible and special characters that survive JSON but trip up naive code.
SPECIAL: tuple[str, ...] = (
    "zero\u200bwidth\u200cjoin\u200dmarks\ufeffBOM",
    "\u202eright-to-left override\u202c \u200fRLM\u200e LRM \u2066isolate\u2069",
    "line\u2028separator and paragraph\u2029separator, DEL \x7f and NEL \x85",
    "combining: e\u0301 a\u0308 n\u0303 Z\u0335\u0321a\u0334\u0358l\u0337g\u0336o\u0489",
    "control characters: " + XML_ILLEGAL,
    "tabs\tand\x0bvertical\x0cfeeds\x1b[31m ANSI red\x1b[0m \x07bell \x08back",
    "noncharacters \ufffe and \uffff and private use \ue000\U000f0000",
)

GREETINGS: tuple[str, ...] = (
    "Hello,", "Hi team,", "Bonjour,", "Здравствуйте,", "مرحبا،", "שלום,", "こんにちは、", "Hallo zusammen,",
)

SENTENCES: tuple[str, ...] = (
    "The invoice for last month lists our old VAT number.",
    "After resetting my password I get \"invalid credentials\" on every attempt.",
    "Could you check why the export stops at 1000 rows?",
    "We were charged twice; see the attached screenshot.",
    "The mobile app crashes when I open the settings page.",
    "Thanks, that fixed it!",
    "I have escalated this to the billing team.",
    "Please try clearing the cache and let us know.",
    "Internal: customer is on the legacy plan, do not offer the discount.",
    "Any update on this? It has been a week.",
)

#: Every hostile fragment; ticket number ``n`` always carries fragment ``n % len(ALL_HOSTILE)``
#: so even a small sandbox contains each of them.
ALL_HOSTILE: tuple[str, ...] = SCRIPTS + MARKUP + SPECIAL + ("emoji: " + " ".join(EMOJI),)

TAGS: tuple[str, ...] = (
    "billing", "login", "vip", "bug", "feature_request", "straße", "日本語", "ключ", "😀emoji",
    "a&b", "<x>", "1st", "x:y", "quote\"d", "back\\slash", "rtl_עברית", "ctl\x01tag",
)

FIRST_NAMES: tuple[str, ...] = (
    "Alex", "José", "Zoë", "Łukasz", "Søren", "محمد", "דוד", "山田", "Ngọc", "Олена", "Αλέξης",
    "Siobhán", "O'Brien", "Jean-Luc", "Ævar", "प्रिया",
)
LAST_NAMES: tuple[str, ...] = (
    "Müller", "García", "Smith", "علي", "כהן", "太郎", "Nguyễn", "Шевченко", "Παπαδόπουλος",
    "van der Berg", "D'Arcy", "<b>Bold</b> & Co", "Null", "👩\u200d💻 Coder", "Ctl\x07Bell", "\u202eevil",
)

#: Comment ``metadata.custom`` keys that are not XML names, with nested values.
CUSTOM_METADATA: tuple[tuple[str, object], ...] = (
    ("1st", 1),
    ("with space", "value with space"),
    ("x:y", True),
    ("<b>", "bold</b>"),
    ("", "empty key"),
    ("xmlFoo", None),
    ("ключ", "значение"),
    ("😀", ["a", {"nested": {"deep": [1, 2.5, None, False, "ü"]}}]),
    ("ctl\x01key", "ctl value \x02\x1f"),
    ("a.b", {"c": {"d": []}, "e": {}}),
    ("ticket.id", 10001),
)

MAX_BODY_BYTES = 65535
#: Bodies of ``huge_comment`` changes: about 1 MB, sixteen times what Zendesk keeps.
HUGE_BODY_BYTES = 1_000_000


def _sentence(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(SENTENCES)
    if roll < 0.75:
        return rng.choice(SCRIPTS)
    if roll < 0.85:
        return rng.choice(SENTENCES) + " " + rng.choice(EMOJI)
    if roll < 0.93:
        return rng.choice(MARKUP)
    return rng.choice(SPECIAL)


def body(rng: random.Random, forced: str | None = None, long: bool = False, size: int = 0) -> str:
    """A comment body: a greeting and paragraphs of hostile text.

    ``forced`` is a fragment that must appear; ``long`` makes the body nearly 64 kB of UTF-8; ``size``
    pads it to about that many bytes instead (``HUGE_BODY_BYTES``: far over what Zendesk would keep).
    """
    newline = "\r\n" if rng.random() < 0.2 else "\n"
    paragraphs = [rng.choice(GREETINGS)]
    for _ in range(rng.randint(1, 4)):
        paragraphs.append(" ".join(_sentence(rng) for _ in range(rng.randint(1, 3))))
    if forced is not None:
        paragraphs.insert(rng.randint(1, len(paragraphs)), forced)
    if long or size:
        return _long_body(rng, paragraphs, newline, size or MAX_BODY_BYTES - rng.randint(0, 2000))
    return (newline * 2).join(paragraphs)


def _long_body(rng: random.Random, paragraphs: list[str], newline: str, target: int) -> str:
    """Pad a body with hostile paragraphs up to just under ``target`` bytes of UTF-8."""
    parts = [(newline * 2).join(paragraphs)]
    size = len(parts[0].encode("utf-8"))
    while True:
        extra = newline * 2 + " ".join(_sentence(rng) for _ in range(8))
        extra_size = len(extra.encode("utf-8"))
        if size + extra_size > target:
            break
        parts.append(extra)
        size += extra_size
    return "".join(parts)


#: Markup that must never run or load where a backup is shown (a body an integration wrote, say): every
#: 40th body text by its checksum carries it in its ``html_body`` (no random draw, so the rest of the data stays).
HOSTILE_MARKUP = ('<p dir="auto"><a href="javascript:window.pwned=3">hostile link</a></p>'
                  '<script>window.pwned = 1; document.title = "pwned"</script>'
                  '<img src="https://tracker.example/p.gif" onerror="window.pwned = 2">'
                  '<svg onload="window.pwned = 4"></svg><iframe src="javascript:window.pwned = 5"></iframe>'
                  '<form action="https://phish.example/"><input name="password"></form>')


def html_body(text: str, rng: random.Random) -> str:
    """The ``html_body`` Zendesk renders: escaped paragraphs, ``<br>`` for line breaks, some real markup, and
    for every 40th text hostile markup (:data:`HOSTILE_MARKUP`)."""
    paragraphs = text.replace("\r\n", "\n").split("\n\n")
    rendered = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph, quote=False).replace("\n", "<br>")
        rendered.append(f'<p dir="auto">{escaped}</p>')
    if rng.random() < 0.2:
        rendered.append(
            '<p dir="auto"><a href="https://example.com/?a=1&amp;b=%22x%22" rel="noopener noreferrer" '
            'target="_blank">https://example.com/?a=1&amp;b="x"</a>&nbsp;<img src="cid:ii_01" alt="&lt;img&gt;"></p>'
        )
    if zlib.crc32(text.encode("utf-8", "surrogatepass")) % 40 == 0:
        rendered.append(HOSTILE_MARKUP)
    return '<div class="zd-comment" dir="auto">' + "".join(rendered) + "</div>"


def plain_body(text: str) -> str:
    """The ``plain_body``: line endings normalised, trailing spaces cut (hostile characters stay)."""
    return "\n".join(line.rstrip(" ") for line in text.replace("\r\n", "\n").split("\n"))


def subject(rng: random.Random, forced: str | None = None) -> str:
    """A one-line ticket subject, hostile some of the time."""
    base = rng.choice(SENTENCES).rstrip(".!?")
    roll = rng.random()
    if forced is not None:
        return f"{base} {forced}".replace("\n", " ").replace("\r", " ")
    if roll < 0.3:
        return f"{base} {rng.choice(EMOJI)}"
    if roll < 0.5:
        return rng.choice(SCRIPTS)[:60]
    if roll < 0.6:
        return f"{base} {rng.choice(MARKUP)}"
    if roll < 0.68:
        return f"{base} {rng.choice(SPECIAL)}".replace("\u2028", " ")
    return base


def person_name(rng: random.Random) -> str:
    """A user's display name from many scripts, some with markup or control characters."""
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def custom_metadata(rng: random.Random) -> dict[str, object]:
    """Comment ``metadata.custom`` with keys that are not XML names."""
    chosen = rng.sample(CUSTOM_METADATA, rng.randint(2, len(CUSTOM_METADATA)))
    return dict(chosen)


def tags(rng: random.Random) -> list[str]:
    """Ticket tags, unique and sorted as Zendesk returns them."""
    return sorted({rng.choice(TAGS) for _ in range(rng.randint(0, 4))})


def deep_metadata() -> dict[str, object]:
    """A comment ``metadata`` no exporter expects: keys that are no XML names (empty, digits first,
    colons, markup, control characters, right-to-left override) nested about 60 levels deep, numbers
    beyond 64 bits, and an unexpected top-level key."""
    keys = ("", "1st", "x:y", "<b>", "with space", "ключ", "😀", "ctl\x01key", "xmlns", "a.b", "\u202e", "-", "null")
    value: object = {"end": [None, True, False, 0, -1, 1.5e300, 12345678901234567890, "]]>", {"": []}, []]}
    for depth in range(48):
        key = keys[depth % len(keys)]
        value = [value, {key: None}] if depth % 4 == 0 else {key: value, f"n{depth}": depth}
    return {"system": {"client": {"nested": ["odd", None]}, "ip_address": None, "location": "]]><x/>",
                       "latitude": "not a number", "longitude": None},
            "custom": value, "x:extra": {"": {"": ""}}}
