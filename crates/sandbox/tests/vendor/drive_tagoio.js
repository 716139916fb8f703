// TagoIO's JavaScript SDK (@tago-io/sdk) through an account's life on the sandbox.
const { Resources } = require("@tago-io/sdk");
const { URL, admin, latest, expect, Run, main } = require("./harness.js");

const REGION = { api: `${URL}/tagoio`, sse: `${URL}/tagoio/events` };
const EMAIL = "ada.js@example.com";
const [FIRST, SECOND] = ["first-password", "second-password"];
const run = new Run("@tago-io/sdk");

const account = (token) => new Resources({ token, region: REGION }).account;
// The account module's class, whose static methods need no token.
const Account = account("none").constructor;

async function profileToken(password, extra = {}) {
  const login = await Account.login({ email: EMAIL, password, ...extra }, REGION);
  const request = { profile_id: login.profiles[0].id, email: EMAIL, password, name: "ci", ...extra };
  return (await Account.tokenCreate(request, REGION)).token;
}

main(async () => {
  const created = { name: "Ada", email: EMAIL, password: FIRST, cpassword: FIRST, timezone: "UTC" };
  await run.check("create", () => Account.create(created, REGION));
  await run.check("resendConfirmation", () => Account.resendConfirmation(EMAIL, REGION));
  const confirmation = await latest("tagoio", EMAIL, "confirmation");
  await run.check("confirmAccount", () => Account.confirmAccount(confirmation, REGION));

  const login = await run.check("login", () => Account.login({ email: EMAIL, password: FIRST }, REGION));
  expect(login.profiles.length > 0, `no profiles in ${JSON.stringify(login)}`);
  let token = await run.check("tokenCreate", () => profileToken(FIRST));

  let info = await run.check("info", () => account(token).info());
  expect(info.email === EMAIL && info.name === "Ada", `info: ${JSON.stringify(info)}`);
  expect(info.created_at instanceof Date, `created_at is not read as a date: ${info.created_at}`);
  await run.check("edit", () => account(token).edit({ name: "Ada Lovelace", company: "Engines" }));
  info = await account(token).info();
  expect(info.name === "Ada Lovelace" && info.company === "Engines", `after edit: ${JSON.stringify(info)}`);

  await run.check("passwordChange", () => account(token).passwordChange(SECOND));
  await run.check("login after passwordChange", () => Account.login({ email: EMAIL, password: SECOND }, REGION));
  await run.refused("login with the old password", () => Account.login({ email: EMAIL, password: FIRST }, REGION));
  await run.check("passwordRecover", () => Account.passwordRecover(EMAIL, REGION));
  const reset = await latest("tagoio", EMAIL, "password_reset");
  await run.check("passwordChange with the reset token", () => account(reset).passwordChange(FIRST));
  token = await profileToken(FIRST);

  const credentials = { email: EMAIL, password: FIRST };
  await run.check("enableOTP", () => account(token).enableOTP(credentials, "email"));
  const confirmPin = await latest("tagoio", EMAIL, "pin");
  await run.check("confirmOTP", () => account(token).confirmOTP(confirmPin, "email"));
  await run.refused("login without the PIN", () => Account.login(credentials, REGION));
  await run.check("requestLoginPINCode", () => Account.requestLoginPINCode(credentials, "email", REGION));
  const pin = await latest("tagoio", EMAIL, "pin");
  await run.check("login with the PIN", () => profileToken(FIRST, { otp_type: "email", pin_code: pin }));
  await run.check("disableOTP", () => account(token).disableOTP(credentials, "email"));
  await run.check("login without a PIN again", () => Account.login(credentials, REGION));

  const accept = (await admin("POST", "tagoio/invitations", { email: EMAIL })).token;
  const decline = (await admin("POST", "tagoio/invitations", { email: EMAIL })).token;
  await run.check("acceptTeamInvitation", () => Account.acceptTeamInvitation(accept, REGION));
  await run.check("declineTeamInvitation", () => Account.declineTeamInvitation(decline, REGION));
  const state = (await admin("GET", `tagoio/invitations/${accept}`)).state;
  expect(state === "accepted", `invitation is ${state}`);

  await run.check("delete", () => account(token).delete());
  await run.refused("info after delete", () => account(token).info());
  run.done();
});
