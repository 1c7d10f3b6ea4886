def test_root_redirects_to_the_preferred_language(client):
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/en/")


def test_home_lists_the_countries(client, demo_data):
    response = client.get("/en/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("Zambia", "Rwanda", "Paraguay"):
        assert name in html


def test_unknown_language_is_a_404_in_english(client):
    response = client.get("/xx/")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
