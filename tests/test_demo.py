"""cosign.demo on a real database (SQLite and PostgreSQL): the demo is loaded into an empty site
only, once; its login is written to a private file and works; the statement has its three
versions, signatories in every state, a press list and the Arabic statement with translations."""
import stat

from sqlalchemy import func, select

from cosign import accounts, demo, moderation, translating
from cosign.models import PressContact, Revision, Statement, User
from tests.factories import make_user


def counts(session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(User)),
            session.scalar(select(func.count()).select_from(Statement)))


def test_the_credentials_live_in_the_instance_folder():
    path = demo.credentials_file()
    assert path.name == "demo-login.txt" and path.parent.name == "instance"


def test_an_empty_site_gets_the_demo_and_a_working_private_login(session, tmp_path):
    path = tmp_path / "instance" / "demo-login.txt"
    loaded = demo.load_if_empty(session, path)
    assert loaded is not None
    email, password, created = loaded
    assert created and email == demo.COORDINATOR[0] and len(password) >= 12
    assert path.read_text() == f"{email} {password}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert accounts.authenticate(session, email, password) is not None

    statement = session.scalar(select(Statement).where(Statement.slug == demo.DEMO_SLUG))
    assert statement.title == demo.TITLE and statement.status == "open"
    assert session.scalar(select(func.count()).select_from(Revision).where(
        Revision.statement_id == statement.id)) == 3
    assert moderation.status_counts(session, statement.id) == {
        "unconfirmed": 0, "confirmed": len(demo.WAITING), "approved": len(demo.SIGNATORIES),
        "rejected": 0, "withdrawn": 0}
    assert sorted(session.scalars(select(PressContact.email))) == sorted(
        email for _name, _outlet, email, _language, _tags in demo.PRESS)

    arabic = session.scalar(select(Statement).where(Statement.language == "ar"))
    assert arabic.title == demo.ARABIC_TITLE and arabic.status == "open"
    assert sorted(t.language for t in translating.translations(session, arabic.id)) == [
        "en", "fr"]
    assert moderation.status_counts(session, arabic.id)["approved"] == len(
        demo.ARABIC_SIGNATORIES)


def test_it_is_loaded_once(session, tmp_path):
    path = tmp_path / "demo-login.txt"
    loaded = demo.load_if_empty(session, path)
    assert loaded is not None
    email, password, _created = loaded
    before = counts(session)
    assert demo.load_if_empty(session, path) == (email, password, False)
    assert counts(session) == before


def test_a_site_in_use_gets_no_demo(session, tmp_path):
    make_user(session)
    path = tmp_path / "demo-login.txt"
    assert demo.load_if_empty(session, path) is None
    assert counts(session) == (1, 0) and not path.exists()
    path.write_text("someone@example.org not-their-password\n")  # no such account here
    assert demo.load_if_empty(session, path) is None
    assert counts(session) == (1, 0)
