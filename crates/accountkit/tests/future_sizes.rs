//! A call's future stays small. Callers move it whenever they box, spawn or
//! join it, and every move copies all of it: a generated client's state, the
//! retry loop and the error path live on the heap instead.

#![cfg(all(feature = "tagoio", feature = "cycle", feature = "logto", feature = "pangea", feature = "stx"))]

use accountkit::{SecretString, cycle, logto, pangea, stx, tagoio};

/// Far above what the calls below need (under 2 KiB in a debug build), far
/// below what they needed with everything inline (over 13 KiB).
const LIMIT: usize = 4096;

/// What a call that only unwraps its answer may need (about 250 bytes):
/// it awaits its rare paths (an error; Pangea's polling) after taking the
/// answer apart, so its state keeps no room for the answer (it did, at 744
/// bytes for TagoIO's `info` and 1624 for Pangea's `user_profile_get`).
const UNWRAPPING: usize = 512;

fn token() -> SecretString {
    SecretString::from("token-value".to_string())
}

#[test]
fn every_providers_call_future_fits_in_a_few_kilobytes() {
    let base = "http://127.0.0.1:9";
    let tago = tagoio::Client::new(tagoio::Region::Custom(base.into()), token()).unwrap();
    let cycle = cycle::Client::builder().base_url(base).token(token()).build().unwrap();
    let logto = logto::Client::new(base, token()).unwrap();
    let pangea = pangea::Client::builder(token()).base_url(base).build().unwrap();
    let stx = stx::Client::new(stx::Host::Custom(base.into())).unwrap();
    let user = pangea::UserRef::id("pui_1");
    let credentials = stx::Credentials::new("ada@example.com", token());
    let sizes = [
        ("tagoio info", size_of_val(&tago.info()), UNWRAPPING),
        ("cycle get_account", size_of_val(&cycle.get_account()), UNWRAPPING),
        ("logto get_profile", size_of_val(&logto.get_profile()), UNWRAPPING),
        ("pangea user_profile_get", size_of_val(&pangea.user_profile_get(&user)), UNWRAPPING),
        ("stx login", size_of_val(&stx.login(&credentials)), LIMIT),
    ];
    for (call, size, limit) in sizes {
        assert!(size <= limit, "the future of `{call}` is {size} bytes, over {limit}");
    }
}

#[test]
fn the_retry_loop_keeps_no_room_for_an_answer_across_its_wait() {
    // 1104 bytes in a debug build; 1248 when the answer was kept across the
    // retry's wait.
    let client = accountkit::http_client_builder().unwrap().build().unwrap();
    let policy = accountkit_runtime::Policy::new("test");
    let request = client.get("http://127.0.0.1:9/").build().unwrap();
    let running = accountkit_runtime::transport::execute(&client, &policy, request, "op", &["op"]);
    let size = size_of_val(&*running);
    assert!(size <= 1160, "the request future is {size} bytes");
}
