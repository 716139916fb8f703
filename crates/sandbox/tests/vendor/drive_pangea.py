"""Pangea's Python SDK (pangea-sdk) over the AuthN user and client operations."""

from harness import URL, Run, admin, expect
from pangea import PangeaConfig
from pangea.services.authn.authn import AuthN

tokens = admin("GET", "pangea/tokens")
# The SDK waits 1 s, 4 s, 9 s... between polls, cut short by the timeout.
config = PangeaConfig(base_url_template=f"{URL}/pangea", poll_result_timeout=3)
service = AuthN(tokens["service_token"], config=config)
client = AuthN(tokens["client_token"], config=config)
ADA, GRACE = "ada.py@example.com", "grace.py@example.com"
run = Run("pangea-sdk")

ada = run.check("user.create", lambda: service.user.create(ADA, {"first_name": "Ada"}).result)
expect(ada.id.startswith("pui_") and ada.email == ADA, f"created: {ada}")
# The SDK's User requires a username; one made without gets its email.
expect(ada.username == ADA, f"username of a user made without one: {ada.username!r}")
grace = run.check(
    "user.create with a username", lambda: service.user.create(GRACE, {"first_name": "Grace"}, username="grace").result
)
expect(grace.username == "grace", f"created: {grace}")

got = run.check("user.profile.get by email", lambda: service.user.profile.get(email=ADA).result)
expect(got.id == ada.id and got.profile == {"first_name": "Ada"}, f"got: {got}")
got = run.check("user.profile.get by id", lambda: service.user.profile.get(id=grace.id).result)
expect(got.email == GRACE, f"got: {got}")
got = run.check("user.profile.get by username", lambda: service.user.profile.get(username="grace").result)
expect(got.id == grace.id, f"got: {got}")

updated = run.check(
    "user.profile.update", lambda: service.user.profile.update({"last_name": "Lovelace"}, email=ADA).result
)
expect(updated.profile == {"first_name": "Ada", "last_name": "Lovelace"}, f"merged profile: {updated.profile}")
disabled = run.check("user.update disabled", lambda: service.user.update(disabled=True, id=ada.id).result)
expect(disabled.disabled is True, f"updated: {disabled}")
enabled = run.check("user.update enabled", lambda: service.user.update(disabled=False, email=ADA).result)
expect(enabled.disabled is False, f"updated: {enabled}")
admin("POST", "pangea/lock-out", {"email": GRACE})
unlocked = run.check("user.update unlock", lambda: service.user.update(unlock=True, username="grace").result)
expect(unlocked.id == grace.id, f"unlocked: {unlocked}")

listed = run.check("user.list", lambda: service.user.list().result)
expect(sorted(u.email for u in listed.users) == [ADA, GRACE] and listed.count == 2, f"listed: {listed}")
found = run.check("user.list filtered", lambda: service.user.list(filter={"email__contains": ["grace"]}).result)
expect([u.id for u in found.users] == [grace.id], f"filtered: {found}")
first = run.check("user.list first page", lambda: service.user.list(size=1, order_by="email", order="asc").result)
expect([u.email for u in first.users] == [ADA] and first.last, f"first page: {first}")
second = run.check(
    "user.list next page", lambda: service.user.list(size=1, order_by="email", order="asc", last=first.last).result
)
expect([u.email for u in second.users] == [GRACE] and not second.last, f"second page: {second}")

totp = admin("POST", "pangea/authenticators", {"email": ADA, "kind": "totp"})["id"]
listed = run.check("user.authenticators.list", lambda: service.user.authenticators.list(email=ADA).result)
expect([a.id for a in listed.authenticators] == [totp], f"authenticators: {listed}")
run.check("user.authenticators.delete", lambda: service.user.authenticators.delete(totp, email=ADA))
listed = service.user.authenticators.list(id=ada.id).result
expect(listed.authenticators == [], f"after delete: {listed}")

admin("POST", "pangea/passwords", {"email": ADA, "password": "first-Password1"})
code = admin("POST", "pangea/login-codes", {"email": ADA})["code"]
session = run.check("client.userinfo", lambda: client.client.userinfo(code).result)
expect(session.active_token and session.active_token.email == ADA, f"session: {session}")
token = session.active_token.token
run.refused("client.userinfo with a used code", lambda: client.client.userinfo(code))
run.check(
    "client.password.change",
    lambda: client.client.password.change(token, "first-Password1", "second-Password2"),
)
run.refused(
    "client.password.change with a wrong password",
    lambda: client.client.password.change(token, "first-Password1", "third-Password3"),
)
run.refused("a user operation with the client token", lambda: client.user.list())

# A queued answer: the SDK polls until the result is ready.
admin("POST", "pangea/accept-next", {"polls": 1})
got = run.check("user.profile.get answered after polling", lambda: service.user.profile.get(email=GRACE).result)
expect(got.id == grace.id, f"polled: {got}")

run.check("user.delete", lambda: service.user.delete(email=GRACE))
run.refused("user.profile.get of a deleted user", lambda: service.user.profile.get(email=GRACE))
run.done()
