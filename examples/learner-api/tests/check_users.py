from fastapi.testclient import TestClient

from main import app

client = TestClient(app)


def test_create_user():
    response = client.post(
        "/createUser",
        json={"name": "Test", "email": "test@test.com", "password": "test123"},
    )
    assert response.status_code == 200


def test_login():
    response = client.post("/login", json={"email": "test@test.com", "password": "test123"})
    print(response.json())
