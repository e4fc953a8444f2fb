"""Sharing endpoints: policies, eligibility, sharing requests, agreements, grants, downloads,
audit. Views validate input, call one service or selector and serialise the result."""

from __future__ import annotations

import functools
from typing import Any

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from accounts.api.mixins import ActorMixin, RegistryViewSet
from accounts.selectors import Actor, acting_organization
from common.errors import Conflict
from common.openapi import problem_response
from common.serializers import NoBodySerializer
from common.urls import absolute_url
from datasets import selectors as dataset_selectors
from datasets.models import Dataset, DatasetVersion
from datasets.permissions import require_dataset_steward
from interop import odrl

from .. import selectors
from ..filters import AuditEventFilter, GrantFilter, SharingRequestFilter
from ..models import Agreement, Grant, SharingRequest, WebhookEndpoint
from ..permissions import can_manage_webhooks
from ..services import agreements, downloads, policies, sharing_requests, webhooks
from .serializers import (
    AccessPolicyInputSerializer,
    AccessPolicyOutputSerializer,
    AgreementOutputSerializer,
    AuditEventOutputSerializer,
    DecisionInputSerializer,
    DownloadLinkSerializer,
    DownloadOutputSerializer,
    EligibilityInputSerializer,
    EligibilityOutputSerializer,
    GrantOutputSerializer,
    OpenRequestSerializer,
    RejectInputSerializer,
    ReturnInputSerializer,
    RevokeInputSerializer,
    SharingRequestCreateSerializer,
    SharingRequestDetailSerializer,
    SharingRequestOutputSerializer,
    SharingRequestResubmitSerializer,
    WebhookDeliveryOutputSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointOutputSerializer,
    localized_reasons,
)

DATASET_KEY = OpenApiParameter(
    "dataset", OpenApiTypes.STR, OpenApiParameter.PATH, description="Dataset UUID or slug."
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Retrying a create with the same key returns the first request (200), also when "
        "the retries arrive at the same time."
    ),
)
JSON_LD = "application/ld+json"


def _visible_dataset(actor: Actor, key: str) -> Dataset:
    dataset = dataset_selectors.dataset_get(actor=actor, key=key)
    if dataset is None:
        raise Http404
    return dataset


# --- access policy ----------------------------------------------------------------------------


@extend_schema(tags=["policies"], parameters=[DATASET_KEY])
class AccessPolicyView(ActorMixin):
    """A dataset's access policy: readable by whoever sees the dataset, edited by its stewards."""

    @extend_schema(
        summary="Get a dataset's current access policy", responses=AccessPolicyOutputSerializer
    )
    def get(self, request: Request, dataset: str) -> Response:
        policy = selectors.policy_current_get(dataset=_visible_dataset(self.actor, dataset))
        return Response(AccessPolicyOutputSerializer(policy).data)

    def _set(self, request: Request, dataset: str, partial: bool) -> Response:
        obj = _visible_dataset(self.actor, dataset)
        require_dataset_steward(self.actor, obj)
        serializer = AccessPolicyInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        policy = policies.policy_set(
            dataset=obj, actor=self.actor.user, replace=not partial, **serializer.to_terms()
        )
        return Response(AccessPolicyOutputSerializer(policy).data)

    @extend_schema(
        summary="Change the policy (adds a revision; fields left out keep their value)",
        request=AccessPolicyInputSerializer,
        responses=AccessPolicyOutputSerializer,
    )
    def patch(self, request: Request, dataset: str) -> Response:
        return self._set(request, dataset, partial=True)

    @extend_schema(
        summary="Replace the policy (adds a revision)",
        request=AccessPolicyInputSerializer,
        responses=AccessPolicyOutputSerializer,
    )
    def put(self, request: Request, dataset: str) -> Response:
        return self._set(request, dataset, partial=False)


@extend_schema(tags=["policies"], parameters=[DATASET_KEY])
class AccessPolicyRevisionsView(ActorMixin):
    @extend_schema(
        summary="Every revision of a dataset's policy, newest first",
        responses=AccessPolicyOutputSerializer(many=True),
    )
    def get(self, request: Request, dataset: str) -> Response:
        revisions = selectors.policy_revisions(dataset=_visible_dataset(self.actor, dataset))
        return Response(AccessPolicyOutputSerializer(revisions, many=True).data)


@extend_schema(tags=["policies"], parameters=[DATASET_KEY])
class AccessPolicyOdrlView(ActorMixin):
    @extend_schema(
        summary="The current policy as an ODRL 2.2 Offer (JSON-LD)",
        responses={(200, JSON_LD): OpenApiTypes.OBJECT},
    )
    def get(self, request: Request, dataset: str) -> Response:
        policy = selectors.policy_current_get(dataset=_visible_dataset(self.actor, dataset))
        return Response(
            odrl.policy_offer(policy, selectors.policy_odrl_lookups([policy])),
            content_type=JSON_LD,
        )


@extend_schema(tags=["policies"], parameters=[DATASET_KEY])
class EligibilityView(ActorMixin):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="May my organisation ask for this dataset, for this purpose and period?",
        description=(
            "Runs the same policy engine as the worker's check; lists every failed rule. When "
            "the organisation already has an open request (pending, approved or active) for "
            "the dataset, `eligible` is false, `reasons` says `open_request_exists` and "
            "`open_request` names it: asking again would answer 409."
        ),
        request=EligibilityInputSerializer,
        responses=EligibilityOutputSerializer,
    )
    def post(self, request: Request, dataset: str) -> Response:
        obj = _visible_dataset(self.actor, dataset)
        serializer = EligibilityInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = acting_organization(
            actor=self.actor, named=data.get("organization"), role="member"
        )
        policy = selectors.policy_current_get(dataset=obj)
        decision = policies.eligibility_evaluate(
            dataset=obj,
            organization=organization,
            purpose=data["purpose"],
            period_days=data["period_days"],
            accepted_obligations=data["accepted_obligations"],
            policy=policy,
        )
        reasons = [reason.as_dict() for reason in decision.reasons]
        # A request is asked once: while one is open, asking again is a 409, so say so here.
        open_request = selectors.sharing_request_open_get(requester=organization, dataset=obj)
        if open_request is not None:
            reasons.append(
                {
                    "code": "open_request_exists",
                    "message": gettext_noop(
                        "Your organisation already has an open request for this dataset."
                    ),
                }
            )
        return Response(
            {
                "eligible": decision.eligible and open_request is None,
                "approval_route": decision.approval_route,
                "policy_revision": policy.revision,
                "reasons": localized_reasons(reasons),
                "open_request": OpenRequestSerializer(open_request).data
                if open_request is not None
                else None,
            }
        )


# --- sharing requests -------------------------------------------------------------------------


def _version_asked(dataset: Dataset, version_id: Any) -> DatasetVersion | None:
    """The version a request names (None: the latest published one); 409 when the dataset has
    no such version."""
    if not version_id:
        return None
    version = dataset_selectors.version_of_dataset(dataset=dataset, version_id=version_id)
    if version is None:
        raise Conflict(_("No such version of this dataset."), code="version_not_available")
    return version


@extend_schema(tags=["sharing requests"])
@extend_schema_view(list=extend_schema(summary="List the sharing requests you may see"))
class SharingRequestViewSet(mixins.ListModelMixin, RegistryViewSet):
    serializer_class = SharingRequestOutputSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = SharingRequestFilter
    ordering_fields = ["created_at"]
    ordering = "-created_at"
    queryset = SharingRequest.objects.none()

    def get_queryset(self) -> Any:
        return selectors.sharing_request_list(actor=self.actor)

    def get_object(self) -> SharingRequest:
        sharing_request = selectors.sharing_request_get(actor=self.actor, pk=self.kwargs["pk"])
        if sharing_request is None:
            raise Http404
        return sharing_request

    def _decide(self, request: Request, serializer_class: Any, service: Any) -> Response:
        """Approve, reject, withdraw: validate the reason, call the transition, answer."""
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = service(
            actor=self.actor,
            sharing_request=self.get_object(),
            reason=serializer.validated_data["reason"],
        )
        return self._detail(result)

    def _detail(
        self, sharing_request: SharingRequest, status_code: int = status.HTTP_200_OK
    ) -> Response:
        fresh = selectors.sharing_request_get(actor=self.actor, pk=str(sharing_request.pk))
        return Response(SharingRequestDetailSerializer(fresh).data, status=status_code)

    @extend_schema(
        summary="Get a sharing request with its history", responses=SharingRequestDetailSerializer
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(SharingRequestDetailSerializer(self.get_object()).data)

    @extend_schema(
        summary="Ask for a dataset",
        description=(
            "Creates the request as `submitted`; a worker then checks it against the policy and "
            "rejects it with reasons, approves it automatically or routes it to the publisher."
        ),
        parameters=[IDEMPOTENCY_KEY],
        request=SharingRequestCreateSerializer,
        responses={
            201: SharingRequestDetailSerializer,
            200: SharingRequestDetailSerializer,
            404: problem_response("No such dataset, or not one you may see."),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = SharingRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = acting_organization(
            actor=self.actor, named=data.get("organization"), role="member"
        )
        dataset = _visible_dataset(self.actor, data["dataset"])
        version = _version_asked(dataset, data.get("version"))
        key = request.headers.get("Idempotency-Key", "").strip()[:200] or None
        sharing_request, created = sharing_requests.sharing_request_create(
            actor=self.actor,
            dataset=dataset,
            requester=organization,
            purpose=data["purpose"],
            justification=data["justification"],
            period_days=data["period_days"],
            accepted_obligations=data["accepted_obligations"],
            version=version,
            start_at=data.get("start_at"),
            idempotency_key=key,
        )
        return self._detail(
            sharing_request, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        summary="Approve (publisher's steward, then division lead where the route says so)",
        request=DecisionInputSerializer,
        responses=SharingRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        return self._decide(
            request, DecisionInputSerializer, sharing_requests.sharing_request_approve
        )

    @extend_schema(
        summary="Reject with a reason",
        request=RejectInputSerializer,
        responses=SharingRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._decide(request, RejectInputSerializer, sharing_requests.sharing_request_reject)

    @extend_schema(
        summary="Return for changes with a comment (whoever may reject at this step)",
        description=(
            "Instead of deciding, hands the request back to the requesting organisation, which "
            "resubmits it with changes or withdraws it. The request stays open (one per "
            "organisation and dataset); its `dsp_state` is `OFFERED`, a counter-offer."
        ),
        request=ReturnInputSerializer,
        responses=SharingRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_for_changes(self, request: Request, pk: str) -> Response:
        serializer = ReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = sharing_requests.sharing_request_return(
            actor=self.actor,
            sharing_request=self.get_object(),
            comment=serializer.validated_data["comment"],
        )
        return self._detail(result)

    @extend_schema(
        summary="Resubmit a returned request, with the terms you changed",
        description=(
            "Members of the requesting organisation. Takes the terms of a new request but the "
            "dataset and the organisation; a term left out stays as it was. The request is "
            "`submitted` again and a worker checks it against the current policy, as a new one "
            "(rejected with reasons, approved automatically, or routed to the publisher). 409 "
            "unless the request is `returned`."
        ),
        request=SharingRequestResubmitSerializer,
        responses=SharingRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request: Request, pk: str) -> Response:
        serializer = SharingRequestResubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        sharing_request = self.get_object()
        if "version" in data:
            data["version"] = _version_asked(sharing_request.dataset, data["version"])
        result = sharing_requests.sharing_request_resubmit(
            actor=self.actor, sharing_request=sharing_request, **data
        )
        return self._detail(result)

    @extend_schema(
        summary="Withdraw your request before a decision",
        request=DecisionInputSerializer,
        responses=SharingRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        return self._decide(
            request, DecisionInputSerializer, sharing_requests.sharing_request_withdraw
        )

    @extend_schema(
        summary="Revoke an active grant (publisher's steward or secretariat)",
        request=RevokeInputSerializer,
        responses=SharingRequestDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        serializer = RevokeInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = agreements.grant_revoke(
            actor=self.actor,
            sharing_request=self.get_object(),
            reason=serializer.validated_data["reason"],
        )
        return self._detail(result)


# --- agreements -------------------------------------------------------------------------------


@extend_schema(tags=["agreements"])
@extend_schema_view(
    list=extend_schema(summary="List the agreements you are party to"),
    retrieve=extend_schema(summary="Get an agreement (frozen terms and digest)"),
)
class AgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    serializer_class = AgreementOutputSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list[Any] = []
    ordering = "-created_at"
    queryset = Agreement.objects.none()

    def get_queryset(self) -> Any:
        return selectors.agreement_list(actor=self.actor)

    @extend_schema(
        summary="The agreement as an ODRL 2.2 Agreement (JSON-LD)",
        responses={(200, JSON_LD): OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def odrl(self, request: Request, pk: str) -> Response:
        agreement = self.get_object()
        assigner, assignee = selectors.agreement_party_slugs(agreement)
        body = odrl.agreement_document(agreement, assigner_slug=assigner, assignee_slug=assignee)
        return Response(body, content_type=JSON_LD)


# --- grants and downloads ---------------------------------------------------------------------


@extend_schema(tags=["grants"])
@extend_schema_view(
    list=extend_schema(summary="List the grants you may see"),
    retrieve=extend_schema(summary="Get a grant"),
)
class GrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    serializer_class = GrantOutputSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = GrantFilter
    ordering = "-valid_from"
    queryset = Grant.objects.none()

    def get_queryset(self) -> Any:
        return selectors.grant_list(actor=self.actor)

    @extend_schema(
        summary="Short-lived signed download links for the grant's data files (grantee only)",
        description=(
            "One link per data file of the granted version, each with its `role` (`data`) and "
            "`file_name`. The file the check ran on is not among them (see the version's "
            "`preview`). 409 `grant_not_valid` once the grant is revoked or expired; a link "
            "handed out before answers 403 from then on."
        ),
        request=None,
        responses=DownloadLinkSerializer(many=True),
    )
    # The links come as one list, not a page: the viewset's paging does not apply (nor its
    # document).
    @action(detail=True, methods=["post"], url_path="download-links", pagination_class=None)
    def download_links(self, request: Request, pk: str) -> Response:
        NoBodySerializer.check(request)
        links = downloads.download_links_issue(
            actor=self.actor,
            grant=self.get_object(),
            absolute_uri=functools.partial(absolute_url, request=request),
        )
        return Response(DownloadLinkSerializer(links, many=True).data)


@extend_schema(tags=["grants"])
@extend_schema_view(list=extend_schema(summary="The download log you may see"))
class DownloadViewSet(mixins.ListModelMixin, RegistryViewSet):
    serializer_class = DownloadOutputSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list[Any] = []
    ordering = "-created_at"

    def get_queryset(self) -> Any:
        return selectors.download_list(actor=self.actor)


class DownloadFileView(ActorMixin):
    """Streams a file through a signed link; the grant is checked now, not at signing time."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["grants"],
        summary="Download a file through a signed link",
        # The file is served in its own media type (the distribution's `media_type`).
        responses={(200, "*/*"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, signed: str) -> FileResponse:
        grant, distribution, user = downloads.download_link_open(signed=signed)
        try:
            handle = distribution.file.open("rb")  # open first: a missing file is no download
        except (FileNotFoundError, ValueError) as exc:
            raise Http404(_("The file is no longer in storage.")) from exc
        try:
            downloads.download_record(
                grant=grant,
                distribution=distribution,
                user=user,
                byte_size=distribution.byte_size or distribution.file.size,
                client_ip=BaseThrottle().get_ident(request),
            )
        except Exception:
            handle.close()
            raise
        return FileResponse(
            handle,
            as_attachment=True,
            filename=distribution.file_name,
            content_type=distribution.media_type or "application/octet-stream",
        )


# --- audit ------------------------------------------------------------------------------------


@extend_schema(tags=["audit"])
@extend_schema_view(
    list=extend_schema(summary="Audit events of your organisations (all: secretariat)")
)
class AuditEventViewSet(mixins.ListModelMixin, RegistryViewSet):
    serializer_class = AuditEventOutputSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = AuditEventFilter
    ordering = "-id"
    ordering_fields = ["id"]

    def get_queryset(self) -> Any:
        return selectors.audit_event_list(actor=self.actor)


# --- webhooks ---------------------------------------------------------------------------------


@extend_schema(tags=["webhooks"])
@extend_schema_view(
    list=extend_schema(summary="Your organisations' webhook endpoints"),
    retrieve=extend_schema(summary="Get a webhook endpoint"),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    """Organisation admins manage their organisation's endpoints; members may read them."""

    serializer_class = WebhookEndpointOutputSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list[Any] = []
    ordering = "-created_at"
    queryset = WebhookEndpoint.objects.none()

    def get_queryset(self) -> Any:
        return selectors.webhook_endpoint_list(actor=self.actor)

    def _require_admin(self, organization_id: int) -> None:
        if not can_manage_webhooks(self.actor, organization_id):
            raise PermissionDenied(_("Only the organisation's admins manage its webhooks."))

    @extend_schema(
        summary="Add an endpoint (the HMAC secret is shown once)",
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
    )
    def create(self, request: Request) -> Response:
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = acting_organization(
            actor=self.actor, named=data.get("organization"), role="member"
        )
        self._require_admin(organization.pk)
        endpoint = webhooks.webhook_create(
            organization=organization, url=data["url"], events=data["events"]
        )
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change an endpoint",
        request=WebhookEndpointInputSerializer,
        responses=WebhookEndpointOutputSerializer,
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        self._require_admin(endpoint.organization_id)
        serializer = WebhookEndpointInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {k: v for k, v in serializer.validated_data.items() if k != "organization"}
        endpoint = webhooks.webhook_update(endpoint=endpoint, **fields)
        return Response(WebhookEndpointOutputSerializer(endpoint).data)

    @extend_schema(summary="Delete an endpoint", responses={204: None})
    def destroy(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        self._require_admin(endpoint.organization_id)
        webhooks.webhook_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Send a test ping", request=None, responses={202: WebhookDeliveryOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def ping(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        self._require_admin(endpoint.organization_id)
        NoBodySerializer.check(request)
        delivery = webhooks.webhook_ping(endpoint=endpoint)
        return Response(
            WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )

    @extend_schema(
        summary="The endpoint's delivery log, newest first",
        responses=WebhookDeliveryOutputSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        page = self.paginate_queryset(selectors.webhook_delivery_list(endpoint=endpoint))
        return self.get_paginated_response(WebhookDeliveryOutputSerializer(page, many=True).data)
