"""View plumbing every app shares: the caller as an `Actor`, resolved once per request."""

from __future__ import annotations

from functools import cached_property

from rest_framework import viewsets
from rest_framework.views import APIView

from ..selectors import Actor, actor_for


class ActorMixin(APIView):
    """Gives views `self.actor`: the caller's roles, resolved once per request."""

    @cached_property
    def actor(self) -> Actor:
        return actor_for(self.request.user)


class RegistryViewSet(ActorMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """A viewset whose actions call services; subclasses name querysets and serializers."""
