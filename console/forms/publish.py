"""Forms of the publish wizard. They render and carry errors; the rules are the API's: each
page sends what they read through the API's input serializers and the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import Division, Organization
from datasets.models import Dataset, License, Sensitivity, Theme, UpdateFrequency
from datasets.validation.tableschema_meta import FIELD_TYPES
from registry.api.publishing import sample_format_choices
from registry.models import PolicyPreset

AUTO = [("", _("Detect it from the file"))]
ENCODINGS = [("utf-8", "UTF-8"), ("utf-8-sig", _("UTF-8 with BOM")), ("cp949", "CP949/EUC-KR")]


class FileFields(forms.Form):
    """The data file and how to read it (the API's from-file fields)."""

    # Not required here: the API's own words ask for it ("Upload the data file.").
    file = forms.FileField(
        label=_("Data file"),
        required=False,
        help_text=_("CSV or TSV (UTF-8 or CP949), JSON Lines, Parquet or Excel."),
    )
    format = forms.ChoiceField(label=_("Format"), required=False)
    encoding = forms.ChoiceField(label=_("Text encoding"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("format").choices = AUTO + sample_format_choices()
        self.choice_field("encoding").choices = AUTO + ENCODINGS

    def choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field


class UploadForm(FileFields):
    organization = forms.ChoiceField(label=_("Publisher"), required=False)
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=300,
        help_text=_("In Korean or English. Leave empty to use the file's name."),
    )

    field_order = ["organization", "file", "title", "format", "encoding"]

    def __init__(self, *args: Any, organizations: list[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(organizations) > 1:
            self.fields["organization"].required = True
            self.choice_field("organization").choices = [("", "---------")] + [
                (organization.slug, localized_name(organization)) for organization in organizations
            ]
        else:
            del self.fields["organization"]


class VersionForm(FileFields):
    version = forms.CharField(
        label=_("Version"), max_length=40, help_text=_("For example 1.1.0 or 2.0.0.")
    )

    field_order = ["version", "file", "format", "encoding"]


def localized_name(obj: Organization | Division) -> str:
    """The reader's language, Korean when there is no English name."""
    english = (get_language() or "ko").startswith("en")
    return (obj.name_en if english else "") or obj.name_ko


def _choices(choices: Any, blank: bool = False) -> list[tuple[str, Any]]:
    return ([("", "---------")] if blank else []) + list(choices)


class MetadataForm(forms.Form):
    """The dataset's metadata, as a PATCH of /datasets/<key>/ takes it."""

    title_ko = forms.CharField(label=_("Title (Korean)"), required=False, max_length=300)
    title_en = forms.CharField(label=_("Title (English)"), required=False, max_length=300)
    description_ko = forms.CharField(
        label=_("Description (Korean)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    description_en = forms.CharField(
        label=_("Description (English)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    division = forms.ChoiceField(label=_("Division"))
    theme = forms.ChoiceField(label=_("Theme"), choices=_choices(Theme.choices))
    license = forms.ChoiceField(
        label=_("Licence"), required=False, choices=_choices(License.choices, blank=True)
    )
    sensitivity = forms.ChoiceField(label=_("Sensitivity"), choices=_choices(Sensitivity.choices))
    update_frequency = forms.ChoiceField(
        label=_("Update frequency"),
        required=False,
        choices=_choices(UpdateFrequency.choices, blank=True),
    )
    keywords = forms.CharField(
        label=_("Keywords"), required=False, help_text=_("Separate them with commas.")
    )
    contact_name = forms.CharField(label=_("Contact name"), required=False, max_length=150)
    contact_email = forms.EmailField(label=_("Contact email"), required=False)

    def __init__(self, *args: Any, dataset: Dataset | None = None, **kwargs: Any) -> None:
        if dataset is not None and "initial" not in kwargs:
            kwargs["initial"] = metadata_initial(dataset)
        super().__init__(*args, **kwargs)
        division = self.fields["division"]
        assert isinstance(division, forms.ChoiceField)
        division.choices = [
            (division.code, localized_name(division))
            for division in Division.objects.order_by("code")
        ]

    def api_data(self) -> dict[str, Any]:
        """The fields as the API's DatasetInputSerializer takes them."""
        data = {name: self.cleaned_data.get(name, "") for name in self.fields}
        data["keywords"] = [
            word.strip() for word in (data.get("keywords") or "").split(",") if word.strip()
        ]
        return data


def metadata_initial(dataset: Dataset) -> dict[str, Any]:
    initial = {name: getattr(dataset, name) for name in MetadataForm.base_fields}
    initial["division"] = dataset.division.code
    initial["keywords"] = ", ".join(dataset.keywords or [])
    return initial


class PresetForm(forms.Form):
    policy_preset = forms.ChoiceField(
        label=_("Access policy"),
        required=False,
        choices=PolicyPreset.choices,
        widget=forms.RadioSelect,
    )


class WaiverForm(forms.Form):
    waiver_reason = forms.CharField(
        label=_("Reason for publishing anyway"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Every reader of the version sees this reason."),
    )


SCHEMA_TYPES = list(FIELD_TYPES)
