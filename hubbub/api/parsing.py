"""Reading Mastodon clients' parameters, however they send them.

Mastodon.py posts forms, toot posts JSON, profile updates come as
multipart, and arrays arrive as ``key[]=a&key[]=b``, as a JSON list or as
one bare ``key=a``. Everything here turns those into one plain dict, and
turns the loose values clients send (``"1"``, ``"True"``, ``12345``) into
Python values, refusing anything else with ``BadParameterError``.
"""

from typing import Annotated, Any

import orjson
from django.http import HttpRequest, QueryDict
from django.http.request import RawPostDataException
from pydantic import BeforeValidator, WithJsonSchema

# Ids are positive signed 64-bit integers, as the database stores them.
MAX_ID = (1 << 63) - 1
_MAX_ID_DIGITS = 19
# Rails-style keys nest at most this deep (``poll[options][]``).
_MAX_KEY_DEPTH = 3
TRUE_WORDS = frozenset({"1", "true", "t", "on", "yes", "y"})
FALSE_WORDS = frozenset({"0", "false", "f", "off", "no", "n", ""})
JSON_TYPES = ("application/json",)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadParameterError(ValueError):
    """A parameter or body that cannot be read; answered with 400."""


def to_bool(value: Any) -> bool:
    """Read a client's boolean: ``1 true t on yes`` or ``0 false f off no ""``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError("must be a boolean (true or false)")


def to_id(value: Any) -> int:
    """Read an id: a positive 64-bit integer, as digits or a JSON number."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (
        isinstance(value, str)
        and 0 < len(value) <= _MAX_ID_DIGITS
        and value.isascii()
        and value.isdigit()
    ):
        number = int(value)
    else:
        raise ValueError("must be an id (a string of digits)")
    if not 0 <= number <= MAX_ID:
        raise ValueError("must be an id (a string of digits)")
    return number


def to_id_string(value: Any) -> str:
    """Read an id and return it in its canonical string form."""
    return str(to_id(value))


def to_list(value: Any) -> Any:
    """Wrap one bare value in a list; leave lists (and None) alone."""
    if value is None or isinstance(value, list):
        return value
    return [value]


def _optional_id(value: Any) -> str | None:
    # Clients send an empty string for "no id" as often as they leave it out;
    # a cursor past the largest id means the same as the largest id.
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == _MAX_ID_DIGITS and value.isdigit():
        return str(min(int(value), MAX_ID))
    return to_id_string(value)


# Pydantic field types for request schemas: each accepts what clients send,
# and documents the canonical form (constraints on the output of a before
# validator cannot be enforced by pydantic, so they are documented only).
ID_PATTERN = r"^[0-9]{1,19}$"
Flag = Annotated[bool, BeforeValidator(to_bool)]
IdParam = Annotated[
    str,
    BeforeValidator(to_id_string),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN}),
]
OptionalId = Annotated[
    str | None,
    BeforeValidator(_optional_id),
    WithJsonSchema({"type": "string", "pattern": r"^([0-9]{1,19})?$"}),
]
IdList = Annotated[
    list[IdParam],
    BeforeValidator(to_list),
    WithJsonSchema(
        {"type": "array", "items": {"type": "string", "pattern": ID_PATTERN}}
    ),
]
StringList = Annotated[list[str], BeforeValidator(to_list)]


def _split_key(key: str) -> list[str]:
    """Split ``poll[options][]`` into ``["poll", "options", ""]``."""
    head, bracket, rest = key.partition("[")
    if not bracket or not rest.endswith("]"):
        return [key]
    parts = [head, *rest[:-1].split("][")]
    if len(parts) > _MAX_KEY_DEPTH or any("[" in p or "]" in p for p in parts):
        return [key]
    return parts


def _put(target: dict[str, Any], parts: list[str], values: list[str]) -> None:
    *path, last = parts
    if not path:
        target[last] = values[0] if len(values) == 1 else list(values)
        return
    node = target
    for part in path[:-1] if last == "" else path:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if last == "":
        node[path[-1]] = list(values)
    else:
        # A repeated plain key is a list too (schemathesis and some clients
        # send arrays that way); a single one stays a bare value.
        node[last] = values[0] if len(values) == 1 else list(values)


def querydict_to_dict(data: QueryDict) -> dict[str, Any]:
    """Turn form or query parameters into a dict, Rails keys nested."""
    result: dict[str, Any] = {}
    for key, values in data.lists():
        _put(result, _split_key(key), values)
    return result


def parse_json_body(body: bytes) -> dict[str, Any]:
    """Parse a JSON body whose top level must be an object."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise BadParameterError(f"The request body is not valid JSON: {e}") from e
    if data is None:
        # "null" is an empty body, as a client with nothing to send writes it.
        return {}
    if not isinstance(data, dict):
        raise BadParameterError("The request body must be a JSON object.")
    return data


def body_data(request: HttpRequest) -> dict[str, Any]:
    """Return the body's parameters, whether JSON, form or multipart."""
    content_type = request.content_type or ""
    if content_type in JSON_TYPES or content_type.endswith("+json"):
        return parse_json_body(request.body)
    if content_type in FORM_TYPES:
        raw = _raw_multipart(request) if content_type == "multipart/form-data" else b""
        try:
            data = querydict_to_dict(request.POST)
        except Exception as e:
            # Django raises several kinds here for a broken multipart body
            # (no boundary, too many fields); all of them are the client's.
            raise BadParameterError("The request body could not be read.") from e
        if raw and _unread_parts(request, raw):
            raise BadParameterError("The request body could not be read.")
        return data
    if not request.body:
        return {}
    raise BadParameterError("Send the body as JSON, form data or multipart form data.")


def _raw_multipart(request: HttpRequest) -> bytes:
    # Read before parsing, so it is still there after; a view that parsed
    # the form already (the OAuth pages) gets no check.
    try:
        return request.body
    except RawPostDataException:
        return b""


def _unread_parts(request: HttpRequest, raw: bytes) -> bool:
    """Return whether a multipart body has parts Django skipped as unreadable
    (no Content-Disposition, say), rather than read them as empty."""
    boundary = (request.content_params or {}).get("boundary", "").encode()
    parts = raw.count(b"--" + boundary + b"\r\n") if boundary else 0
    read = sum(len(v) for _, v in request.POST.lists())
    read += sum(len(v) for _, v in request.FILES.lists())
    return parts > read


def request_data(request: HttpRequest) -> dict[str, Any]:
    """Return every parameter: the query string, overridden by the body."""
    data = querydict_to_dict(request.GET)
    if request.method != "GET":
        data.update(body_data(request))
    return data
