// Pangea's JavaScript SDK (pangea-node-sdk) over the AuthN user and client operations.
const { AuthNService, PangeaConfig } = require("pangea-node-sdk");
const { URL, admin, expect, Run, main } = require("./harness.js");

const [ADA, GRACE] = ["ada.js@example.com", "grace.js@example.com"];
const run = new Run("pangea-node-sdk");
const show = (value) => JSON.stringify(value);

main(async () => {
  const tokens = await admin("GET", "pangea/tokens");
  // The SDK waits 1 s, 4 s, 9 s... between polls, cut short by the timeout.
  const config = new PangeaConfig({ baseUrlTemplate: `${URL}/pangea`, pollResultTimeoutMs: 3000 });
  const service = new AuthNService(tokens.service_token, config);
  const client = new AuthNService(tokens.client_token, config);
  const result = async (promise) => (await promise).result;

  const ada = await run.check("user.create", () =>
    result(service.user.create({ email: ADA, profile: { first_name: "Ada" } })),
  );
  expect(ada.id.startsWith("pui_") && ada.email === ADA, `created: ${show(ada)}`);
  // Its User type requires a username; one made without gets its email.
  expect(ada.username === ADA, `username of a user made without one: ${show(ada.username)}`);
  const grace = await run.check("user.create with a username", () =>
    result(service.user.create({ email: GRACE, username: "grace", profile: { first_name: "Grace" } })),
  );
  expect(grace.username === "grace", `created: ${show(grace)}`);

  let got = await run.check("user.profile.getProfile by email", () =>
    result(service.user.profile.getProfile({ email: ADA })),
  );
  expect(got.id === ada.id && got.profile.first_name === "Ada", `got: ${show(got)}`);
  got = await run.check("user.profile.getProfile by id", () => result(service.user.profile.getProfile({ id: grace.id })));
  expect(got.email === GRACE, `got: ${show(got)}`);
  got = await run.check("user.profile.getProfile by username", () =>
    result(service.user.profile.getProfile({ username: "grace" })),
  );
  expect(got.id === grace.id, `got: ${show(got)}`);

  const updated = await run.check("user.profile.update", () =>
    result(service.user.profile.update({ email: ADA, profile: { last_name: "Lovelace" } })),
  );
  expect(show(updated.profile) === show({ first_name: "Ada", last_name: "Lovelace" }), `merged: ${show(updated)}`);
  const disabled = await run.check("user.update disabled", () =>
    result(service.user.update({ id: ada.id, disabled: true })),
  );
  expect(disabled.disabled === true, `updated: ${show(disabled)}`);
  const enabled = await run.check("user.update enabled", () =>
    result(service.user.update({ email: ADA, disabled: false })),
  );
  expect(enabled.disabled === false, `updated: ${show(enabled)}`);
  await admin("POST", "pangea/lock-out", { email: GRACE });
  await run.check("user.update unlock", () => result(service.user.update({ username: "grace", unlock: true })));

  const listed = await run.check("user.list", () => result(service.user.list({})));
  const emails = listed.users.map((u) => u.email).sort();
  expect(show(emails) === show([ADA, GRACE]) && listed.count === 2, `listed: ${show(listed)}`);
  const found = await run.check("user.list filtered", () =>
    result(service.user.list({ filter: { email__contains: ["grace"] } })),
  );
  expect(found.users.length === 1 && found.users[0].id === grace.id, `filtered: ${show(found)}`);
  const page = { size: 1, order_by: "email", order: "asc" };
  const first = await run.check("user.list first page", () => result(service.user.list(page)));
  expect(first.users[0].email === ADA && first.last, `first page: ${show(first)}`);
  const second = await run.check("user.list next page", () =>
    result(service.user.list({ ...page, last: first.last })),
  );
  expect(second.users[0].email === GRACE && !second.last, `second page: ${show(second)}`);

  const totp = (await admin("POST", "pangea/authenticators", { email: ADA, kind: "totp" })).id;
  const authenticators = await run.check("user.authenticators.list", () =>
    result(service.user.authenticators.list({ email: ADA })),
  );
  expect(show(authenticators.authenticators.map((a) => a.id)) === show([totp]), `listed: ${show(authenticators)}`);
  await run.check("user.authenticators.delete", () =>
    service.user.authenticators.delete({ email: ADA, authenticator_id: totp }),
  );
  const left = await result(service.user.authenticators.list({ id: ada.id }));
  expect(left.authenticators.length === 0, `after delete: ${show(left)}`);

  await admin("POST", "pangea/passwords", { email: ADA, password: "first-Password1" });
  const code = (await admin("POST", "pangea/login-codes", { email: ADA })).code;
  const session = await run.check("client.userinfo", () => result(client.client.userinfo(code)));
  expect(session.active_token && session.active_token.email === ADA, `session: ${show(session)}`);
  const token = session.active_token.token;
  await run.refused("client.userinfo with a used code", () => client.client.userinfo(code));
  await run.check("client.password.change", () =>
    client.client.password.change(token, "first-Password1", "second-Password2"),
  );
  await run.refused("client.password.change with a wrong password", () =>
    client.client.password.change(token, "first-Password1", "third-Password3"),
  );
  await run.refused("a user operation with the client token", () => client.user.list({}));

  // A queued answer: the SDK polls until the result is ready.
  await admin("POST", "pangea/accept-next", { polls: 1 });
  got = await run.check("user.profile.getProfile answered after polling", () =>
    result(service.user.profile.getProfile({ email: GRACE })),
  );
  expect(got.id === grace.id, `polled: ${show(got)}`);

  await run.check("user.delete", () => service.user.delete({ email: GRACE }));
  await run.refused("user.profile.getProfile of a deleted user", () => service.user.profile.getProfile({ email: GRACE }));
  run.done();
});
