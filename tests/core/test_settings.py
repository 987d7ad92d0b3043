"""Every config key can come from the environment; the secret key is kept in instance/."""

from app import create_app


def test_environment_overrides_config(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("EVENTS_PER_PAGE", "25")
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://motesplats.example.se")
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.sqlite"
    assert app.config["EVENTS_PER_PAGE"] == 25
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["PUBLIC_BASE_URL"] == "https://motesplats.example.se"


def test_postgres_url_uses_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/x")
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_development_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("MOTESPLATS_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/k.sqlite")
    first = create_app({"TESTING": True}).config["SECRET_KEY"]
    second = create_app({"TESTING": True}).config["SECRET_KEY"]
    assert first and first == second


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    import pytest

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("MOTESPLATS_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/k.sqlite")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
