"""The OpenAPI document is complete: every operation described and secured, request and response
bodies with examples, the one error shape documented, the OAuth2 scheme naming the token URL."""

from __future__ import annotations

from typing import Any

from tests.api.scenario import World

METHODS = {"get", "post", "put", "patch", "delete"}
# A file download documents its media types instead of a JSON body.
FILE_TYPES = {
    "text/csv",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "image/png",
    "image/svg+xml",
}


def _is_file(content: dict[str, Any]) -> bool:
    """A 2xx answer that is a file: only file media types, each a string (or binary) schema."""
    return bool(content) and all(
        media in FILE_TYPES and body.get("schema", {}).get("type") == "string"
        for media, body in content.items()
    )


def _schema_name(ref: dict[str, Any]) -> str | None:
    target = ref.get("$ref")
    return target.rsplit("/", 1)[-1] if target else None


def test_openapi__complete_with_examples_and_security(world: World) -> None:
    document = world.client().get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"
    components = document["components"]["schemas"]
    assert "HTTPValidationError" not in components  # FastAPI's own 422 shape is replaced by ours
    operations = [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS and path.startswith("/api/")
    ]
    assert len(operations) >= 24
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary") and op.get("description"), where
        if path != "/api/v1/auth/token":
            assert op.get("security") == [{"OAuth2PasswordBearer": []}], where
        for status in ("401", "403", "404", "409", "422"):
            content = op["responses"][status]["content"]["application/json"]["schema"]
            assert _schema_name(content) == "ErrorBody", (where, status)
        body = op.get("requestBody", {}).get("content", {})
        for media in body.values():
            name = _schema_name(media["schema"])
            if name and name.startswith("Body_"):  # the OAuth2 form
                continue
            assert name and components[name].get("examples"), (where, "request example")
        for status, response in op["responses"].items():
            if not status.startswith("2") or "content" not in response:
                continue
            if "application/json" not in response["content"]:
                assert _is_file(response["content"]), (where, "a file download names its media types")
                continue
            name = _schema_name(response["content"]["application/json"]["schema"])
            assert name, where
            schema = components[name]
            if name.startswith("Page_"):
                item = _schema_name(schema["properties"]["items"]["items"])
                assert item and components[item].get("examples"), (where, "item example")
            else:
                assert schema.get("examples"), (where, "response example")
    error = components["ErrorBody"]
    assert error["examples"] and set(components["ErrorDetail"]["properties"]) >= {"code", "msg", "field"}


def test_every_list_is_paged(world: World) -> None:
    document = world.client().get("/openapi.json").json()
    for path, item in document["paths"].items():
        op = item.get("get")
        if not op or not path.startswith("/api/"):
            continue
        content = op["responses"]["200"]["content"]
        if "application/json" not in content and _is_file(content):
            continue  # a file download, not a list
        name = _schema_name(content["application/json"]["schema"]) or ""
        if path.endswith("}") or path.endswith(("/me", "/plan", "/notification")):
            continue  # one record, not a list (a case's action plan and its notification facts too)
        params = {p["name"] for p in op.get("parameters", [])}
        assert name.startswith("Page_") and {"limit", "offset"} <= params, path


def test_validation_errors__one_shape_each_field_named(world: World) -> None:
    client = world.client()
    response = client.post(
        "/api/v1/cases",
        headers=world.headers("officer"),
        json={"review_type": "other", "people": [{"role": "victim"}], "unexpected": 1},
    )
    assert response.status_code == 422
    fields = {item["field"] for item in response.json()["detail"]}
    assert {"notified_on", "review_type", "people.0.pseudonym", "unexpected"} <= fields
    assert all(set(item) <= {"code", "msg", "field"} for item in response.json()["detail"])
    paging = client.get("/api/v1/cases?limit=0&offset=-1", headers=world.headers("officer"))
    assert paging.status_code == 422
    assert {item["field"] for item in paging.json()["detail"]} == {"limit", "offset"}
    wrong_method = client.put("/api/v1/cases", headers=world.headers("officer"))
    assert (
        wrong_method.status_code == 405 and wrong_method.json()["detail"][0]["code"] == "method_not_allowed"
    )


def test_case_list_filters_and_paging(world: World) -> None:
    client = world.client()
    officer = world.headers("officer")
    everything = client.get("/api/v1/cases", headers=officer).json()
    assert everything["total"] == 2
    first = client.get("/api/v1/cases?limit=1", headers=officer).json()
    second = client.get("/api/v1/cases?limit=1&offset=1", headers=officer).json()
    assert first["total"] == second["total"] == 2
    assert {first["items"][0]["ref"], second["items"][0]["ref"]} == {c["ref"] for c in everything["items"]}
    stage = everything["items"][0]["stage"]
    assert client.get(f"/api/v1/cases?stage={stage}", headers=officer).json()["total"] == 2
    assert client.get("/api/v1/cases?stage=published", headers=officer).json()["total"] == 0
    chair = world.headers("chair")
    mine = client.get("/api/v1/cases?role=independent_chair", headers=chair).json()
    assert [c["ref"] for c in mine["items"]] == [world.cases["A"].ref]
    assert mine["items"][0]["my_roles"] == ["independent_chair"]
    assert client.get("/api/v1/cases?role=panel_member", headers=chair).json()["total"] == 0
    assert client.get("/api/v1/cases?mine=true", headers=officer).json()["total"] == 0
    # The decision is due on 5 December 2026; on 25 November nothing is overdue, later it is.
    assert client.get("/api/v1/cases?overdue=true", headers=officer).json()["total"] == 0
    world.ctx.clock.advance(days=20)  # type: ignore[attr-defined]
    officer = world.headers("officer")
    overdue = client.get("/api/v1/cases?overdue=true", headers=officer).json()
    assert overdue["total"] == 2 and all(c["overdue"] for c in overdue["items"])
    assert client.get("/api/v1/cases?overdue=false", headers=officer).json()["total"] == 0


def test_open_case_then_read_deadlines_explained(world: World) -> None:
    client = world.client()
    officer = world.headers("officer")
    opened = client.post(
        "/api/v1/cases",
        headers=officer,
        json={"notified_on": "2026-11-20", "people": [{"role": "victim", "pseudonym": "Nina"}]},
    )
    assert opened.status_code == 201, opened.text
    ref = opened.json()["ref"]
    assert opened.json()["stage"] == "notified" and opened.json()["version"] == 1
    deadlines = client.get(f"/api/v1/cases/{ref}/deadlines", headers=officer).json()["items"]
    decision = next(d for d in deadlines if d["key"] == "csp_decision")
    assert decision["due"] == "20 December 2026"
    assert any("20 December 2026" in line for line in decision["explanation"])
    triggers = client.get(f"/api/v1/cases/{ref}/triggers", headers=officer).json()["items"]
    assert any(t["trigger"] == "start_scoping" and t["can_fire"] for t in triggers)
    fired = client.post(
        f"/api/v1/cases/{ref}/triggers/start_scoping",
        headers=officer,
        json={"expected_version": 1, "reason": "letters sent"},
    )
    assert fired.status_code == 200 and fired.json()["stage"] == "scoping"
    future = client.post("/api/v1/cases", headers=officer, json={"notified_on": "2027-01-01"})
    assert future.status_code == 422 and future.json()["detail"][0]["field"] == "effective_on"
