"""TagoIO's Python SDK (tagoio-sdk) through an account's life on the sandbox."""

from datetime import datetime

from harness import URL, Run, admin, expect, latest
from tagoio_sdk import Resources
from tagoio_sdk.modules.Resources.Account import Account

REGION = {"api": f"{URL}/tagoio", "sse": f"{URL}/tagoio/events"}
EMAIL = "ada.py@example.com"
FIRST, SECOND = "first-password", "second-password"
run = Run("tagoio-sdk")


def account(token):
    return Resources({"token": token, "region": REGION}).account


def profile_token(password, **extra):
    login = Account.login({"email": EMAIL, "password": password, **extra}, REGION)
    profile = login["profiles"][0]["id"]
    request = {"profile_id": profile, "email": EMAIL, "password": password, "name": "ci", **extra}
    return Account.tokenCreate(request, REGION)["token"]


new = {"name": "Ada", "email": EMAIL, "password": FIRST, "cpassword": FIRST, "timezone": "UTC"}
run.check("create", lambda: Account.create(new, REGION))
run.check("resendConfirmation", lambda: Account.resendConfirmation(EMAIL, REGION))
run.check("confirmAccount", lambda: Account.confirmAccount(latest("tagoio", EMAIL, "confirmation"), REGION))

login = run.check("login", lambda: Account.login({"email": EMAIL, "password": FIRST}, REGION))
expect(login["profiles"], f"no profiles in {login}")
token = run.check("tokenCreate", lambda: profile_token(FIRST))

info = run.check("info", lambda: account(token).info())
expect((info["email"], info["name"]) == (EMAIL, "Ada"), f"info: {info}")
expect(isinstance(info["created_at"], datetime), f"created_at is not read as a date: {info['created_at']!r}")
run.check("edit", lambda: account(token).edit({"name": "Ada Lovelace", "company": "Engines"}))
info = account(token).info()
expect((info["name"], info["company"]) == ("Ada Lovelace", "Engines"), f"after edit: {info}")

run.check("passwordChange", lambda: account(token).passwordChange(SECOND))
run.check("login after passwordChange", lambda: Account.login({"email": EMAIL, "password": SECOND}, REGION))
run.refused("login with the old password", lambda: Account.login({"email": EMAIL, "password": FIRST}, REGION))
run.check("passwordRecover", lambda: Account.passwordRecover(EMAIL, REGION))
reset = latest("tagoio", EMAIL, "password_reset")
run.check("passwordChange with the reset token", lambda: account(reset).passwordChange(FIRST))
token = profile_token(FIRST)

credentials = {"email": EMAIL, "password": FIRST}
run.check("enableOTP", lambda: account(token).enableOTP(credentials, "email"))
run.check("confirmOTP", lambda: account(token).confirmOTP(latest("tagoio", EMAIL, "pin"), "email"))
run.refused("login without the PIN", lambda: Account.login(credentials, REGION))
run.check("requestLoginPINCode", lambda: Account.requestLoginPINCode(credentials, "email", REGION))
pin = latest("tagoio", EMAIL, "pin")
run.check("login with a PIN", lambda: profile_token(FIRST, otp_type="email", pin_code=pin))
run.check("disableOTP", lambda: account(token).disableOTP(credentials, "email"))
run.check("login without a PIN again", lambda: Account.login(credentials, REGION))

accept = admin("POST", "tagoio/invitations", {"email": EMAIL})["token"]
decline = admin("POST", "tagoio/invitations", {"email": EMAIL})["token"]
run.check("acceptTeamInvitation", lambda: Account.acceptTeamInvitation(accept, REGION))
run.check("declineTeamInvitation", lambda: Account.declineTeamInvitation(decline, REGION))
expect(admin("GET", f"tagoio/invitations/{accept}")["state"] == "accepted", "invitation not accepted")

run.check("delete", lambda: account(token).delete())
run.refused("info after delete", lambda: account(token).info())
run.done()
