"""Registration and token exchange; thin wrappers over accounts.services and DRF's tokens."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import RegisteredSerializer, RegisterInput, TokenInput, TokenSerializer


class RegisterView(APIView):
    """Create a citizen account and return its API token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=RegisterInput, responses={201: RegisteredSerializer})
    def post(self, request: Request) -> Response:
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user, token = services.user_register(**data.validated_data)
        except DjangoValidationError as exc:
            # Password validators speak in a list; name the field they judged.
            messages = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            raise ValidationError(
                messages if isinstance(messages, dict) else {"password": messages}
            ) from exc
        body = {
            "username": user.username,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "token": token.key,
            "token_expires_at": services.token_expires_at(token.created),
        }
        return Response(RegisteredSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenView(ObtainAuthToken):
    """POST: exchange {"username", "password"} for {"token", "expires_at"}; send it as
    `Authorization: Token …`. DELETE (with that header): sign out, revoking the token."""

    @extend_schema(request=TokenInput, responses=TokenSerializer)
    def post(self, request: Request, *args, **kwargs) -> Response:
        credentials = self.get_serializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        token = services.token_for_sign_in(credentials.validated_data["user"])
        body = {"token": token.key, "expires_at": services.token_expires_at(token.created)}
        return Response(TokenSerializer(body).data)

    @extend_schema(request=None, responses={204: None, 401: None})
    def delete(self, request: Request, *args, **kwargs) -> Response:
        if not isinstance(request.auth, Token):
            raise NotAuthenticated("Send the token to revoke as `Authorization: Token …`.")
        services.token_revoke(request.auth.key)
        return Response(status=status.HTTP_204_NO_CONTENT)
