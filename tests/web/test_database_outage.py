"""A database that cannot be reached gives a clear 503 with Retry-After, never a traceback."""
import socket

from cosign.app import create_app


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def outage_app():
    return create_app({"TESTING": True, "SECRET_KEY": "test", "SERVER_NAME": "cosign.test",
                       "COSIGN_SITE_URL": "http://cosign.test",
                       "SQLALCHEMY_DATABASE_URI":
                           f"postgresql://postgres@127.0.0.1:{closed_port()}/cosign"})


def test_pages_answer_503_while_the_database_is_unreachable():
    client = outage_app().test_client()
    response = client.get("/s/some-statement")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    body = response.get_data(as_text=True)
    assert "cannot reach its database" in body and "Traceback" not in body
    assert "127.0.0.1" not in body and "postgres" not in body


def test_the_api_answers_503_json_while_the_database_is_unreachable():
    response = outage_app().test_client().get("/api/v1/statements")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.get_json()["error"]["status"] == 503
