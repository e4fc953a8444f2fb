"""Search: the stored, stripped tsvectors over the bigram tokens, and their GIN indexes.

`search_title` and `search_body` (0001) hold the tokens `datasets.search` makes (Hangul
bigrams, lower-cased words); these generated columns turn them into vectors PostgreSQL keeps
up to date on every write, and the GIN indexes answer `@@` queries (docs/adr/0001).
"""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

import datasets.models


class Migration(migrations.Migration):
    dependencies = [("datasets", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="dataset",
            name="search_vector",
            field=models.GeneratedField(db_persist=True, expression=datasets.models.StripVector(django.contrib.postgres.search.CombinedSearchVector(django.contrib.postgres.search.SearchVector('search_title', config='simple'), '||', django.contrib.postgres.search.SearchVector('search_body', config='simple'), django.contrib.postgres.search.SearchConfig('simple'))), output_field=django.contrib.postgres.search.SearchVectorField(), verbose_name='search vector'),
        ),
        migrations.AddField(
            model_name="dataset",
            name="search_title_vector",
            field=models.GeneratedField(db_persist=True, expression=datasets.models.StripVector(django.contrib.postgres.search.SearchVector('search_title', config='simple')), output_field=django.contrib.postgres.search.SearchVectorField(), verbose_name='search vector (title)'),
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
