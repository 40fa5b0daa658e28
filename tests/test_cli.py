"""`flask cosign ...` commands."""
from sqlalchemy import func, select

from cosign import accounts, demo, translating
from cosign.models import Revision, Statement, User


def test_create_user_reads_password_from_stdin(runner, session):
    result = runner.invoke(
        args=["cosign", "create-user", "Lead@Example.org", "--name", "Lead Person"],
        input="a long password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created coordinator lead@example.org" in result.output
    assert "a long password" not in result.output
    assert accounts.authenticate(session, "lead@example.org", "a long password") is not None


def test_create_user_bad_input(runner, session):
    result = runner.invoke(
        args=["cosign", "create-user", "not-an-email", "--name", "X"], input="a long password\n"
    )
    assert result.exit_code != 0 and "Error" in result.output
    result = runner.invoke(
        args=["cosign", "create-user", "a@example.org", "--name", "X"], input="short\n"
    )
    assert result.exit_code != 0 and "at least 10 characters" in result.output
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_twice(runner, session):
    runner.invoke(
        args=["cosign", "create-user", "a@example.org", "--name", "A"], input="a long password\n"
    )
    result = runner.invoke(
        args=["cosign", "create-user", "a@example.org", "--name", "A"], input="a long password\n"
    )
    assert result.exit_code != 0 and "exists already" in result.output


def test_demo_loads_once_and_prints_the_login(runner, session, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "credentials_file", lambda: tmp_path / "demo-login.txt")
    first = runner.invoke(args=["cosign", "demo"])
    assert first.exit_code == 0, first.output
    email, password = (tmp_path / "demo-login.txt").read_text().split()
    assert "Demo loaded." in first.output and email in first.output and password in first.output
    assert accounts.authenticate(session, email, password) is not None
    second = runner.invoke(args=["cosign", "demo"])
    assert "Demo already loaded." in second.output and password in second.output
    assert session.scalar(select(func.count()).select_from(Statement)) == 2
    statement = session.scalar(select(Statement).where(Statement.slug == demo.DEMO_SLUG))
    revisions = session.scalars(select(Revision).where(Revision.statement_id == statement.id)).all()
    assert len(revisions) >= 3 and len({r.author_id for r in revisions}) == 2
    assert statement.press_email and statement.coalition
    assert statement.status == "open" and statement.signed_revision == 3
    from cosign import moderation

    counts = moderation.status_counts(session, statement.id)
    assert counts["approved"] >= 5 and counts["confirmed"] >= 1
    # the Arabic-authoritative statement, open, with its English and French translations
    arabic = session.scalar(select(Statement).where(Statement.language == "ar"))
    assert arabic.status == "open" and arabic.slug.startswith("بيان-مشترك")
    assert [t.language for t in translating.translations(session, arabic.id)] == ["en", "fr"]
    assert moderation.status_counts(session, arabic.id)["approved"] == 5


def test_demo_leaves_a_database_with_data_alone(runner, session, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "credentials_file", lambda: tmp_path / "demo-login.txt")
    accounts.create_user(session, "real@example.org", "Real", "a long password")
    result = runner.invoke(args=["cosign", "demo"])
    assert "no demo loaded" in result.output
    assert session.scalar(select(func.count()).select_from(Statement)) == 0
