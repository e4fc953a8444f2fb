"""What the catalog announces to the apps above it.

The datasets app sits below the registry and must not import it, yet every dataset needs an
access policy from birth, one that follows its sensitivity. So the catalog announces the
change and the registry, which owns the rule (`registry.services.policies`), subscribes
(registry/apps.py). Receivers run synchronously, inside the service's transaction: a failure
rolls the dataset change back with it.
"""

from __future__ import annotations

from django.dispatch import Signal

# A dataset was created, or its sensitivity changed. Arguments: `dataset`.
dataset_sensitivity_set = Signal()
