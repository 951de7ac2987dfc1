"""Public pages of status announcements by e-mail or SMS: subscribe, confirm, unsubscribe."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit
from django_ratelimit.exceptions import Ratelimited

from amargah.core.iranian import mask_mobile
from amargah.status import subscriptions
from amargah.status.choices import SubscriberChannel, SubscriberState
from amargah.status.forms import ConfirmForm, SubscribeForm
from amargah.status.models import Subscriber

#: One address gets at most this many codes an hour, whoever asks (no message flooding).
ADDRESS_RATE = "3/h"


def _rate(name: str, default: str) -> Callable[[str, HttpRequest], str]:
    """A rate read from settings at request time (tests and deployments can change it)."""

    def rate(group: str, request: HttpRequest) -> str:
        return str(getattr(settings, name, default))

    return rate


def _masked(subscriber: Subscriber) -> str:
    if subscriber.channel == SubscriberChannel.SMS:
        return mask_mobile(subscriber.address)
    name, _at, domain = subscriber.address.partition("@")
    return f"{name[:1]}***@{domain}"


@ratelimit(
    key="ip", rate=_rate("STATUS_RATE_SUBSCRIBE", "10/h"), method="POST", group="status-subscribe"
)
def subscribe(request: HttpRequest) -> HttpResponse:
    """The form: an e-mail address or a mobile number; a code goes there to confirm."""
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        if form.honeypot_filled:
            return render(
                request,
                "status/subscribe.html",
                {"form": SubscribeForm(), "refused": True},
                status=400,
            )
        if form.is_valid():
            # Counted per cleaned address: writing a number another way is the same number.
            address_key = f"{form.cleaned_data['channel']}:{form.cleaned_data['address']}"
            if is_ratelimited(
                request,
                group="status-subscribe-address",
                key=lambda _group, _request: address_key,
                rate=ADDRESS_RATE,
                method="POST",
                increment=True,
            ):
                raise Ratelimited
            subscriber = subscriptions.subscribe(
                channel=SubscriberChannel(form.cleaned_data["channel"]),
                address=form.cleaned_data["address"],
                language="en" if translation.get_language() == "en" else "fa",
            )
            return redirect("status:subscribe-confirm", subscriber.confirm_token)
        status = 400
    else:
        form = SubscribeForm()
        status = 200
    return render(request, "status/subscribe.html", {"form": form}, status=status)


@ratelimit(key="ip", rate="30/h", method="POST", group="status-subscribe-confirm")
def subscribe_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Enter the code (or confirm the e-mail's link): the subscription starts."""
    subscriber = Subscriber.objects.filter(confirm_token=token).first()
    if subscriber is None:
        raise Http404
    status = 200
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        if form.is_valid():
            try:
                subscriptions.confirm(confirm_token=token, code=form.cleaned_data["code"])
            except subscriptions.SubscriptionError as error:
                form.add_error("code", error)
            else:
                return render(request, "status/subscribed.html", {"subscriber": subscriber})
        status = 400
    else:
        form = ConfirmForm(initial={"code": request.GET.get("code", "")})
    return render(
        request,
        "status/subscribe_confirm.html",
        {
            "form": form,
            "subscriber": subscriber,
            "masked": _masked(subscriber),
        },
        status=status,
    )


@ratelimit(key="ip", rate="30/h", method="POST", group="status-unsubscribe")
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every message: a button (so a link scanner cannot unsubscribe anyone)."""
    subscriber = Subscriber.objects.filter(unsubscribe_token=token).first()
    if subscriber is None:
        raise Http404
    done = subscriber.state == SubscriberState.UNSUBSCRIBED
    if request.method == "POST":
        subscriptions.unsubscribe(unsubscribe_token=token)
        done = True
    return render(
        request,
        "status/unsubscribe.html",
        {"done": done, "masked": _masked(subscriber)},
    )
