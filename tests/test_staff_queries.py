"""The staff pages make a constant number of queries, whatever the size of the data: the
workspace, the history and the users pages, counted on a small and a large synthetic set."""

import pytest
from synthetic import build_dataset, count_queries, wipe

from tracker.codes import Role
from tracker.models import User


def staff_query_counts(client, engine, session, sign_in, keys: dict, password_hash) -> dict:
    admin = User(email="admin@example.org", password_hash=password_hash, role=Role.ADMIN)
    session.add(admin)
    session.commit()
    sign_in(admin)
    iso3 = keys["iso3"]
    urls = {
        "workspace": f"/en/manage/countries/{iso3}",
        "workspace, not assessed": f"/en/manage/countries/{iso3}?show=not-assessed",
        "workspace, changed since publication": f"/en/manage/countries/{iso3}?show=changed",
        "history": "/en/manage/history",
        "history of a country": f"/en/manage/history?country={iso3}",
        "users": "/en/manage/users",
        "staff home": "/en/manage/",
        "checklist admin": "/en/manage/checklist",
    }
    counts = {}
    for name, url in urls.items():
        with count_queries(engine) as statements:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[name] = len(statements)
    return counts


@pytest.mark.slow
def test_staff_pages_make_a_constant_number_of_queries(
    client, engine, session, sign_in, password_hash
):
    small_data = build_dataset(session, 2, 3, instruments=2, users=2, changes=2,
                               password_hash=password_hash)  # fmt: skip
    small = staff_query_counts(client, engine, session, sign_in, small_data, password_hash)
    wipe(session)
    large_data = build_dataset(session, 30, 45, instruments=12, users=60, changes=40,
                               password_hash=password_hash)  # fmt: skip
    large = staff_query_counts(client, engine, session, sign_in, large_data, password_hash)
    assert large == small
    # Comparing with the last publication reads the working copy, a query per record table.
    changed = small.pop("workspace, changed since publication")
    assert changed <= small["workspace"] + 20, changed
    # 16: the workspace reads its changes since publication from a snapshot of the working copy,
    # whose tables include the translations of its texts (issue 12).
    assert max(small.values()) <= 16, small
