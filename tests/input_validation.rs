//! Malformed emails, phone numbers, PINs, codes and ids are refused by every
//! provider before anything is sent, with a message naming the field.

mod faults;

use accountkit::{ErrorKind, cycle, logto, pangea, stx, tagoio};
use faults::{Fault, serve};
use futures::future::BoxFuture;

struct Clients {
    tagoio: tagoio::Client,
    cycle: cycle::Client,
    logto: logto::Client,
    pangea: pangea::Client,
    stx: stx::Client,
}

type Call = for<'a> fn(&'a Clients) -> BoxFuture<'a, accountkit::Result<()>>;

/// Named calls with malformed input, and the field each must name.
macro_rules! refusals {
    ($($name:ident, $field:literal => |$c:ident| $body:expr;)*) => {
        vec![$({
            fn $name($c: &Clients) -> BoxFuture<'_, accountkit::Result<()>> {
                Box::pin(async move { $body.await.map(drop) })
            }
            (stringify!($name), $field, $name as Call)
        }),*]
    };
}

fn record() -> logto::Verification {
    logto::Verification::from_parts("rec-1", chrono::Utc::now() + chrono::TimeDelta::hours(1))
}

#[tokio::test]
async fn malformed_input_is_refused_before_sending_naming_the_field() {
    // Any request reaching it would be counted.
    let server = serve(Fault::Html502).await;
    let url = server.url.clone();
    let clients = Clients {
        tagoio: tagoio::Client::new(tagoio::Region::Custom(url.clone()), "tok").unwrap(),
        cycle: cycle::Client::builder().base_url(&url).token("tok").build().unwrap(),
        logto: logto::Client::new(&url, "tok").unwrap(),
        pangea: pangea::Client::builder("tok").base_url(&url).build().unwrap(),
        stx: stx::Client::new(stx::Host::Custom(url.clone())).unwrap(),
    };
    let cases = refusals! {
        // emails
        tagoio_resend_confirmation, "email" => |c| c.tagoio.resend_confirmation("ada.example.com");
        tagoio_password_recover, "email" => |c| c.tagoio.password_recover("ada@localhost");
        tagoio_login, "email" => |c| c.tagoio.login(&tagoio::Credentials::new("ada @example.com", "pw"));
        cycle_start_password_reset, "email" => |c| c.cycle.start_password_reset("@example.com");
        logto_send_code_email, "email" => |c| c.logto.send_code(&logto::CodeTarget::email("ada@"));
        pangea_user_create, "email" => |c| c.pangea.user_create(&pangea::NewUser::new("ada@example..com"));
        pangea_profile_by_email, "email" => |c| c.pangea.user_profile_get(&pangea::UserRef::email("no-at-sign"));
        stx_login, "email" => |c| c.stx.login(&stx::Credentials::new("ada@example", "pw"));
        stx_forgot_password, "email" => |c| c.stx.forgot_password("ada@@example.com");
        // phone numbers
        tagoio_edit_phone, "phone" => |c| c.tagoio.edit(&tagoio::AccountChanges::new().phone("555-0123"));
        logto_send_code_phone, "phone" => |c| c.logto.send_code(&logto::CodeTarget::phone("+1 555"));
        // PINs and one-time codes
        tagoio_confirm_otp, "pin" => |c| c.tagoio.confirm_otp(tagoio::OtpType::Email, "12ab56");
        cycle_enable_two_factor, "code" => |c| c.cycle.enable_two_factor("123");
        cycle_disable_two_factor, "code" => |c| c.cycle.disable_two_factor("one two");
        stx_confirm_2fa, "code" => |c| c.stx.confirm_2fa(&stx::TwoFactorChallenge::new("sess-1", "ada@example.com"), "");
        // ids and tokens
        tagoio_confirm_account, "token" => |c| c.tagoio.confirm_account("..");
        tagoio_accept_invitation, "token" => |c| c.tagoio.accept_team_invitation("two words");
        cycle_accept_invite, "invite_id" => |c| c.cycle.accept_invite("");
        logto_delete_identity, "target" => |c| c.logto.delete_identity(Some(&record()), "..");
        pangea_profile_by_id, "id" => |c| c.pangea.user_profile_get(&pangea::UserRef::id(""));
        pangea_authenticator_delete, "authenticator_id" => |c| c.pangea.user_authenticators_delete(&pangea::UserRef::id("pui_1"), "");
        stx_resend_2fa, "session_id" => |c| c.stx.resend_2fa(&stx::TwoFactorChallenge::new("\n", "ada@example.com"));
    };
    let mut wrong = Vec::new();
    for (name, field, call) in cases {
        match call(&clients).await {
            Ok(()) => wrong.push(format!("{name}: accepted")),
            Err(e) => {
                let names_field = e.message().starts_with(&format!("`{field}"))
                    || e.message().contains(&format!("`{field}`"));
                if e.kind() != ErrorKind::InvalidInput || !names_field {
                    wrong.push(format!("{name}: {:?} {}", e.kind(), e.message()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(server.requests(), 0, "a malformed request was sent");
}
