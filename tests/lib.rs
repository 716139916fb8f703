//! End-to-end tests of accountkit against the sandbox; the tests are the
//! `[[test]]` targets beside this file.
