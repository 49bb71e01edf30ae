"""The one place clustergeo talks HTTP: GET with retries, and errors a user can act on.

Everything else in :mod:`clustergeo.fetch` receives a :class:`Transport`, so tests replay
recorded responses through a stub and never touch the network.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from clustergeo._errors import ClusterGeoError

__all__ = [
    "ConnectionFailedError",
    "FetchError",
    "HttpResponse",
    "OfflineError",
    "RequestsTransport",
    "Transport",
    "get_with_retries",
]

log = logging.getLogger(__name__)

#: Statuses worth another try: the service is busy or briefly down.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(ClusterGeoError):
    """A download failed: the service refused, answered nonsense, or could not be reached."""


class OfflineError(FetchError):
    """The service could not be reached at all (no network, DNS failure, refused connection)."""


class ConnectionFailedError(OSError):
    """Raised by a transport when no HTTP answer came back."""


@dataclass(frozen=True)
class HttpResponse:
    """An HTTP answer: status, body and headers."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class Transport(Protocol):
    """Something that performs one GET (the network, or a replay of recorded answers)."""

    def get(self, url: str, *, timeout: float) -> HttpResponse:
        """GET ``url``; raise :class:`ConnectionFailedError` when no answer comes back."""
        ...


class RequestsTransport:
    """GET over the network with ``requests``."""

    def __init__(self, user_agent: str = "clustergeo (regional cluster analysis)") -> None:
        self.user_agent = user_agent

    def get(self, url: str, *, timeout: float) -> HttpResponse:
        """GET ``url`` with requests; connection problems become :class:`ConnectionFailedError`."""
        import requests

        try:
            answer = requests.get(url, timeout=timeout, headers={"User-Agent": self.user_agent})
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise ConnectionFailedError(str(exc)) from None
        return HttpResponse(answer.status_code, answer.content, dict(answer.headers))


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def get_with_retries(
    transport: Transport,
    url: str,
    *,
    service: str,
    attempts: int = 4,
    backoff_s: float = 2.0,
    timeout_s: float = 120.0,
    sleep: Callable[[float], None] | None = None,
    shown_url: str | None = None,
) -> bytes:
    """GET a URL, retrying connection failures and busy answers with exponential back-off.

    Parameters
    ----------
    transport
        Performs the request.
    url
        The URL.
    service
        The service's name for messages ("Nomis", "the ONS Open Geography Portal").
    attempts
        Tries in all; waits ``backoff_s``, ``2 backoff_s``, ... between them.
    shown_url
        The URL as messages show it (with secrets such as a Nomis ``uid`` hidden).

    Returns
    -------
    bytes
        The body of a 200 answer.

    Raises
    ------
    OfflineError
        When no try got an answer.
    FetchError
        For any other status than 200, after retries for 429 and 5xx.
    """
    shown = shown_url or url
    last = ""
    # Whether the last try got an answer (a busy one) rather than none: a connection error's
    # text can start with 'HTTP' too ('HTTPSConnectionPool(...)').
    answered = False
    for attempt in range(1, attempts + 1):
        try:
            response = transport.get(url, timeout=timeout_s)
        except ConnectionFailedError as exc:
            last = str(exc) or "no answer"
            answered = False
            status = None
        else:
            status = response.status
            if status == 200:
                return response.body
            if status not in RETRY_STATUSES:
                snippet = response.body[:300].decode("utf-8", errors="replace").strip()
                raise FetchError(
                    f"{service} answered HTTP {status} for {shown}"
                    + (f": {snippet}" if snippet else "")
                    + ". Check the query (dataset, geography, industry and date codes); the "
                    "download was not saved."
                )
            last = f"HTTP {status}"
            answered = True
        if attempt < attempts:
            wait = backoff_s * 2 ** (attempt - 1)
            log.warning("%s: %s for %s; trying again in %.0f s", service, last, shown, wait)
            # Looked up at call time (not bound as a default), so tests can stub it.
            (sleep or time.sleep)(wait)
    if answered:
        raise FetchError(
            f"{service} kept answering {last} for {shown} ({attempts} tries): the service is "
            "busy or down. Try again later; pages already downloaded are kept and the next "
            "run resumes from them."
        )
    raise OfflineError(
        f"Cannot reach {service} ({_host(url)}): {last}. This machine seems to be offline. "
        "Connect to the internet and run the same command again (pages already downloaded are "
        "kept), or download the file by hand and put it in the data folder."
    )
