import pytest
from django.test import Client


@pytest.mark.django_db
def test_live_answers(client: Client) -> None:
    assert client.get("/health/live", HTTP_ACCEPT="application/json").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_ready_checks_database_cache_and_store(client: Client) -> None:
    response = client.get("/health/ready", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    checks = response.json()
    assert any("Database" in name for name in checks)
    assert any("Cache" in name for name in checks)
    assert any("DataStore" in name for name in checks)
    assert set(checks.values()) == {"OK"}


@pytest.mark.django_db(transaction=True)
def test_ready_fails_when_the_store_is_not_writable(client: Client, settings, tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    settings.STORE_DIR = blocker / "store"
    response = client.get("/health/ready", HTTP_ACCEPT="application/json")
    assert response.status_code == 500
    assert "not writable" in str(response.json())
