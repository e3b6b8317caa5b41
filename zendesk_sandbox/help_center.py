"""The Help Center: categories, sections in categories (one nested in another), articles in sections, each with
its translations in several locales (Unicode bodies, drafts, outdated ones), and the articles' attachments.

Attachment files are files of the account's catalog (the comment attachments' too: the e-mail signature logo and
the shared PDF are also article attachments, so the same bytes are stored once across comments and articles);
an article's first image attachment is inline (referenced by an ``<img>`` in the body, ``inline: true``, with a
``locale``). ``content_url`` is ``{account}/hc/article_attachments/{id}/{file name}``, served like a comment
attachment's: credentials, then a redirect to the content host (see ``downloads.py``).

Field sets follow Zendesk's Help Center OpenAPI schemas (``CategoryObject``, ``SectionObject``, ``ArticleObject``,
``TranslationObject``, ``ArticleAttachmentObject``); samples in ``tests/fixtures/zendesk-samples/help_center_*.json``.
Authors are the account's agents. Articles change by the control API (``articles: {"update": [ids], "create": n}``):
an update rewrites a translation and the article's title and body and stamps the article's ``updated_at`` (what
the incremental article export orders by). Thread-safe.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from .account import unix
from .attachments import HOSTILE_FIRST, LOGO, SHARED_PDF, name_parts
from .encoding import dumps, iso
from .generator import Generator
from .generator.randomness import FastRandom, mix

FIRST_CATEGORY_ID = 360_001_000_000
FIRST_SECTION_ID = 360_002_000_000
FIRST_ARTICLE_ID = 360_003_000_000
FIRST_TRANSLATION_ID = 360_004_000_000
FIRST_ARTICLE_ATTACHMENT_ID = 360_005_000_000
#: The catalog files articles attach: shared with comments first, then files of hostile names.
ARTICLE_FILES = (LOGO, SHARED_PDF, *range(HOSTILE_FIRST, HOSTILE_FIRST + 6))
LOCALES = ("en-us", "de", "ja", "ar", "pt-br", "zh-cn")
TITLES = ("Getting started", "Réinitialiser le mot de passe", "パスワードを変更する", "إعادة تعيين كلمة المرور",
          "Billing & invoices <2024>", "Zahlungen über 💳", "FAQ: \"quotes\" and 'apostrophes'", "Über uns")
BODIES = ("<p>Hello <strong>world</strong></p>", "<p>Ünïcödé ✓ — “quoted” – naïve café</p>",
          "<h2>手順</h2><ol><li>設定を開く</li><li>保存</li></ol>", "<p dir=\"rtl\">مرحبا بالعالم</p>",
          "<p>Emoji 👩‍💻🚀 and a zero-width\u200bjoiner</p>", "<pre>&lt;script&gt;alert(1)&lt;/script&gt;</pre>")
#: The account's Help Center size: categories, sections per category, articles per section.
CATEGORIES, SECTIONS_PER_CATEGORY, ARTICLES_PER_SECTION = 3, 2, 4


class HelpCenter:
    """Categories, sections, articles and translations as they are now."""

    def __init__(self, generator: Generator, base_url: str) -> None:
        self.generator = generator
        self.base_url = base_url
        self._lock = threading.Lock()
        self._epoch = generator.options.epoch
        self.categories: dict[int, dict[str, Any]] = {}
        self.sections: dict[int, dict[str, Any]] = {}
        self.articles: dict[int, dict[str, Any]] = {}
        #: Article id → its translations (the article's own locale first).
        self.translations: dict[int, list[dict[str, Any]]] = {}
        #: Article id → its attachments; attachment id → (file name, catalog key of its bytes).
        self.attachments: dict[int, list[dict[str, Any]]] = {}
        self.attachment_files: dict[int, tuple[str, int]] = {}
        self._next_attachment = FIRST_ARTICLE_ATTACHMENT_ID
        self._next_translation = FIRST_TRANSLATION_ID
        self._changes = 0
        agents = generator.users.agent_ids
        seed = generator.options.seed
        # a new account (``--account empty`` or ``partial``) has no Help Center content yet
        for c in range(CATEGORIES if generator.options.account == "seeded" else 0):
            cid = FIRST_CATEGORY_ID + c
            created = self._epoch - 200 * 86400 + c * 3600
            self.categories[cid] = self._hc_object("categories", cid, created, created + 86400 * (c + 1), c,
                                                   TITLES[c % len(TITLES)], f"Category {c} — ✓")
            for s in range(SECTIONS_PER_CATEGORY):
                sid = FIRST_SECTION_ID + c * SECTIONS_PER_CATEGORY + s
                section = self._hc_object("sections", sid, created + s * 60, created + 2 * 86400 + s, s,
                                          f"Section {c}.{s} {TITLES[(c + s + 3) % len(TITLES)]}", "")
                head = {k: section.pop(k) for k in ("id", "url", "html_url")}
                self.sections[sid] = {**head, "category_id": cid, **section,
                                      "parent_section_id": FIRST_SECTION_ID + c * SECTIONS_PER_CATEGORY if s else None,
                                      "theme_template": "section_page"}
        for sid in sorted(self.sections):
            for a in range(ARTICLES_PER_SECTION):
                rng = FastRandom(mix(seed, 71, sid, a))
                aid = FIRST_ARTICLE_ID + (sid - FIRST_SECTION_ID) * ARTICLES_PER_SECTION + a
                created = self._epoch - 150 * 86400 + (aid - FIRST_ARTICLE_ID) * 7200
                updated = min(self._epoch - 120, created + rng.randint(0, 140 * 86400))
                self._make_article(aid, sid, rng.choice(agents), created, updated, rng)

    def _url(self, kind: str, record_id: int, locale: str = "en-us") -> tuple[str, str]:
        return (f"{self.base_url}/api/v2/help_center/{locale}/{kind}/{record_id}.json",
                f"{self.base_url}/hc/{locale}/{kind}/{record_id}")

    def _hc_object(self, kind: str, record_id: int, created: int, updated: int, position: int, name: str,
                   description: str) -> dict[str, Any]:
        url, html_url = self._url(kind, record_id)
        return {"id": record_id, "url": url, "html_url": html_url, "position": position, "created_at": iso(created),
                "updated_at": iso(updated), "name": name, "description": description, "locale": "en-us",
                "source_locale": "en-us", "outdated": False}

    def _make_article(self, aid: int, sid: int, author: int, created: int, updated: int, rng: FastRandom) -> None:
        locales = ["en-us", *rng.sample(LOCALES[1:], rng.randint(0, 4))]
        title = f"{TITLES[aid % len(TITLES)]} #{aid - FIRST_ARTICLE_ID}"
        body = BODIES[aid % len(BODIES)]
        draft = aid % 7 == 3
        attachments = self._make_attachments(aid, created, rng)
        inline = [a for a in attachments if a["inline"]]
        if inline:
            body += f'<p><img src="{inline[0]["content_url"]}" alt="{inline[0]["file_name"]}"></p>'
        outdated_locales = [loc for i, loc in enumerate(locales[1:]) if (aid + i) % 3 == 0]
        url, html_url = self._url("articles", aid)
        self.articles[aid] = {
            "id": aid, "url": url, "html_url": html_url, "author_id": author,
            "comments_disabled": aid % 5 == 0, "draft": draft, "promoted": aid % 11 == 0,
            "position": aid % 4, "vote_sum": rng.randint(-3, 12), "vote_count": rng.randint(0, 20),
            "section_id": sid, "created_at": iso(created), "updated_at": iso(updated), "title": title,
            "source_locale": "en-us", "locale": "en-us", "outdated": False, "outdated_locales": outdated_locales,
            "edited_at": iso(updated), "user_segment_id": None if aid % 3 else 360_000_900_001,
            "permission_group_id": 360_000_800_001, "content_tag_ids": [], "label_names":
                ["faq", "Ünïcode"] if aid % 2 else [], "body": body,
            "user_segment_ids": [] if aid % 3 else [360_000_900_001]}
        self.translations[aid] = [self._translation(aid, loc, title, body, created, updated, author,
                                                    draft if loc == "en-us" else (aid + i) % 4 == 1,
                                                    loc in outdated_locales)
                                  for i, loc in enumerate(locales)]
        self.attachments[aid] = attachments

    def _translation(self, aid: int, locale: str, title: str, body: str, created: int, updated: int, author: int,
                     draft: bool, outdated: bool) -> dict[str, Any]:
        tid = self._next_translation
        self._next_translation += 1
        return {"id": tid, "url": f"{self.base_url}/api/v2/help_center/articles/{aid}/translations/{locale}.json",
                "html_url": f"{self.base_url}/hc/{locale}/articles/{aid}", "source_id": aid,
                "source_type": "Article", "locale": locale, "title": f"{title} [{locale}]",
                "body": f"{body}<p lang=\"{locale}\">{locale} ✓</p>", "outdated": outdated, "draft": draft,
                "created_at": iso(created), "updated_at": iso(updated), "updated_by_id": author,
                "created_by_id": author}

    def _make_attachments(self, aid: int, created: int, rng: FastRandom) -> list[dict[str, Any]]:
        """0–3 attachments, the first image among them inline; members and order as ``ArticleAttachmentObject``'s
        documented list (the example's order is alphabetical: not confirmed)."""
        catalog = self.generator.catalog
        out = []
        for k in range(rng.choice((0, 1, 1, 2, 3))):
            att_id = self._next_attachment
            self._next_attachment += 1
            key = ARTICLE_FILES[(aid + 3 * k) % len(ARTICLE_FILES)]
            spec = catalog.spec(key)
            inline = spec.content_type.startswith("image/") and not any(a["inline"] for a in out)
            self.attachment_files[att_id] = (spec.name, key)
            quoted = name_parts(spec.name)[1].decode("ascii")
            out.append({"id": att_id, "url": f"{self.base_url}/api/v2/help_center/articles/attachments/{att_id}",
                        "article_id": aid, "display_file_name": spec.name, "file_name": spec.name,
                        "locale": "en-us" if inline else None,
                        "content_url": f"{self.base_url}/hc/article_attachments/{att_id}/{quoted}",
                        "relative_path": f"/hc/article_attachments/{att_id}/{quoted}",
                        "content_type": spec.content_type, "size": spec.size, "inline": inline,
                        "created_at": iso(created), "updated_at": iso(created)})
        return out

    # -------------------------------------------------------------- reading

    def article_attachments(self, aid: int) -> list[tuple[int, bytes]] | None:
        """(id, JSON) of an article's attachments in id order (None: no such article)."""
        with self._lock:
            found = self.attachments.get(aid)
            return None if found is None else [(a["id"], dumps(a)) for a in found]

    def attachment_file(self, att_id: int) -> tuple[str, int] | None:
        """(file name, catalog key) of an article attachment, None for ids of none."""
        with self._lock:
            return self.attachment_files.get(att_id)

    def attachments_truth(self) -> list[dict[str, Any]]:
        """Every article attachment as listed, with the ``sha256`` of its bytes, by article then id."""
        catalog = self.generator.catalog
        with self._lock:
            return [{**att, "sha256": catalog.digest(self.attachment_files[att["id"]][1])}
                    for aid in sorted(self.attachments) for att in self.attachments[aid]]

    def article_json(self, aid: int, translations: bool) -> bytes:
        with self._lock:
            article = self.articles[aid]
            return dumps({**article, "translations": self.translations[aid]} if translations else article)

    def export_page(self, start_time: int, size: int) -> tuple[list[int], int | None]:
        """The incremental article export from ``start_time`` (inclusive: the next page starts at the last second
        again): up to ``size`` article ids by (updated_at, id), and the ``end_time`` (the last one's second)."""
        with self._lock:
            order = sorted((unix(a["updated_at"]), aid) for aid, a in self.articles.items())
        page = [key for key in order if key[0] >= start_time][:size]
        return [aid for _, aid in page], (page[-1][0] if page else None)

    def category_json(self, cid: int, translations: bool) -> bytes:
        return self._with_translations(self.categories[cid], "Category", translations)

    def section_json(self, sid: int, translations: bool) -> bytes:
        return self._with_translations(self.sections[sid], "Section", translations)

    def _with_translations(self, record: dict[str, Any], kind: str, translations: bool) -> bytes:
        if not translations:
            return dumps(record)
        rid = record["id"]
        own = {"id": rid + 10**11, "url": f"{record['url'][:-5]}/translations/en-us.json",
               "html_url": record["html_url"], "source_id": rid, "source_type": kind, "locale": "en-us",
               "title": record["name"], "body": record["description"], "outdated": False, "draft": False,
               "created_at": record["created_at"], "updated_at": record["updated_at"], "updated_by_id": None,
               "created_by_id": None}
        return dumps({**record, "translations": [own]})

    def truth(self, stream: str) -> list[dict[str, Any]]:
        """Every record of ``categories``, ``sections`` or ``articles``, with ``translations``, as the API serves it
        with ``include=translations`` now, in id order."""
        with self._lock:
            if stream == "categories":
                return [json.loads(self.category_json(cid, True)) for cid in sorted(self.categories)]
            if stream == "sections":
                return [json.loads(self.section_json(sid, True)) for sid in sorted(self.sections)]
            out = []
            for aid in sorted(self.articles):
                out.append(json.loads(dumps({**self.articles[aid], "translations": self.translations[aid]})))
            return out

    # -------------------------------------------------------------- changes

    def apply(self, ops: Any, now: int) -> dict[str, list[int]]:
        """``{"update": [article ids], "create": n}``; ``ValueError`` before any change for unknown ids."""
        if not isinstance(ops, dict) or set(ops) - {"update", "create"}:
            raise ValueError("articles: {\"update\": [ids], \"create\": n} is expected")
        updates, create = ops.get("update", []), ops.get("create", 0)
        if not isinstance(updates, list) or type(create) is not int or create < 0:
            raise ValueError("articles: update takes a list of ids, create a number")
        if create and not self.sections:
            raise ValueError("articles: the Help Center has no section to create articles in")
        with self._lock:
            for aid in updates:
                if aid not in self.articles:
                    raise ValueError(f"articles: no article {aid!r}")
            for aid in updates:
                self._changes += 1
                article = self.articles[aid]
                title = f"{article['title']} ✎{self._changes}"
                article.update(title=title, body=f"{article['body']}<p>edit ✎{self._changes} — ünï</p>",
                               updated_at=iso(now), edited_at=iso(now))
                first = self.translations[aid][-1]
                first.update(title=f"{first['title']} ✎{self._changes}", updated_at=iso(now))
            created = []
            for _ in range(create):
                aid = max(self.articles) + 1
                sid = sorted(self.sections)[aid % len(self.sections)]
                rng = FastRandom(mix(self.generator.options.seed, 72, aid))
                self._make_article(aid, sid, self.generator.users.agent_ids[0], now, now, rng)
                created.append(aid)
        return {"changed": list(dict.fromkeys(updates)), "created": created}
