# The search moves from phrases of bigrams to an AND of lexemes (datasets/search.py): the token
# streams are rebuilt with the new tokenizer and the vectors stored without positions. Django
# cannot alter a generated column's expression, so the vectors are dropped and added again.

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

import datasets.models

BATCH = 2000


def retokenize(apps, schema_editor):
    from datasets.search import document_tokens

    Dataset = apps.get_model("datasets", "Dataset")
    fields = ("title_ko", "title_en", "keywords", "description_ko", "description_en")
    last = None
    while True:
        batch = Dataset.objects.order_by("pk").only(*fields)
        if last is not None:
            batch = batch.filter(pk__gt=last)
        rows = list(batch[:BATCH])
        if not rows:
            return
        for row in rows:
            row.search_title = document_tokens(
                row.title_ko, row.title_en, " ".join(row.keywords or [])
            )
            row.search_body = document_tokens(row.description_ko, row.description_en)
        Dataset.objects.bulk_update(rows, ["search_title", "search_body"])
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_divisions"),
        ("datasets", "0003_search_title_vector"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="dataset", name="dataset_search_gin"),
        migrations.RemoveField(model_name="dataset", name="search_vector"),
        migrations.RemoveField(model_name="dataset", name="search_title_vector"),
        migrations.RunPython(retokenize, migrations.RunPython.noop, elidable=True),
        migrations.AddField(
            model_name="dataset",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=datasets.models.StripVector(
                    django.contrib.postgres.search.CombinedSearchVector(
                        django.contrib.postgres.search.SearchVector("search_title", config="simple"),
                        "||",
                        django.contrib.postgres.search.SearchVector("search_body", config="simple"),
                        django.contrib.postgres.search.SearchConfig("simple"),
                    )
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddField(
            model_name="dataset",
            name="search_title_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=datasets.models.StripVector(
                    django.contrib.postgres.search.SearchVector("search_title", config="simple")
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="dataset",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_vector"], name="dataset_search_gin"
            ),
        ),
        migrations.AddIndex(
            model_name="dataset",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["search_title_vector"], name="dataset_search_title_gin"
            ),
        ),
    ]
