"""The alliance's ten divisions, with stable codes: written by a data migration, restored by
the tests after a flush."""

from __future__ import annotations

from typing import Any

DIVISIONS: list[tuple[str, str, str]] = [
    ("ai-factory", "AI 팩토리", "AI factory"),
    ("ai-manufacturing-services", "AI 제조서비스", "AI manufacturing services"),
    ("ai-logistics", "AI 유통·물류", "AI logistics"),
    ("autonomous-vehicles", "자율주행차", "Autonomous vehicles"),
    ("humanoids", "휴머노이드", "Humanoids"),
    ("autonomous-ships", "자율운항선박", "Autonomous ships"),
    ("ai-home-appliances", "AI 가전", "AI home appliances"),
    ("ai-defence", "AI 방산", "AI defence"),
    ("ai-bio", "AI 바이오", "AI bio"),
    ("ai-semiconductors", "AI 반도체", "AI semiconductors"),
]


def divisions_create(apps: Any, schema_editor: Any = None) -> None:
    """Create or refresh the divisions; `apps` is a migration's app registry or django.apps."""
    division = apps.get_model("accounts", "Division")
    for order, (code, name_ko, name_en) in enumerate(DIVISIONS, start=1):
        division.objects.update_or_create(
            code=code, defaults={"name_ko": name_ko, "name_en": name_en, "sort_order": order}
        )


def divisions_delete(apps: Any, schema_editor: Any = None) -> None:
    division = apps.get_model("accounts", "Division")
    division.objects.filter(code__in=[code for code, _, _ in DIVISIONS]).delete()
