"""The OpenAPI document of /api/v1 as a contract: every response is checked against it, and the
documented responses seen are recorded."""

import re

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

API = "/api/v1"
SPEC_URI = "urn:cosign:openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    """Checks responses against the OpenAPI document and records which documented ones were seen."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.registry = Registry().with_resource(
            SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))
        self.templates = {
            template: re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
                                 + "$")
            for template in spec["paths"]
        }
        self.seen: set[tuple[str, str, str]] = set()

    def documented(self) -> set[tuple[str, str, str]]:
        return {(template, method, status)
                for template, item in self.spec["paths"].items()
                for method, operation in item.items() if method in METHODS
                for status in operation["responses"]}

    def resolve(self, node: dict) -> tuple[dict, list[str]]:
        """A Response Object behind ``$ref``s, and its JSON pointer in the document."""
        where: list[str] = []
        while "$ref" in node:
            where = node["$ref"].lstrip("#/").split("/")
            node = self.spec
            for part in where:
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, where

    def validate(self, instance, schema_pointer: str) -> None:
        validator = Draft202012Validator({"$ref": f"{SPEC_URI}#/{schema_pointer}"},
                                         registry=self.registry,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        validator.validate(instance)

    def check(self, response, path: str, method: str = "get"):
        assert response.headers.get("Access-Control-Allow-Origin") == "*", (method, path)
        assert "Set-Cookie" not in response.headers, (method, path)
        assert path.startswith("/api/")
        relative = path[len(API):].split("?")[0] if path.startswith(API + "/") else None
        template = next((t for t, rx in self.templates.items()
                         if relative is not None and rx.match(relative)), None)
        if template is None:  # no such resource: the error schema
            assert response.status_code == 404, path
            assert response.mimetype == "application/json"
            self.validate(response.get_json(), "components/schemas/Error")
            return response
        item = self.spec["paths"][template]
        spec_method = "get" if method == "head" else method
        status = str(response.status_code)
        operation = item.get(spec_method)
        if operation is None:  # not an operation of this path: only 405, as documented under GET
            assert status == "405", (method, path, status)
            spec_method, operation = "get", item["get"]
        assert status in operation["responses"], f"undocumented {status} for {method} {path}"
        node = operation["responses"][status]
        where = ["paths", template, spec_method, "responses", status]
        node, referred = self.resolve(node)
        where = referred or where
        for name, header in node.get("headers", {}).items():
            header, _ = self.resolve(header)
            if status != "304" or name == "Access-Control-Allow-Origin":
                assert name in response.headers, (name, method, path, status)
            if name in response.headers and "const" in header.get("schema", {}):
                assert response.headers[name] == header["schema"]["const"], name
        content = node.get("content")
        if not content or method == "head":
            assert response.data == b"", (method, path, status)
        else:
            assert response.mimetype in content, (response.mimetype, list(content))
            if response.mimetype == "application/json":
                body = response.get_json()
            else:
                assert response.mimetype_params.get("charset") == "utf-8"
                body = response.get_data(as_text=True)
            self.validate(body, pointer(*where, "content", response.mimetype, "schema"))
        self.seen.add((template, spec_method, status))
        return response
