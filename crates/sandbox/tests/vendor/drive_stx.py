"""STX's Python SDK (stx-pysdk) through login, 2FA, tokens and the profile."""

import json
from datetime import datetime, timedelta
from pathlib import Path

import stxsdk
import stxsdk.services.base as base
from harness import URL, Run, admin, expect, latest
from stxsdk.services.selection import Selection
from stxsdk.storage.user_storage import User

# The SDK fetches the live schema at start-up; the sandbox has none to give,
# so it reads the one the package bundles for offline use.
BUNDLED = Path(stxsdk.__file__).parent / "config" / "schema.graphql"
base.load_schema_from_path = lambda _name, _env: BUNDLED.read_text(encoding="utf-8")

EMAIL = "ada.py@example.com"
FIRST, SECOND = "first-password", "second-password"
client = base.StxClient(config={"url": f"{URL}/stx/api/graphql"})
user = User()
run = Run("stx-pysdk")


def ok(answer, field=None):
    """The data of a successful SDK answer (of one field, if named)."""
    expect(answer["success"], f"{answer['message']}: {answer['errors']}")
    return answer["data"][field] if field else answer["data"]


def refused(answer):
    expect(not answer["success"], f"expected a refusal, got {answer}")


profile = {"email": EMAIL, "password": FIRST, "firstName": "Ada", "lastName": "Lovelace", "username": "ada"}
registered = run.check("register", lambda: ok(client.register(params={"input": {"data": json.dumps(profile)}}), "register"))
expect(registered["status"] == 200, f"registered: {registered}")

run.check("login", lambda: ok(client.login(params={"email": EMAIL, "password": FIRST})))
expect(user.token and user.refresh_token and user.uid, f"no session after login: {user}")

me = run.check("userProfile", lambda: ok(client.userProfile(), "userProfile"))
expect((me["firstName"], me["lastName"], me["username"]) == ("Ada", "Lovelace", "ada"), f"profile: {me}")
expect(me["id"] == user.id and me["twoFactorAuth"] is False, f"profile: {me}")

tokens = run.check(
    "newToken",
    lambda: ok(client.newToken(params={"refreshToken": user.refresh_token}, selections=Selection("token", "refreshToken")), "newToken"),
)
user.set_params({"token": tokens["token"], "refresh_token": tokens["refreshToken"]})
# An access token past its time makes the SDK refresh it before the call.
user.set_params({"expiry": datetime.now() - timedelta(minutes=1)})
old = user.token
run.check("userProfile after the SDK refreshes its token", lambda: ok(client.userProfile(selections=Selection("id")), "userProfile"))
expect(user.token != old and user.expiry > datetime.now(), "the SDK did not refresh its token")

sent = run.check("send2Fa", lambda: ok(client.send2Fa(), "send2Fa"))
expect(sent["status"] == "sent", f"send2Fa: {sent}")
changed = run.check(
    "changePassword", lambda: ok(client.changePassword(params={"oldPassword": FIRST, "newPassword": SECOND}), "changePassword")
)
expect(changed["promptTwoFactorAuth"] is False, f"changePassword: {changed}")
run.check(
    "changePassword with a wrong password is refused",
    lambda: refused(client.changePassword(params={"oldPassword": FIRST, "newPassword": "third-password"})),
)

enabled = run.check("enable2Fa", lambda: ok(client.enable2Fa(params={"password": SECOND}), "enable2Fa"))
expect(enabled["status"] == "enabled", f"enable2Fa: {enabled}")
waiting = run.check(
    "changePassword with 2FA", lambda: ok(client.changePassword(params={"oldPassword": SECOND, "newPassword": FIRST}), "changePassword")
)
expect(waiting["promptTwoFactorAuth"] is True, f"changePassword with 2FA: {waiting}")
run.check("resendChangePassword2Fa", lambda: ok(client.resendChangePassword2Fa(), "resendChangePassword2Fa"))
code = latest("stx", EMAIL, "password_change_code")
run.check("confirmChangePassword2Fa", lambda: ok(client.confirmChangePassword2Fa(params={"code": code}), "confirmChangePassword2Fa"))
expect(admin("GET", f"stx/users/{EMAIL}")["two_factor"] is True, "2FA is not on")

run.check("login with 2FA", lambda: ok(client.login(params={"email": EMAIL, "password": FIRST})))
expect(user.session_id and not getattr(user, "token", None), f"login with 2FA did not wait for the code: {user}")
code = latest("stx", EMAIL, "login_code")
run.check("confirm2Fa", lambda: ok(client.confirm2Fa(params={"code": code})))
me = run.check("userProfile after confirm2Fa", lambda: ok(client.userProfile(), "userProfile"))
expect(me["twoFactorAuth"] is True, f"profile: {me}")
disabled = run.check("disable2Fa", lambda: ok(client.disable2Fa(params={"password": FIRST}), "disable2Fa"))
expect(disabled["status"] == "disabled", f"disable2Fa: {disabled}")

forgot = run.check("forgotPassword", lambda: ok(client.forgotPassword(params={"email": EMAIL}), "forgotPassword"))
expect(forgot["email"] == EMAIL, f"forgotPassword: {forgot}")
reset = {"passwordResetParams": {"code": latest("stx", EMAIL, "password_reset_code"), "newPassword": SECOND}}
done = run.check("confirmPasswordReset", lambda: ok(client.confirmPasswordReset(params=reset), "confirmPasswordReset"))
expect(done["reset"] is True, f"confirmPasswordReset: {done}")

run.check("logout", lambda: ok(client.logout(), "logout"))
run.check("userProfile after logout is refused", lambda: refused(client.userProfile()))
run.check(
    "login with the password before the reset is refused",
    lambda: refused(client.login(params={"email": EMAIL, "password": FIRST})),
)
run.check("login with the reset password", lambda: ok(client.login(params={"email": EMAIL, "password": SECOND})))
run.done()
