"""The console speaks Korean unless its reader chose otherwise."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

# The API (scripts) and Django's admin keep following Accept-Language.
BROWSER_LANGUAGE_PREFIXES = ("/api/", "/api-auth/", "/healthz", "/admin/")


class ConsoleLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, except that pages ignore the browser's Accept-Language: the
    alliance works in Korean, so a page is Korean until its reader picks English with the
    language switch (kept in the language cookie). The API still follows Accept-Language,
    as scripts expect."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith(BROWSER_LANGUAGE_PREFIXES):
            super().process_request(request)
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
