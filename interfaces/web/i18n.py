"""zh-CN first, English on request (?lang=en or the language switch, kept in a cookie).

The interface's texts live in gettext catalogs, one per language, under `locale/<locale>/LC_MESSAGES/messages.po`
(msgid = a dotted key such as `nav.register`, msgstr = the text, `{name}` placeholders). Translators edit the
`.po` files with any gettext tool; `tests/unit/test_messages.py` checks that every key the pages and code use
exists, non-empty, in both catalogs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from jinja2 import pass_context

from application.errors import NotFound
from interfaces.common.commands import system_of

LANG_COOKIE = "sl_lang"
LANGS = ("zh", "en")
LOCALES = {"zh": "zh_CN", "en": "en"}
LOCALE_DIR = Path(__file__).parent / "locale"


@cache
def catalog(lang: str) -> dict[str, str]:
    """The language's texts by key, read once from its `.po` file."""
    path = LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return {str(m.id): str(m.string) for m in read_po(po, locale=LOCALES[lang]) if m.id and m.string}


def language(request: Any) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "zh"
    return wanted if wanted in LANGS else "zh"


def message_for(request: Any, error: Any) -> str:
    """A domain error's message in the page's language."""
    return str(error.message_zh if language(request) == "zh" else error.message_en)


def translate(lang: str, key: str, **values: Any) -> str:
    found = catalog(lang if lang in LANGS else "zh").get(key)
    text = key.split(".", 1)[-1] if found is None else found  # unknown: the code itself
    return text.format(**values) if values else text


@pass_context
def _t(context: Any, key: str, **values: Any) -> str:
    request = context.get("request")
    return translate(language(request) if request is not None else "zh", key, **values)


# Fields whose values are codes of a labelled family named differently from the field.
_VALUE_FAMILIES = {
    "grounds": "ground",
    "list_name": "list",
    "actor_role": "role",
    "org_types": "org_type",
    "tracks": "track",
    "subject_type": "org_type",
}


def field_label(lang: str, key: str) -> str:
    """A field's name for people: its label, or the identifier with spaces if none is written yet."""
    name = key.rsplit(".", 1)[-1]
    return catalog(lang).get(f"field.{name}") or name.replace("_", " ")


def value_label(lang: str, key: str, value: Any) -> str:
    """A code shown as the label of its family (status active → 正常), anything else as it is."""
    family = _VALUE_FAMILIES.get(key, key)
    texts = catalog(lang)
    return texts.get(f"{family}.{value}") or texts.get(f"value.{value}") or str(value)


@pass_context
def _field(context: Any, key: str) -> str:
    return field_label(_lang(context), key)


@pass_context
def _value(context: Any, key: str, value: Any) -> str:
    return value_label(_lang(context), key, value)


@pass_context
def _actor_name(context: Any, actor_id: str, names: dict[str, str]) -> str:
    """Who did it, by name: a user's display name, or for a system job its task in words (system:daily-sweep → 每日巡检)."""
    if actor_id in names:
        return names[actor_id]
    if actor_id.startswith("system:"):
        job = actor_id.removeprefix("system:")
        return translate(_lang(context), f"actor.{job}") if f"actor.{job}" in catalog(_lang(context)) else job
    return actor_id


@pass_context
def _rule_set_name(context: Any, ref: Any) -> str:
    """A rule set by its name in the page's language ("安徽省等级评估规则(第1版)"), not its code "anhui@1"."""
    request = context.get("request")
    rule_id, version = (ref.id, ref.version) if hasattr(ref, "id") else (str(ref).partition("@")[0], str(ref).partition("@")[2])
    try:
        rule_set = system_of(request).rules.get(rule_id, int(version))
    except (NotFound, ValueError):
        return str(ref)  # an unknown reference is shown as it is rather than hidden
    lang = _lang(context)
    return translate(lang, "rule_set.named", name=rule_set.name_zh if lang == "zh" else rule_set.name_en, version=version)


@pass_context
def _lang(context: Any) -> str:
    request = context.get("request")
    return language(request) if request is not None else "zh"


def install(engine: Any) -> None:
    engine.engine.globals.update(
        t=_t, lang=_lang, field_label=_field, value_label=_value, rule_set_name=_rule_set_name, actor_name=_actor_name
    )
    # tojson keeps Chinese readable (still HTML-safe: <, >, & and ' are escaped)
    engine.engine.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
