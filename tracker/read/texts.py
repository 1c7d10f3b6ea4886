"""The text in the reader's language, else English: the one rule, for pages, exports and the API.

Texts written once in their own language (instrument summaries, judgement evidence, milestone
titles and notes) follow ``content_text``: the translation into the reader's language when there
is one, else the original, tagged with its language so the page can give it a ``lang`` attribute
and say "(in Spanish)" with the language's name in the reader's language (CLDR).

Texts stored in several languages (provision titles and guidance, category names, translated
instrument titles) are picked with ``pick_text``: the reader's locale, then its language, then
English, then any. Instrument titles keep their original beside a translation
(``instrument_title``). The CSV exports and the importer speak English: ``english_title`` says
what the ``title_en`` column holds. Pure: no database, no request.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from tracker.i18n import DEFAULT_LOCALE, language_name_for


def language_of(tag: str | None) -> str:
    """The language subtag of a locale or BCP 47 tag, lower case: ``pt_BR`` and ``pt-br`` -> ``pt``."""
    return (tag or "").replace("-", "_").split("_")[0].lower()


def is_english(tag: str | None) -> bool:
    """Whether a text tagged ``tag`` (e.g. ``en``, ``en-GB``) is in English."""
    return language_of(tag) == DEFAULT_LOCALE


@dataclass(frozen=True)
class Localized:
    """A text picked for the reader: ``is_fallback`` when it is not in the reader's language."""

    text: str
    locale: str
    is_fallback: bool = False

    def __str__(self) -> str:
        return self.text

    @property
    def lang_tag(self) -> str:
        """BCP 47 tag for a ``lang`` attribute."""
        return self.locale.replace("_", "-")


def locale_candidates(locale: str) -> tuple[str, ...]:
    """The locales to try for ``locale``, best first: exact, its language, then English."""
    out: list[str] = []
    for candidate in (locale, language_of(locale), DEFAULT_LOCALE):
        if candidate and candidate not in out:
            out.append(candidate)
    return tuple(out)


def pick_text(texts: Mapping[str, str | None], locale: str) -> Localized | None:
    """The text in ``locale`` (or its language), else English, else any; None when empty."""
    for candidate in locale_candidates(locale):
        text = texts.get(candidate)
        if text:
            return Localized(text, candidate, language_of(candidate) != language_of(locale))
    for other in sorted(texts):
        text = texts[other]
        if text:
            return Localized(text, other, language_of(other) != language_of(locale))
    return None


@dataclass(frozen=True)
class InstrumentName:
    """An instrument's title: always the original, in its own language, with a translation beside
    it when the reader's language (or, failing that, English) differs from the original's.

    ``text``, ``is_fallback`` and ``lang_tag`` describe the original, so the name can be used
    wherever a ``Localized`` is expected.
    """

    original: Localized
    translation: Localized | None = None

    @property
    def text(self) -> str:
        return self.original.text

    @property
    def is_fallback(self) -> bool:
        return self.original.is_fallback

    @property
    def lang_tag(self) -> str:
        return self.original.lang_tag

    @property
    def locale(self) -> str:
        return self.original.locale

    @property
    def in_readers_language(self) -> str | None:
        """The title in the reader's language: the original or a translation; else None."""
        if not self.original.is_fallback:
            return self.original.text
        if self.translation is not None and not self.translation.is_fallback:
            return self.translation.text
        return None

    def __str__(self) -> str:
        return self.original.text


def instrument_title(
    original: str, original_lang: str, titles: Mapping[str, str], locale: str
) -> InstrumentName:
    """The original title (marked when not in the reader's language), and beside it a
    translation into the reader's language, else an English one, when the original is in
    another language.
    """
    in_readers_language = language_of(original_lang) == language_of(locale)
    name = Localized(original, original_lang, not in_readers_language)
    if in_readers_language:
        return InstrumentName(name)
    for candidate in (locale, language_of(locale)):
        if titles.get(candidate):
            return InstrumentName(name, Localized(titles[candidate], candidate, False))
    if not is_english(original_lang) and titles.get(DEFAULT_LOCALE):
        return InstrumentName(name, Localized(titles[DEFAULT_LOCALE], DEFAULT_LOCALE, True))
    return InstrumentName(name)


def english_title(title: str, title_lang: str, translation: str | None) -> str | None:
    """An instrument's English title (the ``title_en`` column): its English translation, or the
    title itself when it is in English; None otherwise."""
    if translation is not None:
        return translation
    return title if is_english(title_lang) else None


@dataclass(frozen=True)
class ContentText:
    """A record's text as one reader sees it: a translation into the reader's language when
    there is one, else the original.

    ``lang`` is the BCP 47 tag of the text shown (None when the original's language was never
    recorded). ``language_name`` is set when the text is in another language than the
    reader's: the name of that language in the reader's language, for the "(in Spanish)"
    marker.
    """

    text: str
    lang: str | None
    is_translation: bool = False
    language_name: str | None = None

    def __str__(self) -> str:
        return self.text

    @property
    def lang_tag(self) -> str | None:
        return self.lang.replace("_", "-") if self.lang else None

    @property
    def is_foreign(self) -> bool:
        """In another language than the reader's (the page marks it)."""
        return self.language_name is not None


def content_text(
    original: str | None,
    original_lang: str | None,
    translations: Mapping[str, str],
    locale: str,
) -> ContentText | None:
    """The text for a reader in ``locale``: the original when it is in the reader's language,
    else a translation into the reader's locale (or its language), else the original marked
    with its language. None when there is no text."""
    if not original:
        return None
    if original_lang and language_of(original_lang) == language_of(locale):
        return ContentText(original, original_lang)
    for candidate in (locale, language_of(locale)):
        if translations.get(candidate):
            return ContentText(translations[candidate], candidate, is_translation=True)
    if not original_lang:
        return ContentText(original, None)
    name = language_name_for(original_lang, language_of(locale))
    return ContentText(original, original_lang, False, name)
