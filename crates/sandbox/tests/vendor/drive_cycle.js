// Cycle's JavaScript client (@cycleplatform/cycle-api) over the account API.
const { Account, Jobs } = require("@cycleplatform/cycle-api");
const { URL, admin, expect, Run, main } = require("./harness.js");

const EMAIL = "ada.js@example.com";
const run = new Run("@cycleplatform/cycle-api");
const show = (value) => JSON.stringify(value);
// A full URL is used as it is, version path included.
const settings = { url: `${URL}/cycle/v1` };

// The value of a successful call; a failed one throws with its error.
async function value(call) {
  const answer = await call;
  if (!answer.ok) throw new Error(`refused: ${show(answer.error)}`);
  return answer.value;
}

async function refusal(call) {
  const answer = await call;
  expect(!answer.ok, `expected a refusal, got ${show(answer.value)}`);
  return answer.error;
}

main(async () => {
  const password = "correct horse";
  const { token } = await admin("POST", "cycle/accounts", { email: EMAIL, first: "Ada", last: "Byron", password });
  const params = { token, hubId: "", settings };

  const account = await run.check("Account.getSingle", () => value(Account.getSingle(params)));
  const me = account.data;
  expect(me.email.address === EMAIL && me.name.first === "Ada", `account: ${show(me)}`);
  expect(me.state.current === "live", `state: ${show(me.state)}`);

  const renamed = await run.check("Account.update", () =>
    value(Account.update({ ...params, value: { name: { last: "Lovelace" }, allow_support_login: true } })),
  );
  expect(renamed.data.name.first === "Ada" && renamed.data.name.last === "Lovelace", `updated: ${show(renamed)}`);
  expect(renamed.data.allow_support_login === true, `updated: ${show(renamed)}`);
  const reread = await value(Account.getSingle(params));
  expect(reread.data.name.last === "Lovelace", `after update: ${show(reread)}`);
  await run.check("Account.update with a bad field is refused", () =>
    refusal(Account.update({ ...params, value: { allow_support_login: "yes" } })),
  );

  await admin("POST", "cycle/sign-in", { email: EMAIL, password });
  const logins = await run.check("Account.Logins.getCollection", () => value(Account.Logins.getCollection(params)));
  expect(logins.data.length >= 1 && logins.data.every((l) => l.success === true), `logins: ${show(logins)}`);
  expect(logins.data[0].account.id === me.id, `login account: ${show(logins.data[0])}`);

  const first = (await admin("POST", "cycle/invites", { email: EMAIL })).id;
  const second = (await admin("POST", "cycle/invites", { email: EMAIL })).id;
  const invites = await run.check("Account.Invites.getCollection", () => value(Account.Invites.getCollection(params)));
  const pending = invites.data.map((i) => i.id).sort();
  expect(show(pending) === show([first, second].sort()), `invites: ${show(invites)}`);
  const accepted = await run.check("Account.Invites.update accept", () =>
    value(Account.Invites.update({ ...params, inviteId: first, value: { accept: true } })),
  );
  expect(accepted.data.state.current === "accepted", `accepted: ${show(accepted)}`);
  const declined = await run.check("Account.Invites.update decline", () =>
    value(Account.Invites.update({ ...params, inviteId: second, value: { decline: true } })),
  );
  expect(declined.data.state.current === "declined", `declined: ${show(declined)}`);
  await run.check("Account.Invites.update of an answered invite is refused", () =>
    refusal(Account.Invites.update({ ...params, inviteId: first, value: { decline: true } })),
  );
  const memberships = await run.check("Account.Memberships.getMemberships", () =>
    value(Account.Memberships.getMemberships(params)),
  );
  expect(memberships.data.some((m) => m.id === first), `memberships: ${show(memberships)}`);

  const hub = (await admin("POST", "cycle/hubs", { email: EMAIL })).hub_id;
  await run.check("Account.remove by a hub owner is refused", () => refusal(Account.remove(params)));
  await admin("DELETE", `cycle/hubs/${hub}`);
  const removal = await run.check("Account.remove", () => value(Account.remove(params)));
  const jobId = removal.data.job.id;
  expect(removal.data.action === "delete" && jobId, `removal: ${show(removal)}`);
  await run.check("Jobs.getSingle until the job completes", async () => {
    let job;
    for (let i = 0; i < 5 && (!job || job.state.current !== "completed"); i++) {
      job = (await value(Jobs.getSingle({ ...params, id: jobId }))).data;
    }
    expect(job.state.current === "completed", `job: ${show(job)}`);
  });
  await run.check("Account.getSingle after deletion is refused", () => refusal(Account.getSingle(params)));
  run.done();
});
