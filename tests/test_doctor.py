"""`flask cosign doctor`: one line per check, exit 1 on a PROBLEM; real SMTP, Redis and
databases."""

import os
import shutil
import sqlite3

import pytest

from cosign import certification, doctor
from cosign.app import create_app
from cosign.config import ConfigurationError
from cosign.extensions import db
from tests.conftest import app_config
from tests.smtp_sink import free_port

REDIS_URL = os.environ.get("COSIGN_TEST_REDIS_URL")
REDIS_SKIP = (
    "COSIGN_TEST_REDIS_URL is not set: the check against a real Redis is skipped (.ci/run sets it)"
)
STRONG_KEY = "Zq3v9-KdT1xWb7pNfH2sLm8cRj4yEu6aG0oVi5BtQw"
PRODUCTION = {"SECRET_KEY": STRONG_KEY, "COSIGN_SITE_URL": "https://statements.example.org"}


@pytest.fixture
def signing_files(tmp_path):
    return certification.generate_key(tmp_path / "keys", common_name="cosign test")


@pytest.fixture
def app_overrides(request):
    overrides = dict(PRODUCTION)
    if "smtp" in request.fixturenames:
        controller, _sink = request.getfixturevalue("smtp")
        overrides.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port)
    overrides.update(getattr(request, "param", {}))
    return overrides


def lines(result) -> dict[str, str]:
    """{check name: level} from the command's output."""
    found = {}
    for line in result.output.splitlines():
        level, _, rest = line.partition(" ")
        if level in {"OK", "WARNING", "PROBLEM"}:
            found[rest.strip().split(":")[0]] = level
    return found


def doctor_run(runner):
    return runner.invoke(args=["cosign", "doctor"])


def test_healthy_setup(runner, smtp, signing_files, app):
    key, cert = signing_files
    app.config.update(COSIGN_SIGNING_KEY=str(key), COSIGN_SIGNING_CERT=str(cert))
    if REDIS_URL:
        app.config["REDIS_URL"] = REDIS_URL
    result = doctor_run(runner)
    assert result.exit_code == 0, result.output
    found = lines(result)
    assert set(found) == {"secret key", "site address", "database", "migrations",
                          "storage directory", "PDF fonts", "WeasyPrint", "PDF signing key",
                          "trusted time", "Redis", "SMTP"}, result.output
    assert found["trusted time"] == "WARNING" and "COSIGN_TSA_URL" in result.output
    assert "PROBLEM" not in found.values()
    for name in ("secret key", "site address", "database", "migrations", "storage directory",
                 "WeasyPrint", "PDF signing key", "Redis", "SMTP"):
        assert found[name] == "OK", result.output
    assert "(no mail was sent)" in result.output and "0 problem(s)" in result.output
    assert smtp[1].messages == []
    assert STRONG_KEY not in result.output


def test_bad_smtp_port(runner, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    result = doctor_run(runner)
    assert result.exit_code == 1
    assert lines(result)["SMTP"] == "PROBLEM"
    assert "cannot talk to the mail server 127.0.0.1:" in result.output


def test_unreachable_redis(runner, app):
    app.config["REDIS_URL"] = f"redis://:s3cret-pw@127.0.0.1:{free_port()}/0"
    result = doctor_run(runner)
    assert result.exit_code == 1
    assert lines(result)["Redis"] == "PROBLEM"
    assert (
        "cannot reach redis://:***@127.0.0.1" in result.output and "s3cret-pw" not in result.output
    )


@pytest.mark.skipif(not REDIS_URL, reason=REDIS_SKIP)
def test_reachable_redis():
    finding = doctor.check_redis({"REDIS_URL": REDIS_URL})
    assert finding.level == doctor.OK and "answers PING" in finding.message


@pytest.mark.parametrize("app_overrides", [
    {"SECRET_KEY": "test-secret-key-not-for-production"},
    {"SECRET_KEY": "short"},
    {"SECRET_KEY": "a" * 64},
], indirect=True)
def test_weak_secret_key(runner, app_overrides):
    result = doctor_run(runner)
    assert result.exit_code == 1 and lines(result)["secret key"] == "PROBLEM", result.output
    assert "SECRET_KEY is weak" in result.output


@pytest.mark.parametrize("app_overrides", [
    {"COSIGN_SITE_URL": "http://statements.example.org"},
    {"COSIGN_SITE_URL": "https://127.0.0.1:5000"},
], indirect=True)
def test_site_url_outside_development(runner, app_overrides):
    result = doctor_run(runner)
    assert result.exit_code == 1 and lines(result)["site address"] == "PROBLEM", result.output


def test_an_address_without_scheme_stops_the_start_and_the_doctor_says_why():
    config = {**PRODUCTION, "COSIGN_SITE_URL": "statements.example.org"}
    with pytest.raises(ConfigurationError, match="COSIGN_SITE_URL must be a site address"):
        create_app({**app_config("sqlite://"), **config})
    assert doctor.check_site_url(config).level == doctor.PROBLEM


def test_development_allows_http_and_a_short_key():
    config = {"COSIGN_DEV": True, "SECRET_KEY": "dev", "COSIGN_SITE_URL": "http://127.0.0.1:5000"}
    assert doctor.check_secret_key(config).level == doctor.OK
    assert doctor.check_site_url(config).level == doctor.OK
    assert doctor.check_smtp(config).level == doctor.OK
    assert doctor.check_smtp({"COSIGN_DEV": False}).level == doctor.WARNING


def test_storage_not_writable(runner, app, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    app.config["COSIGN_STORAGE_DIR"] = str(blocker / "storage")
    result = doctor_run(runner)
    assert result.exit_code == 1 and lines(result)["storage directory"] == "PROBLEM"


def test_signing_key_missing_or_half(runner, app, signing_files):
    key, cert = signing_files
    app.config.update(COSIGN_SIGNING_KEY="", COSIGN_SIGNING_CERT="")
    result = doctor_run(runner)
    assert lines(result)["PDF signing key"] == "WARNING" and "cosign keygen" in result.output
    cert.unlink()
    app.config.update(COSIGN_SIGNING_KEY=str(key), COSIGN_SIGNING_CERT=str(cert))
    result = doctor_run(runner)
    assert result.exit_code == 1 and lines(result)["PDF signing key"] == "PROBLEM"


def sqlite_app(path, tmp_path):
    return create_app(app_config(f"sqlite:///{path}", COSIGN_STORAGE_DIR=str(tmp_path / "storage"),
                                 **PRODUCTION))


def invoke_on(app):
    try:
        return app.test_cli_runner().invoke(args=["cosign", "doctor"])
    finally:
        with app.app_context():
            db.engine.dispose()


def test_database_not_migrated(tmp_path):
    result = invoke_on(sqlite_app(tmp_path / "empty.sqlite3", tmp_path))
    assert result.exit_code == 1
    found = lines(result)
    assert found["database"] == "OK" and found["migrations"] == "PROBLEM"
    assert "no schema yet; run: flask --app wsgi db upgrade" in result.output


@pytest.mark.parametrize("revision, words", [("0001", "the code expects"),
                                              ("9999beef", "does not know")])
def test_database_behind_or_unknown(sqlite_template, tmp_path, revision, words):
    path = tmp_path / "old.sqlite3"
    shutil.copy(sqlite_template, path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    result = invoke_on(sqlite_app(path, tmp_path))
    assert result.exit_code == 1 and lines(result)["migrations"] == "PROBLEM"
    assert words in result.output


def test_database_unreachable(db_url, tmp_path):
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite3'}"
    else:
        url = f"postgresql+psycopg://cosign:pw-not-shown@127.0.0.1:{free_port()}/cosign"
    app = create_app(app_config(url, COSIGN_STORAGE_DIR=str(tmp_path / "storage"), **PRODUCTION))
    result = invoke_on(app)
    assert result.exit_code == 1
    found = lines(result)
    assert found["database"] == "PROBLEM" and "migrations" not in found
    assert "pw-not-shown" not in result.output


def test_font_stacks_come_from_the_pdf_styles():
    families = {name for stack in doctor.pdf_font_stacks() for name in stack}
    assert {"Noto Naskh Arabic", "DejaVu Sans"} <= families
    assert not {"serif", "sans-serif", "monospace"} & {f.lower() for f in families}


def test_font_levels():
    stacks = [("Noto Serif", "Noto Naskh Arabic", "DejaVu Serif"), ("DejaVu Sans",)]
    everything = {"noto serif", "noto naskh arabic", "dejavu serif", "dejavu sans"}
    assert doctor.check_fonts(stacks, everything).level == doctor.OK
    warning = doctor.check_fonts(stacks, {"dejavu serif", "dejavu sans"})
    assert warning.level == doctor.WARNING and "Noto Naskh Arabic" in warning.message
    assert doctor.check_fonts(stacks, {"dejavu serif"}).level == doctor.PROBLEM
    assert doctor.check_fonts(stacks, None).level == doctor.WARNING


def test_fonts_of_this_machine():
    """What fontconfig reports here: DejaVu (installed by `make system-deps`) covers every list."""
    assert doctor.check_fonts().level in {doctor.OK, doctor.WARNING}
