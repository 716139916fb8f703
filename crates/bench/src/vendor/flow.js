// TagoIO's JavaScript SDK through the network part's TagoIO flow: a login
// with an emailed PIN, a profile token with another, then Account.info().
// The API's URL comes from TAGOIO_API, the PINs from the sandbox's admin API
// at SANDBOX_URL; the front's CA is trusted through NODE_EXTRA_CA_CERTS.
const { Resources } = require("@tago-io/sdk");

const [email, password] = [process.argv[2], process.argv[3]];
const region = { api: process.env.TAGOIO_API, sse: `${process.env.TAGOIO_API}/events` };
const outbox = `${process.env.SANDBOX_URL}/_sandbox/outbox?provider=tagoio&limit=10000&to=${email}`;
const account = (token) => new Resources({ token, region }).account;
// The account module's class, whose static methods need no token.
const Account = account("none").constructor;

async function pin() {
  const messages = await (await fetch(outbox)).json();
  return messages.filter((m) => m.kind === "pin").pop().secret;
}

(async () => {
  const credentials = { email, password };
  await Account.requestLoginPINCode(credentials, "email", region);
  const login = await Account.login({ ...credentials, otp_type: "email", pin_code: await pin() }, region);
  await Account.requestLoginPINCode(credentials, "email", region);
  const request = { profile_id: login.profiles[0].id, ...credentials, name: "bench" };
  const { token } = await Account.tokenCreate({ ...request, otp_type: "email", pin_code: await pin() }, region);
  if ((await account(token).info()).email !== email) throw new Error("info answered another account");
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
