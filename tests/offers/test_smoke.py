from tests.conftest import Tenant


async def test_create_and_fetch(client, tenant: Tenant) -> None:
    body = {
        "retailer_id": str(tenant.retailer_id),
        "offer_type": "manual_fulfillment",
        "publish": "true",
        "text_config": [{"title": "Hi", "culture": "en"}],
    }
    r = await client.post("/api/2.0/Offers/Management/Create/", json=body, headers=tenant.auth)
    assert r.status_code == 200, r.text
    offer_id = r.json()["payload"]["offer_id"]
    r = await client.post(
        "/api/2.0/offers/fetch_offer",
        json={"retailer_id": str(tenant.retailer_id).upper(), "offer_id": offer_id, "culture": "en-us"},
        headers=tenant.auth,
    )
    assert r.status_code == 200, r.text
    print(r.json())
