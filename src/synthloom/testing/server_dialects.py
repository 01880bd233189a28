"""How real servers take a JSON schema, imitated for the scripted server's `--dialect`: which
request field carries the schema, and the status and error body each server answers to the ways
it does not take (the sources of each are in synthloom/models/dialects.py)."""

from typing import Any

# How each server takes a JSON schema (the sources are in synthloom/models/dialects.py):
DIALECTS = {
    "openai": "response_format json_schema; 400 to anything else; /completions 404 for chat models",
    "vllm": "response_format json_schema (json_object: any JSON); 400 to an unknown type; guided_json ignored",
    "vllm-guided": "vLLM before json_schema: guided_json; 400 to response_format json_schema or extra keys",
    "sglang": "response_format json_schema (json_object: any JSON); 400 to an unknown type",
    "llamacpp-server": "llama-server: response_format json_schema or json_object with schema",
    "llama-cpp-python": "response_format json_object with schema; HTTP 500 to any other type",
    "ollama": "response_format json_schema (json_object: any JSON); other types ignored",
    "tgi": 'response_format {"type": "json", "value": schema}; 422 otherwise, and to top_p >= 1',
}
ANY_JSON: dict[str, Any] = {"type": "object"}  # JSON mode without a schema

class Refusal(Exception):
    """The answer a real server gives to a request it does not take."""

    def __init__(self, status: int, payload: Any, media_type: str = "application/json"):
        super().__init__(status)
        self.status, self.payload, self.media_type = status, payload, media_type


def _pydantic_error(kind: str, loc: tuple[str, ...], msg: str, value: Any) -> str:
    return repr([{"type": kind, "loc": loc, "msg": msg, "input": value}])


def _schema_of(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return (fmt.get("json_schema") or {}).get("schema")
    if fmt.get("type") == "json_object":
        return fmt.get("schema") or {"type": "object"}
    return None


def _openai_error(message: str, param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}


def schema_for(dialect: str | None, body: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The schema a server of this dialect constrains the answer to (ANY_JSON: valid JSON of no
    particular shape; None: none), or Refusal as that server answers."""
    fmt = body.get("response_format")
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    extra = sorted(set(fmt) - {"type", "json_schema"}) if isinstance(fmt, dict) else []
    if dialect is None:
        return _schema_of(body)
    if dialect == "openai":
        if "guided_json" in body:
            raise Refusal(400, _openai_error("Unrecognized request argument supplied: guided_json"))
        if fmt is not None and kind not in ("text", "json_object", "json_schema"):
            raise Refusal(400, _openai_error(
                f"Invalid value: '{kind}'. Supported values are: 'json_object', 'json_schema', and 'text'.",
                "response_format.type", "invalid_value"))
        if extra:
            raise Refusal(400, _openai_error(
                f"Additional properties are not allowed ('{extra[0]}' was unexpected) - 'response_format'",
                "response_format"))
        return _schema_of(body) if kind == "json_schema" else ANY_JSON if kind == "json_object" else None
    if dialect in ("vllm", "sglang"):
        allowed = ("text", "json_object", "json_schema", "structural_tag")
        if fmt is not None and kind not in allowed[: 4 if dialect == "vllm" else 3]:
            detail = _pydantic_error("literal_error", ("body", "response_format", "type"),
                                     "Input should be 'text', 'json_object' or 'json_schema'", kind)
            if dialect == "vllm":
                raise Refusal(400, {"error": {"message": f"1 validation error:\n  {detail}", "type": "Bad Request",
                                              "param": "body.response_format.type", "code": 400}})
            raise Refusal(400, {"object": "error", "message": detail, "type": "Bad Request", "param": None, "code": 400})
        return _schema_of(body) if kind == "json_schema" else ANY_JSON if kind == "json_object" else None
    if dialect == "vllm-guided":  # vLLM 0.4-0.5: forbids extra fields, ResponseFormat.type text | json_object
        if fmt is not None and kind not in ("text", "json_object"):
            raise Refusal(400, {"object": "error", "message": _pydantic_error(
                "literal_error", ("body", "response_format", "type"), "Input should be 'text' or 'json_object'", kind),
                "type": "BadRequestError", "param": None, "code": 400})
        if extra or (isinstance(fmt, dict) and "json_schema" in fmt):
            raise Refusal(400, {"object": "error", "message": _pydantic_error(
                "extra_forbidden", ("body", "response_format", (extra or ["json_schema"])[0]),
                "Extra inputs are not permitted", "..."), "type": "BadRequestError", "param": None, "code": 400})
        if isinstance(body.get("guided_json"), dict):
            return body["guided_json"]
        return ANY_JSON if kind == "json_object" else None
    if dialect == "llamacpp-server":
        if kind == "json_object":
            return fmt.get("schema") or ANY_JSON
        if kind == "json_schema":
            return (fmt.get("json_schema") or {}).get("schema") or ANY_JSON
        if kind not in (None, "text"):
            return ANY_JSON  # another type: the top-level json_schema, here none, so any JSON
        return body.get("json_schema") if isinstance(body.get("json_schema"), dict) else None
    if dialect == "llama-cpp-python":  # pydantic validation error, answered as HTTP 500 by its route handler
        if fmt is not None and kind not in ("text", "json_object"):
            detail = _pydantic_error("literal_error", ("body", "response_format", "type"),
                                     "Input should be 'text' or 'json_object'", kind)
            raise Refusal(500, {"error": {"message": f"1 validation error:\n  {detail}", "type": "internal_server_error",
                                          "param": None, "code": None}})
        return (fmt.get("schema") or ANY_JSON) if kind == "json_object" else None
    if dialect == "ollama":  # json_object -> format "json"; json_schema -> its schema; other types ignored
        return _schema_of(body) if kind == "json_schema" else ANY_JSON if kind == "json_object" else None
    if dialect == "tgi":
        top_p = body.get("top_p")
        if top_p is not None and not 0.0 < float(top_p) < 1.0:
            raise Refusal(422, {"error": "Input validation error: `top_p` must be > 0.0 and < 1.0",
                                "error_type": "validation"})
        if fmt is None:
            return None
        if kind not in ("json", "json_object", "regex", "json_schema"):
            raise Refusal(422, "Failed to deserialize the JSON body into the target type: response_format: unknown "
                               f"variant `{kind}`, expected one of `json`, `json_object`, `regex`, `json_schema`",
                          "text/plain")
        if "value" not in fmt:
            raise Refusal(422, "Failed to deserialize the JSON body into the target type: response_format: missing "
                               "field `value`", "text/plain")
        value = fmt["value"]
        return (value or {}).get("schema") if kind == "json_schema" else value if kind != "regex" else None
    raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(DIALECTS)}")


def _schema_via(body: dict[str, Any]) -> str | None:
    """Which request field carried a schema, for the request log."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") not in (None, "text"):
        return f"response_format:{fmt.get('type')}"
    return "guided_json" if "guided_json" in body else None
